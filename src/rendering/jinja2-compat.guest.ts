/**
 * Guest code: runs inside the QuickJS sandbox, in the same scope as the @huggingface/jinja interpreter (the
 * library's module text is turned into a script and this is appended to it, see `guest-source.ts`), so it sees the
 * interpreter's internal value classes. It gives the interpreter Python Jinja2's behaviour where the library differs
 * (how values print, the filters network templates use) and defines `__render`, the one entry point the host calls.
 *
 * Written without template literals: it is itself a template literal here.
 *
 * Longer than 400 lines on purpose: it is one script evaluated in the guest's scope (it cannot import), holding
 * Jinja2's builtin filters and tests, Python's value printing and operators.
 */
export const JINJA2_COMPAT_GUEST = String.raw`
;(function () {
  'use strict';
  var hasOwn = Object.prototype.hasOwnProperty;

  // ---- Python's str() and repr() of template values -------------------------------------------------------
  function pyStrRepr(s) {
    var quote = s.indexOf("'") >= 0 && s.indexOf('"') < 0 ? '"' : "'";
    var out = quote;
    for (var i = 0; i < s.length; i++) {
      var ch = s[i];
      var code = s.charCodeAt(i);
      if (ch === '\\') out += '\\\\';
      else if (ch === quote) out += '\\' + quote;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (code < 0x20 || code === 0x7f) out += '\\x' + (code < 16 ? '0' : '') + code.toString(16);
      else out += ch;
    }
    return out + quote;
  }
  function pyFloat(x) {
    if (x !== x) return 'nan';
    if (x === Infinity) return 'inf';
    if (x === -Infinity) return '-inf';
    if (Object.is(x, -0)) return '-0.0';
    // Python's repr: the shortest digits (as JS's), positional for exponents -4..15, else d.ddde+XX.
    var e = x.toExponential();
    var exp = Number(e.slice(e.indexOf('e') + 1));
    if (exp < -4 || exp >= 16) return e.replace(/e([+-])(\d)$/, 'e$10$2');
    return Number.isInteger(x) ? x.toFixed(1) : String(x);
  }
  // '%.<p>f' as Python prints it: the exact binary value rounded, exact ties to even (JS's toFixed rounds them up).
  function pyFixed(x, p) {
    if (!isFinite(x)) return pyFloat(x);
    var ax = Math.abs(x), out = ax.toFixed(p);
    var exact = ax.toFixed(100), dot = exact.indexOf('.');
    if (/^50*$/.test(exact.slice(dot + 1 + p))) {
      var kept = exact.slice(0, dot + 1 + p);
      if (Number(kept.replace('.', '').slice(-1)) % 2 === 0) out = p ? kept : kept.slice(0, dot);
    }
    return (x < 0 || Object.is(x, -0) ? '-' : '') + out;
  }
  function pyRepr(v) {
    if (v instanceof StringValue) return pyStrRepr(v.value);
    if (v instanceof BooleanValue) return v.value ? 'True' : 'False';
    if (v instanceof NullValue) return 'None';
    if (v instanceof UndefinedValue) return '';
    if (v instanceof IntegerValue) return String(v.value);
    if (v instanceof FloatValue) return pyFloat(v.value);
    if (v instanceof TupleValue) return '(' + v.value.map(pyRepr).join(', ') + (v.value.length === 1 ? ',)' : ')');
    if (v instanceof ArrayValue) return '[' + v.value.map(pyRepr).join(', ') + ']';
    if (v instanceof ObjectValue) {
      var parts = [];
      v.value.forEach(function (x, k) { parts.push(pyStrRepr(k) + ': ' + pyRepr(x)); });
      return '{' + parts.join(', ') + '}';
    }
    if (v instanceof FunctionValue) return '<function>';
    return String(v.value);
  }
  function pyStr(v) {
    if (v instanceof StringValue) return v.value;
    return pyRepr(v);
  }
  BooleanValue.prototype.toString = function () { return this.value ? 'True' : 'False'; };
  NullValue.prototype.toString = function () { return 'None'; };
  UndefinedValue.prototype.toString = function () { return ''; };
  FloatValue.prototype.toString = function () { return pyFloat(this.value); };
  ArrayValue.prototype.toString = function () { return pyRepr(this); };
  ObjectValue.prototype.toString = function () { return pyRepr(this); };

  // ---- helpers ------------------------------------------------------------------------------------------------
  function str(s) { return new StringValue(s); }
  function int(n) { return new IntegerValue(n); }
  function isNum(v) { return v instanceof IntegerValue || v instanceof FloatValue || v instanceof BooleanValue; }
  function num(v) { return v instanceof BooleanValue ? (v.value ? 1 : 0) : typeof v.value === 'bigint' ? Number(v.value) : v.value; }
  function truthy(v) { return v.__bool__().value; }
  function arg(args, kwargs, i, name, dflt) {
    if (args.length > i) return args[i];
    if (kwargs.has(name)) return kwargs.get(name);
    return dflt;
  }
  function fail(msg) { throw new Error(msg); }
  function items(v, what) {
    if (v instanceof ArrayValue) return v.value.slice();
    if (v instanceof StringValue) return Array.from(v.value).map(str);
    if (v instanceof ObjectValue) return Array.from(v.value.keys()).map(str);
    if (v instanceof UndefinedValue) return [];
    return fail((what || 'value') + ' is not iterable: ' + v.type);
  }
  function attrOf(v, path) {
    if (!path || path instanceof UndefinedValue || path instanceof NullValue) return v;
    return getPath(v, path);
  }
  // Python's ordering: numbers with numbers, strings with strings (case-folded unless case_sensitive).
  function cmp(a, b, caseSensitive) {
    var x = a instanceof StringValue ? (caseSensitive ? a.value : a.value.toLowerCase()) : isNum(a) ? num(a) : a.value;
    var y = b instanceof StringValue ? (caseSensitive ? b.value : b.value.toLowerCase()) : isNum(b) ? num(b) : b.value;
    if (typeof x !== typeof y) fail("'<' not supported between " + a.type + ' and ' + b.type);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  function sorted(list, caseSensitive, attribute, reverse) {
    // sort's attribute may name several, comma separated (Jinja2's make_multi_attrgetter).
    var paths = attribute instanceof StringValue ? attribute.value.split(',').map(str) : [attribute];
    var keyed = list.map(function (x, i) { return { x: x, k: paths.map(function (p) { return attrOf(x, p); }), i: i }; });
    keyed.sort(function (p, q) {
      var c = 0;
      for (var j = 0; j < paths.length && c === 0; j++) c = cmp(p.k[j], q.k[j], caseSensitive);
      if (reverse) c = -c;
      return c !== 0 ? c : p.i - q.i;
    });
    return keyed.map(function (p) { return p.x; });
  }
  function runTest(interp, env, name, value, extra) {
    var test = env.tests.get(name);
    if (!test) fail('no test named ' + pyStrRepr(name));
    return test.apply(null, [value].concat(extra));
  }
  function htmlEscape(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
  }
  // printf-style formatting as Python's % operator does it for the common conversions.
  function percentFormat(fmt, values, mapping) {
    var i = 0;
    return fmt.replace(/%(?:\(([^)]*)\))?([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([sdifrxXoeEgGc%])/g, function (m, key, flags, width, prec, conv) {
      if (conv === '%') return '%';
      var v;
      if (key !== undefined) {
        if (!mapping) fail('format requires a mapping');
        if (!mapping.has(key)) fail('KeyError: ' + pyStrRepr(key));
        v = mapping.get(key);
      } else {
        if (i >= values.length) fail('not enough arguments for format string');
        v = values[i++];
      }
      var out;
      if (conv === 's') out = pyStr(v);
      else if (conv === 'r') out = pyRepr(v);
      else if (conv === 'd' || conv === 'i') { if (!isNum(v)) fail('%d format: a number is required'); out = typeof v.value === 'bigint' ? String(v.value) : String(Math.trunc(num(v))); }
      else if (conv === 'f') { if (!isNum(v)) fail('%f format: a number is required'); out = pyFixed(num(v), prec === undefined ? 6 : Number(prec)); }
      else if (conv === 'x' || conv === 'X' || conv === 'o') {
        if (!isNum(v)) fail('%' + conv + ' format: a number is required');
        out = Math.trunc(num(v)).toString(conv === 'o' ? 8 : 16);
        if (conv === 'X') out = out.toUpperCase();
      } else if (conv === 'c') out = v instanceof StringValue ? v.value : String.fromCharCode(num(v));
      else out = String(num(v));
      if (prec !== undefined && conv === 's') out = out.slice(0, Number(prec));
      if (flags.indexOf('+') >= 0 && /^[dif]$/.test(conv) && num(v) >= 0) out = '+' + out;
      var w = width ? Number(width) : 0;
      if (out.length < w) {
        if (flags.indexOf('-') >= 0) out = out + ' '.repeat(w - out.length);
        else if (flags.indexOf('0') >= 0 && conv !== 's') {
          var sign = /^[-+]/.test(out) ? out[0] : '';
          out = sign + '0'.repeat(w - out.length) + out.slice(sign.length);
        } else out = ' '.repeat(w - out.length) + out;
      }
      return out;
    });
  }

  // ---- the filters, as Jinja2 3.1 defines them ------------------------------------------------------------------
  var F = new Map();
  F.set('default', function (v, a, k) {
    var dflt = arg(a, k, 0, 'default_value', str(''));
    var boolean = arg(a, k, 1, 'boolean', new BooleanValue(false));
    if (v instanceof UndefinedValue || (truthy(boolean) && !truthy(v))) return dflt;
    return v;
  });
  F.set('d', F.get('default'));
  F.set('join', function (v, a, k) {
    var sep = arg(a, k, 0, 'd', str(''));
    var attribute = arg(a, k, 1, 'attribute', undefined);
    return str(items(v).map(function (x) { return pyStr(attrOf(x, attribute)); }).join(pyStr(sep)));
  });
  F.set('string', function (v) { return str(pyStr(v)); });
  F.set('upper', function (v) { return str(pyStr(v).toUpperCase()); });
  F.set('lower', function (v) { return str(pyStr(v).toLowerCase()); });
  F.set('capitalize', function (v) { var s = pyStr(v); return str(s.charAt(0).toUpperCase() + s.slice(1).toLowerCase()); });
  F.set('title', function (v) {
    return str(pyStr(v).replace(/([\w]+)/g, function (w) { return w.charAt(0).toUpperCase() + w.slice(1).toLowerCase(); }));
  });
  F.set('trim', function (v, a, k) {
    var chars = arg(a, k, 0, 'chars', undefined);
    var s = pyStr(v);
    if (!chars || chars instanceof NullValue) return str(s.replace(/^\s+|\s+$/g, ''));
    var set = chars.value;
    var b = 0, e = s.length;
    while (b < e && set.indexOf(s[b]) >= 0) b++;
    while (e > b && set.indexOf(s[e - 1]) >= 0) e--;
    return str(s.slice(b, e));
  });
  F.set('replace', function (v, a, k) {
    var s = pyStr(v), old = pyStr(arg(a, k, 0, 'old', str(''))), nu = pyStr(arg(a, k, 1, 'new', str('')));
    var count = arg(a, k, 2, 'count', new NullValue(null));
    var limit = count instanceof NullValue ? -1 : num(count);
    if (old === '') fail('replace with an empty pattern is not supported');
    var out = '', from = 0, n = 0;
    for (;;) {
      var at = s.indexOf(old, from);
      if (at < 0 || (limit >= 0 && n >= limit)) break;
      out += s.slice(from, at) + nu;
      from = at + old.length;
      n++;
    }
    return str(out + s.slice(from));
  });
  F.set('center', function (v, a, k) {
    var s = pyStr(v), width = num(arg(a, k, 0, 'width', int(80)));
    if (s.length >= width) return str(s);
    var total = width - s.length;
    // CPython's str.center puts the odd space on the right unless the string length is odd... it pads
    // left = total/2 + (total & width & 1).
    var left = Math.floor(total / 2) + (total & width & 1);
    return str(' '.repeat(left) + s + ' '.repeat(total - left));
  });
  F.set('indent', function (v, a, k) {
    var width = arg(a, k, 0, 'width', int(4));
    var first = truthy(arg(a, k, 1, 'first', new BooleanValue(false)));
    var blank = truthy(arg(a, k, 2, 'blank', new BooleanValue(false)));
    var pad = width instanceof StringValue ? width.value : ' '.repeat(num(width));
    var s = pyStr(v) + '\n';
    var lines = s.split('\n');
    lines.pop();
    var out = lines.map(function (line, i) {
      if (i === 0 && !first) return line;
      if (!blank && line.trim() === '') return line;
      return pad + line;
    });
    return str(out.join('\n'));
  });
  F.set('length', function (v) {
    if (v instanceof ObjectValue) return int(v.value.size);
    if (v instanceof StringValue) return int(Array.from(v.value).length);
    return int(items(v).length);
  });
  F.set('count', F.get('length'));
  F.set('first', function (v) { var l = items(v); return l.length ? l[0] : new UndefinedValue(); });
  F.set('last', function (v) { var l = items(v); return l.length ? l[l.length - 1] : new UndefinedValue(); });
  F.set('list', function (v) { return new ArrayValue(items(v)); });
  F.set('reverse', function (v) {
    if (v instanceof StringValue) return str(Array.from(v.value).reverse().join(''));
    return new ArrayValue(items(v).reverse());
  });
  F.set('sort', function (v, a, k) {
    var reverse = truthy(arg(a, k, 0, 'reverse', new BooleanValue(false)));
    var cs = truthy(arg(a, k, 1, 'case_sensitive', new BooleanValue(false)));
    return new ArrayValue(sorted(items(v), cs, arg(a, k, 2, 'attribute', undefined), reverse));
  });
  F.set('unique', function (v, a, k) {
    var cs = truthy(arg(a, k, 0, 'case_sensitive', new BooleanValue(false)));
    var attribute = arg(a, k, 1, 'attribute', undefined);
    var seen = new Set(), out = [];
    items(v).forEach(function (x) {
      var key = attrOf(x, attribute);
      var id = key.type + ':' + (key instanceof StringValue && !cs ? key.value.toLowerCase() : pyRepr(key));
      if (!seen.has(id)) { seen.add(id); out.push(x); }
    });
    return new ArrayValue(out);
  });
  function minmax(sign) {
    return function (v, a, k) {
      var cs = truthy(arg(a, k, 0, 'case_sensitive', new BooleanValue(false)));
      var attribute = arg(a, k, 1, 'attribute', undefined);
      var best;
      items(v).forEach(function (x) { if (best === undefined || sign * cmp(attrOf(x, attribute), attrOf(best, attribute), cs) > 0) best = x; });
      return best === undefined ? new UndefinedValue() : best;
    };
  }
  F.set('max', minmax(1));
  F.set('min', minmax(-1));
  F.set('sum', function (v, a, k) {
    var attribute = arg(a, k, 0, 'attribute', undefined);
    var total = arg(a, k, 1, 'start', int(0));
    var acc = total;
    items(v).forEach(function (x) {
      var y = attrOf(x, attribute);
      if (!isNum(y)) fail('unsupported operand type for sum: ' + y.type);
      if (isIntLike(acc) && isIntLike(y)) acc = intArithmetic('+', acc, y);
      else acc = new FloatValue(num(acc) + num(y));
    });
    return acc instanceof BooleanValue ? int(num(acc)) : acc;
  });
  F.set('batch', function (v, a, k) {
    var size = num(arg(a, k, 0, 'linecount', int(1)));
    if (size < 1) fail('batch size must be positive');
    var fill = arg(a, k, 1, 'fill_with', new NullValue(null));
    var l = items(v), out = [];
    for (var i = 0; i < l.length; i += size) {
      var row = l.slice(i, i + size);
      if (!(fill instanceof NullValue)) while (row.length < size) row.push(fill);
      out.push(new ArrayValue(row));
    }
    return new ArrayValue(out);
  });
  F.set('slice', function (v, a, k) {
    var n = num(arg(a, k, 0, 'slices', int(1)));
    if (n < 1) fail('slices must be positive');
    var fill = arg(a, k, 1, 'fill_with', new NullValue(null));
    var l = items(v), per = Math.floor(l.length / n), extra = l.length % n, offset = 0, out = [];
    for (var i = 0; i < n; i++) {
      var start = offset + i * per;
      if (i < extra) offset++;
      var end = offset + (i + 1) * per;
      var part = l.slice(start, end);
      if (!(fill instanceof NullValue) && i >= extra) part.push(fill);
      out.push(new ArrayValue(part));
    }
    return new ArrayValue(out);
  });
  F.set('dictsort', function (v, a, k) {
    if (!(v instanceof ObjectValue)) fail('dictsort needs a mapping');
    var cs = truthy(arg(a, k, 0, 'case_sensitive', new BooleanValue(false)));
    var by = pyStr(arg(a, k, 1, 'by', str('key')));
    var reverse = truthy(arg(a, k, 2, 'reverse', new BooleanValue(false)));
    var pairs = Array.from(v.value.entries()).map(function (e) { return new TupleValue([str(e[0]), e[1]]); });
    var idx = by === 'value' ? 1 : 0;
    pairs = pairs.map(function (p, i) { return { p: p, i: i }; });
    pairs.sort(function (x, y) { var c = cmp(x.p.value[idx], y.p.value[idx], cs); if (reverse) c = -c; return c !== 0 ? c : x.i - y.i; });
    return new ArrayValue(pairs.map(function (x) { return x.p; }));
  });
  F.set('items', function (v) {
    if (v instanceof UndefinedValue) return new ArrayValue([]);
    if (!(v instanceof ObjectValue)) fail('items needs a mapping');
    return new ArrayValue(Array.from(v.value.entries()).map(function (e) { return new TupleValue([str(e[0]), e[1]]); }));
  });
  F.set('int', function (v, a, k) {
    var dflt = arg(a, k, 0, 'default', int(0));
    var base = num(arg(a, k, 1, 'base', int(10)));
    if (v instanceof IntegerValue) return v;
    if (v instanceof BooleanValue) return int(v.value ? 1 : 0);
    if (v instanceof FloatValue) return int(Math.trunc(v.value));
    if (v instanceof StringValue) {
      var s = v.value.trim().replace(/_/g, '');
      var digits = base === 16 ? /^[-+]?(0[xX])?[0-9a-fA-F]+$/ : base === 8 ? /^[-+]?(0[oO])?[0-7]+$/ : base === 2 ? /^[-+]?(0[bB])?[01]+$/ : /^[-+]?\d+$/;
      // Python 3.11 refuses to convert more than 4300 digits (int() raises, the filter gives its default).
      if (digits.test(s) && s.length > 4301) return dflt;
      if (digits.test(s)) {
        var neg = s[0] === '-';
        s = s.replace(/^[-+]/, '');
        if (base !== 10) s = s.replace(/^0[xXoObB]/, '');
        var big = BigInt(base === 10 ? s.replace(/^0+(?=.)/, '') : (base === 16 ? '0x' : base === 8 ? '0o' : '0b') + s);
        return intResult(neg ? -big : big);
      }
      if (base === 10 && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return int(Math.trunc(parseFloat(s)));
    }
    return dflt;
  });
  F.set('float', function (v, a, k) {
    var dflt = arg(a, k, 0, 'default', new FloatValue(0));
    if (isNum(v)) return new FloatValue(num(v));
    if (v instanceof StringValue && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v.value)) return new FloatValue(parseFloat(v.value));
    return dflt;
  });
  F.set('abs', function (v) {
    if (v instanceof FloatValue) return new FloatValue(Math.abs(v.value));
    if (v instanceof IntegerValue && typeof v.value === 'bigint') return new IntegerValue(v.value < 0 ? -v.value : v.value);
    if (isNum(v)) return int(Math.abs(num(v)));
    return fail('bad operand type for abs(): ' + v.type);
  });
  // Python's round(): the exact binary value rounded to precision decimals, exact ties to even.
  function pyRound(x, precision) {
    if (!isFinite(x) || precision > 20) return x;
    if (precision < 0) { var f = Math.pow(10, -precision); return pyRound(x / f, 0) * f; }
    var exact = Math.abs(x).toFixed(100);
    var dot = exact.indexOf('.');
    var tail = exact.slice(dot + 1 + precision);
    var rounded = Number(Math.abs(x).toFixed(precision));
    if (/^50*$/.test(tail)) {
      var kept = exact.slice(0, dot + 1 + precision).replace('.', '');
      var lastDigit = Number(kept[kept.length - 1]);
      if (lastDigit % 2 === 0) rounded = Number(exact.slice(0, dot + (precision ? 1 + precision : 0)));
    }
    return x < 0 ? -rounded : rounded;
  }
  F.set('round', function (v, a, k) {
    var precision = num(arg(a, k, 0, 'precision', int(0)));
    var method = pyStr(arg(a, k, 1, 'method', str('common')));
    if (method === 'common') {
      // round(int, n) stays an int in Python.
      if (v instanceof IntegerValue || v instanceof BooleanValue) return int(precision < 0 ? pyRound(num(v), precision) : num(v));
      return new FloatValue(pyRound(num(v), precision));
    }
    if (method !== 'ceil' && method !== 'floor') fail('method must be common, ceil or floor');
    var f = Math.pow(10, precision), x = num(v) * f;
    return new FloatValue((method === 'ceil' ? Math.ceil(x) : Math.floor(x)) / f);
  });
  F.set('format', function (v, a, k) {
    if (a.length && k.size) fail("can't handle positional and keyword arguments at the same time");
    return str(percentFormat(pyStr(v), a, k.size ? k : null));
  });
  F.set('wordcount', function (v) { var m = pyStr(v).match(/\w+/g); return int(m ? m.length : 0); });
  F.set('truncate', function (v, a, k) {
    var s = pyStr(v);
    var length = num(arg(a, k, 0, 'length', int(255)));
    var killwords = truthy(arg(a, k, 1, 'killwords', new BooleanValue(false)));
    var end = pyStr(arg(a, k, 2, 'end', str('...')));
    var leeway = num(arg(a, k, 3, 'leeway', int(5)));
    if (s.length <= length + leeway) return str(s);
    if (killwords) return str(s.slice(0, length - end.length) + end);
    var cut = s.slice(0, length - end.length);
    var sp = cut.lastIndexOf(' ');
    return str((sp >= 0 ? cut.slice(0, sp) : cut) + end);
  });
  // Python's json.dumps(sort_keys=True) made HTML-safe, as Jinja2's tojson is.
  function pyJson(v, indent, level) {
    var nl = indent === null ? '' : '\n' + ' '.repeat(indent * (level + 1));
    var end = indent === null ? '' : '\n' + ' '.repeat(indent * level);
    var sep = indent === null ? ', ' : ',';
    if (v instanceof StringValue) return JSON.stringify(v.value).replace(/[\u007f-\uffff]/g, function (c) { return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4); });
    if (v instanceof BooleanValue) return v.value ? 'true' : 'false';
    if (v instanceof NullValue || v instanceof UndefinedValue) return 'null';
    if (v instanceof IntegerValue) return String(v.value);
    if (v instanceof FloatValue) return pyFloat(v.value).replace(/^nan$/, 'NaN').replace(/^inf$/, 'Infinity').replace(/^-inf$/, '-Infinity');
    if (v instanceof ArrayValue) {
      if (!v.value.length) return '[]';
      return '[' + nl + v.value.map(function (x) { return pyJson(x, indent, level + 1); }).join(sep + nl) + end + ']';
    }
    if (v instanceof ObjectValue) {
      var keys = Array.from(v.value.keys()).sort();
      if (!keys.length) return '{}';
      return '{' + nl + keys.map(function (k) { return JSON.stringify(k) + ': ' + pyJson(v.value.get(k), indent, level + 1); }).join(sep + nl) + end + '}';
    }
    return fail('Object of type ' + v.type + ' is not JSON serializable');
  }
  F.set('tojson', function (v, a, k) {
    var indent = arg(a, k, 0, 'indent', new NullValue(null));
    var text = pyJson(v, indent instanceof NullValue ? null : num(indent), 0);
    return str(text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027'));
  });
  F.set('escape', function (v) { return str(htmlEscape(pyStr(v))); });
  F.set('e', F.get('escape'));
  F.set('map', function (v, a, k, env, interp) {
    var l = items(v);
    if (kwargs_has(k, 'attribute')) {
      var attribute = k.get('attribute');
      var dflt = k.has('default') ? k.get('default') : undefined;
      return new ArrayValue(l.map(function (x) { var y = attrOf(x, attribute); return y instanceof UndefinedValue && dflt ? dflt : y; }));
    }
    if (!a.length) fail('map needs a filter name or attribute=');
    var name = pyStr(a[0]);
    var filter = F.get(name);
    if (!filter) fail('no filter named ' + pyStrRepr(name));
    var rest = a.slice(1);
    return new ArrayValue(l.map(function (x) { return filter(x, rest, k, env, interp); }));
  });
  function kwargs_has(k, name) { return k.has(name); }
  function selectBy(keep, byAttr) {
    return function (v, a, k, env, interp) {
      var l = items(v);
      var attribute = byAttr ? a[0] : undefined;
      var rest = byAttr ? a.slice(1) : a;
      var test = rest.length ? pyStr(rest[0]) : null;
      var extra = rest.slice(1);
      return new ArrayValue(l.filter(function (x) {
        var y = byAttr ? attrOf(x, attribute) : x;
        var ok = test === null ? truthy(y) : runTest(interp, env, test, y, extra);
        return ok === keep;
      }));
    };
  }
  F.set('select', selectBy(true, false));
  F.set('reject', selectBy(false, false));
  F.set('selectattr', selectBy(true, true));
  F.set('rejectattr', selectBy(false, true));

  var baseApplyFilter = Interpreter.prototype.applyFilter;
  Interpreter.prototype.applyFilter = function (operand, filterNode, environment) {
    var name, argNodes = [];
    if (filterNode.type === 'Identifier') name = filterNode.value;
    else if (filterNode.type === 'CallExpression' && filterNode.callee.type === 'Identifier') { name = filterNode.callee.value; argNodes = filterNode.args; }
    var filter = name === undefined ? undefined : F.get(name);
    if (!filter) return baseApplyFilter.call(this, operand, filterNode, environment);
    var args = [], kwargs = new Map(), self = this;
    argNodes.forEach(function (node) {
      if (node.type === 'KeywordArgumentExpression') kwargs.set(node.key.value, self.evaluate(node.value, environment));
      else args.push(self.evaluate(node, environment));
    });
    return filter(operand, args, kwargs, environment, this);
  };

  // loop.cycle(a, b, ...): the argument at this iteration, in turn.
  var baseLoopEntries = LoopValue.prototype.createEntries;
  LoopValue.prototype.createEntries = function () {
    var entries = baseLoopEntries.call(this);
    var i = this.iteration;
    entries.set('depth', int((this._depth || 0) + 1));
    entries.set('depth0', int(this._depth || 0));
    var self = this;
    entries.set('changed', new FunctionValue(function (args) {
      // True on the first call and whenever the arguments differ from the last call's (per loop, as in Jinja2).
      var state = self._loopState;
      var key = args.map(pyRepr).join('\u0000');
      if (state.lastChanged === key) return new BooleanValue(false);
      state.lastChanged = key;
      return new BooleanValue(true);
    }));
    entries.set('cycle', new FunctionValue(function (args) {
      if (!args.length) fail('no items for cycling given');
      return args[i % args.length];
    }));
    return entries;
  };

  // loop(items) inside a recursive loop: the loop's body over those items, one level deeper.
  var baseCall = Interpreter.prototype.evaluateCallExpression;
  Interpreter.prototype.evaluateCallExpression = function (expr, environment) {
    if (expr.callee.type === 'Identifier' && expr.callee.value === 'loop') {
      var loop = environment.lookupVariable('loop');
      if (loop instanceof LoopValue && loop._recurse) {
        var args = this.evaluateCallArguments(expr.args, environment);
        if (args.length !== 1) fail('loop() takes one argument, the items to loop over');
        return str(loop._recurse(args[0]));
      }
    }
    return baseCall.call(this, expr, environment);
  };

  // ---- operators as Python has them: ~ and % on strings, % on numbers, == by value and type ------------------
  function pyEq(a, b) {
    if (isIntLike(a) && isIntLike(b) && (typeof a.value === 'bigint' || typeof b.value === 'bigint')) return bigOf(a) === bigOf(b);
    if (isNum(a) && isNum(b)) return num(a) === num(b);
    if (a instanceof StringValue || b instanceof StringValue) return a instanceof StringValue && b instanceof StringValue && a.value === b.value;
    if ((a instanceof NullValue || a instanceof UndefinedValue) || (b instanceof NullValue || b instanceof UndefinedValue)) return a.type === b.type;
    if (a instanceof ArrayValue && b instanceof ArrayValue) {
      if ((a instanceof TupleValue) !== (b instanceof TupleValue) || a.value.length !== b.value.length) return false;
      return a.value.every(function (x, i) { return pyEq(x, b.value[i]); });
    }
    if (a instanceof ObjectValue && b instanceof ObjectValue) {
      if (a.value.size !== b.value.size) return false;
      var same = true;
      a.value.forEach(function (x, k) { if (!b.value.has(k) || !pyEq(x, b.value.get(k))) same = false; });
      return same;
    }
    return a === b;
  }
  var baseBinary = Interpreter.prototype.evaluateBinaryExpression;
  Interpreter.prototype.evaluateBinaryExpression = function (node, environment) {
    var op = node.operator.value;
    if (op !== '~' && op !== '%' && op !== '==' && op !== '!=') return baseBinary.call(this, node, environment);
    var left = this.evaluate(node.left, environment);
    var right = this.evaluate(node.right, environment);
    if (op === '~') return str(pyStr(left) + pyStr(right));
    if (op === '==') return new BooleanValue(pyEq(left, right));
    if (op === '!=') return new BooleanValue(!pyEq(left, right));
    if (left instanceof StringValue) return str(percentFormat(left.value, right instanceof TupleValue ? right.value : [right]));
    if (isNum(left) && isNum(right)) {
      var a = num(left), b = num(right);
      if (b === 0) fail('integer division or modulo by zero');
      var r = a - b * Math.floor(a / b);
      return left instanceof FloatValue || right instanceof FloatValue ? new FloatValue(r) : int(r);
    }
    return fail('unsupported operand types for %: ' + left.type + ' and ' + right.type);
  };

  // ---- Python's str methods that the library lacks, and dict.items() as tuples -------------------------------
  function positional(args) {
    var kw = new Map(), pos = [];
    args.forEach(function (x) { if (x instanceof KeywordArgumentsValue) x.value.forEach(function (v, k) { kw.set(k, v); }); else pos.push(x); });
    return { pos: pos, kw: kw };
  }
  function pySplit(s, sep, maxsplit, fromRight) {
    var out;
    if (sep === null) {
      var words = s.split(/\s+/).filter(function (w) { return w !== ''; });
      if (maxsplit < 0 || words.length <= maxsplit + 1) return words;
      // Only the first maxsplit separators split; the rest of the text is kept as it is.
      var re = fromRight ? null : /\S+/g;
      if (fromRight) {
        var t = s.replace(/\s+$/, ''), parts = [];
        while (parts.length < maxsplit) { var m = t.match(/^([\s\S]*\S)\s+(\S+)$/); if (!m) break; parts.unshift(m[2]); t = m[1]; }
        return [t].concat(parts);
      }
      var rest = s.replace(/^\s+/, ''), head = [];
      while (head.length < maxsplit) { var mm = rest.match(/^(\S+)\s+([\s\S]*)$/); if (!mm) break; head.push(mm[1]); rest = mm[2]; }
      if (rest !== '') head.push(rest);
      return re ? head : head;
    }
    if (sep === '') fail('empty separator');
    out = s.split(sep);
    if (maxsplit < 0 || out.length <= maxsplit + 1) return out;
    if (fromRight) return [out.slice(0, out.length - maxsplit).join(sep)].concat(out.slice(out.length - maxsplit));
    return out.slice(0, maxsplit).concat([out.slice(maxsplit).join(sep)]);
  }
  function strFormat(fmt, pos, kw) {
    var auto = 0;
    return fmt.replace(/\{\{|\}\}|\{([^{}:!]*)(?:![rs])?(?::([^{}]*))?\}/g, function (m, field, spec) {
      if (m === '{{') return '{';
      if (m === '}}') return '}';
      var v;
      if (field === '') v = pos[auto++];
      else if (/^\d+$/.test(field)) v = pos[Number(field)];
      else v = kw.get(field);
      if (v === undefined) fail('format: no value for {' + field + '}');
      var text = pyStr(v);
      var sm = spec ? /^(.?[<>^])?(0)?(\d+)?(?:\.(\d+))?([sdfx]?)$/.exec(spec) : null;
      if (spec && !sm) fail('format: unsupported format spec ' + pyStrRepr(spec));
      if (sm) {
        if (sm[5] === 'f' || (sm[4] !== undefined && isNum(v))) text = num(v).toFixed(sm[4] === undefined ? 6 : Number(sm[4]));
        if (sm[5] === 'x') text = Math.trunc(num(v)).toString(16);
        var width = sm[3] ? Number(sm[3]) : 0;
        var align = sm[1] ? sm[1].slice(-1) : (isNum(v) ? '>' : '<');
        var fillch = sm[1] && sm[1].length === 2 ? sm[1][0] : sm[2] ? '0' : ' ';
        if (text.length < width) {
          var pad = width - text.length;
          if (align === '<') text = text + fillch.repeat(pad);
          else if (align === '>') text = fillch.repeat(pad) + text;
          else text = fillch.repeat(Math.floor(pad / 2)) + text + fillch.repeat(pad - Math.floor(pad / 2));
        }
      }
      return text;
    });
  }
  var baseStringBuiltins = Object.getOwnPropertyDescriptor(StringValue.prototype, 'builtins').get;
  Object.defineProperty(StringValue.prototype, 'builtins', {
    configurable: true,
    get: function () {
      if (this._pyBuiltins) return this._pyBuiltins;
      var s = this.value;
      var m = new Map(baseStringBuiltins.call(this));
      function method(name, fn) { m.set(name, new FunctionValue(function (args) { var p = positional(args); return fn(p.pos, p.kw); })); }
      function sepArg(p, k) { var v = arg(p, k, 0, 'sep', new NullValue(null)); return v instanceof NullValue ? null : pyStr(v); }
      function maxArg(p, k) { return num(arg(p, k, 1, 'maxsplit', int(-1))); }
      method('split', function (p, k) { return new ArrayValue(pySplit(s, sepArg(p, k), maxArg(p, k), false).map(str)); });
      method('rsplit', function (p, k) { return new ArrayValue(pySplit(s, sepArg(p, k), maxArg(p, k), true).map(str)); });
      method('join', function (p) { return str(items(p[0] || new ArrayValue([])).map(function (x) { if (!(x instanceof StringValue)) fail('join: expected str instance, ' + x.type + ' found'); return x.value; }).join(s)); });
      method('format', function (p, k) { return str(strFormat(s, p, k)); });
      method('count', function (p) { var sub = pyStr(p[0]); if (sub === '') return int(s.length + 1); return int(s.split(sub).length - 1); });
      method('find', function (p) { return int(s.indexOf(pyStr(p[0]))); });
      method('isdigit', function () { return new BooleanValue(/^\d+$/.test(s)); });
      method('isalpha', function () { return new BooleanValue(/^[A-Za-z]+$/.test(s)); });
      method('isalnum', function () { return new BooleanValue(/^[A-Za-z0-9]+$/.test(s)); });
      method('isupper', function () { return new BooleanValue(/[A-Z]/.test(s) && s === s.toUpperCase()); });
      method('islower', function () { return new BooleanValue(/[a-z]/.test(s) && s === s.toLowerCase()); });
      method('zfill', function (p) { var w = num(p[0]); var sign = /^[-+]/.test(s) ? s[0] : ''; var body = s.slice(sign.length); return str(s.length >= w ? s : sign + '0'.repeat(w - s.length) + body); });
      method('ljust', function (p) { var w = num(p[0]), f = p[1] ? pyStr(p[1]) : ' '; return str(s.length >= w ? s : s + f.repeat(w - s.length)); });
      method('rjust', function (p) { var w = num(p[0]), f = p[1] ? pyStr(p[1]) : ' '; return str(s.length >= w ? s : f.repeat(w - s.length) + s); });
      method('center', function (p) { return F.get('center')(str(s), p, new Map()); });
      method('splitlines', function () { var l = s.split(/\r\n|\r|\n/); if (l.length && l[l.length - 1] === '') l.pop(); return new ArrayValue(l.map(str)); });
      // strip/lstrip/rstrip([chars]): Python's, with the optional set of characters to remove.
      function stripper(left, right) {
        return function (p) {
          var chars = p.length && !(p[0] instanceof NullValue) ? pyStr(p[0]) : null;
          var b = 0, e = s.length;
          function strip(c) { return chars === null ? /\s/.test(c) : chars.indexOf(c) >= 0; }
          if (left) while (b < e && strip(s[b])) b++;
          if (right) while (e > b && strip(s[e - 1])) e--;
          return str(s.slice(b, e));
        };
      }
      method('strip', stripper(true, true));
      method('lstrip', stripper(true, false));
      method('rstrip', stripper(false, true));
      method('partition', function (p) { var sep = pyStr(p[0]), at = s.indexOf(sep); return new TupleValue(at < 0 ? [str(s), str(''), str('')] : [str(s.slice(0, at)), str(sep), str(s.slice(at + sep.length))]); });
      this._pyBuiltins = m;
      return m;
    },
  });
  ObjectValue.prototype.items = function () {
    return new ArrayValue(Array.from(this.value.entries()).map(function (e) { return new TupleValue([str(e[0]), e[1]]); }));
  };

  // Jinja2's extra tests that templates use with select/reject and "is".
  var T = Environment.TESTS;
  T.set('divisibleby', function (v, n) { return num(v) % num(n) === 0; });
  T.set('in', function (v, seq) {
    if (seq instanceof StringValue) return seq.value.indexOf(pyStr(v)) >= 0;
    if (seq instanceof ObjectValue) return seq.value.has(pyStr(v));
    return items(seq).some(function (x) { return x.type === v.type && x.value === v.value; });
  });
  T.set('ne', function (a, b) { return a.value !== b.value; });
  T.set('gt', function (a, b) { return num(a) > num(b); });
  T.set('ge', function (a, b) { return num(a) >= num(b); });
  T.set('lt', function (a, b) { return num(a) < num(b); });
  T.set('le', function (a, b) { return num(a) <= num(b); });
  T.set('float', function (v) { return v instanceof FloatValue; });
  T.set('==', function (a, b) { return pyEq(a, b); });
  T.set('equalto', T.get('=='));
  T.set('eq', T.get('=='));
  T.set('!=', function (a, b) { return !pyEq(a, b); });
  T.set('ne', T.get('!='));
  T.set('>', T.get('gt'));
  T.set('greaterthan', T.get('gt'));
  T.set('>=', T.get('ge'));
  T.set('<', T.get('lt'));
  T.set('lessthan', T.get('lt'));
  T.set('<=', T.get('le'));
  T.set('escaped', function () { return false; });
  var FILTER_NAMES = ['abs', 'attr', 'batch', 'capitalize', 'center', 'count', 'd', 'default', 'dictsort', 'e', 'escape', 'filesizeformat', 'first', 'float', 'forceescape', 'format', 'groupby', 'indent', 'int', 'items', 'join', 'last', 'length', 'list', 'lower', 'map', 'max', 'min', 'pprint', 'random', 'reject', 'rejectattr', 'replace', 'reverse', 'round', 'safe', 'select', 'selectattr', 'slice', 'sort', 'string', 'striptags', 'sum', 'title', 'tojson', 'trim', 'truncate', 'unique', 'upper', 'urlencode', 'urlize', 'wordcount', 'wordwrap', 'xmlattr'];
  T.set('filter', function (v) { return v instanceof StringValue && FILTER_NAMES.indexOf(v.value) >= 0; });
  T.set('test', function (v) { return v instanceof StringValue && T.has(v.value); });
  T.set('sameas', function (a, b) { return a.type === b.type && a.value === b.value; });

  // range() as Jinja2's sandbox has it: at most MAX_RANGE items, with its message.
  var MAX_RANGE = 100000;
  function sandboxedRange(start, stop, step) {
    var from = stop === undefined ? 0 : start, to = stop === undefined ? start : stop, by = step === undefined ? 1 : step;
    if (by === 0) fail('range() arg 3 must not be zero');
    var length = Math.max(0, Math.ceil((to - from) / by));
    if (length > MAX_RANGE) fail('Range too big. The sandbox blocks ranges larger than MAX_RANGE (' + MAX_RANGE + ').');
    return range(from, to, by);
  }

  // {% raw %}…{% endraw %}: its text becomes one string literal, which the library's lexer reads back verbatim.
  function rawBlocksAsLiterals(template) {
    return template.replace(/\{%(-?)\s*raw\s*(-?)%\}([\s\S]*?)\{%(-?)\s*endraw\s*(-?)%\}/g, function (m, l1, r1, body, l2, r2) {
      if (r1) body = body.replace(/^\s+/, '');
      if (l2) body = body.replace(/\s+$/, '');
      var literal = "'" + body.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + "'";
      return '{{' + l1 + ' ' + literal + ' ' + r2 + '}}';
    });
  }

  // ---- more of Jinja2's builtin filters ------------------------------------------------------------------------
  // Jinja2's attribute lookup for filters (make_attrgetter): dotted paths, integer parts index lists, and the
  // named fields of groupby's tuples.
  function getPath(v, path) {
    var parts = path instanceof IntegerValue ? [String(path.value)] : pyStr(path).split('.');
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i];
      if (v instanceof ObjectValue) v = v.value.has(part) ? v.value.get(part) : new UndefinedValue();
      else if (v instanceof ArrayValue && v._fields && hasOwn.call(v._fields, part)) v = v._fields[part];
      else if (v instanceof ArrayValue && /^-?\d+$/.test(part)) { var at = Number(part); v = v.value[at < 0 ? v.value.length + at : at] || new UndefinedValue(); }
      else return new UndefinedValue();
    }
    return v;
  }
  // groupby's items: a (grouper, list) tuple that also answers .grouper and .list, as Jinja2's _GroupTuple.
  function groupTuple(key, list) {
    var t = new TupleValue([key, new ArrayValue(list)]);
    t._fields = { grouper: key, list: t.value[1] };
    var b = new Map(t.builtins);
    b.set('grouper', key);
    b.set('list', t.value[1]);
    Object.defineProperty(t, 'builtins', { value: b });
    return t;
  }
  F.set('groupby', function (v, a, k) {
    var attribute = arg(a, k, 0, 'attribute', undefined);
    if (attribute === undefined) fail("groupby() missing required argument 'attribute'");
    var dflt = arg(a, k, 1, 'default', new NullValue(null));
    var cs = truthy(arg(a, k, 2, 'case_sensitive', new BooleanValue(false)));
    function key(x) {
      var y = getPath(x, attribute);
      if (!(dflt instanceof NullValue) && y instanceof UndefinedValue) y = dflt;
      return y;
    }
    var keyed = items(v).map(function (x, i) { return { x: x, k: key(x), i: i }; });
    keyed.sort(function (p, q) { var c = cmp(p.k, q.k, cs); return c !== 0 ? c : p.i - q.i; });
    var out = [];
    keyed.forEach(function (p) {
      var last = out[out.length - 1];
      if (last && cmp(last.k, p.k, cs) === 0) last.list.push(p.x);
      else out.push({ k: p.k, list: [p.x] });
    });
    return new ArrayValue(out.map(function (g) { return groupTuple(g.k, g.list); }));
  });

  // Python's textwrap.wrap (expand_tabs=False, replace_whitespace=False), line by line, as Jinja2's wordwrap.
  var WS = '[\\t\\n\\x0b\\x0c\\r ]';
  var WORDSEP_SIMPLE = new RegExp('(' + WS + '+)');
  var WORDSEP = new RegExp('(' + WS + '+|(?<=[\\w!"\'&.,?])-{2,}(?=\\w)|[^\\t\\n\\x0b\\x0c\\r ]+?(?:-(?:(?<=[^\\d\\W]{2}-)|(?<=[^\\d\\W]-[^\\d\\W]-))(?=[^\\d\\W]-?[^\\d\\W])|(?=' + WS + '|$)|(?<=[\\w!"\'&.,?])(?=-{2,}\\w)))');
  function wrapLine(text, width, breakLong, breakHyphens) {
    var chunks = text.split(breakHyphens ? WORDSEP : WORDSEP_SIMPLE).filter(function (c) { return c !== undefined && c !== ''; });
    if (width <= 0) fail('invalid width ' + width + ' (must be > 0)');
    chunks.reverse();
    var lines = [];
    while (chunks.length) {
      var cur = [], len = 0;
      if (chunks[chunks.length - 1].trim() === '' && lines.length) chunks.pop();
      while (chunks.length) {
        var l = chunks[chunks.length - 1].length;
        if (len + l <= width) { cur.push(chunks.pop()); len += l; } else break;
      }
      if (chunks.length && chunks[chunks.length - 1].length > width) {
        var spaceLeft = width < 1 ? 1 : width - len;
        if (breakLong) {
          var chunk = chunks[chunks.length - 1], end = spaceLeft;
          if (breakHyphens && chunk.length > spaceLeft) {
            var hyphen = chunk.lastIndexOf('-', spaceLeft - 1);
            if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
          }
          cur.push(chunk.slice(0, end));
          chunks[chunks.length - 1] = chunk.slice(end);
        } else if (!cur.length) cur.push(chunks.pop());
      }
      if (cur.length && cur[cur.length - 1].trim() === '') cur.pop();
      if (cur.length) lines.push(cur.join(''));
    }
    return lines;
  }
  F.set('wordwrap', function (v, a, k) {
    var width = num(arg(a, k, 0, 'width', int(79)));
    var breakLong = truthy(arg(a, k, 1, 'break_long_words', new BooleanValue(true)));
    var wrapArg = arg(a, k, 2, 'wrapstring', new NullValue(null));
    var wrapstring = wrapArg instanceof NullValue ? '\n' : pyStr(wrapArg);
    var breakHyphens = truthy(arg(a, k, 3, 'break_on_hyphens', new BooleanValue(true)));
    var s = pyStr(v);
    var lines = s.split(/\r\n|\r|\n|\x0b|\x0c|\x1c|\x1d|\x1e|\x85|\u2028|\u2029/);
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    return str(lines.map(function (line) { return wrapLine(line, width, breakLong, breakHyphens).join(wrapstring); }).join(wrapstring));
  });

  F.set('xmlattr', function (v, a, k) {
    if (!(v instanceof ObjectValue)) fail('xmlattr needs a mapping');
    var autospace = truthy(arg(a, k, 0, 'autospace', new BooleanValue(true)));
    var out = [];
    v.value.forEach(function (x, key) {
      if (x instanceof NullValue || x instanceof UndefinedValue) return;
      if (/[\t\n\x0b\x0c\r \/>=]/.test(key)) fail('Invalid character in attribute name: ' + pyStrRepr(key));
      out.push(htmlEscape(key) + '="' + htmlEscape(pyStr(x)) + '"');
    });
    var rv = out.join(' ');
    return str(autospace && rv ? ' ' + rv : rv);
  });

  // Jinja2's urlize (utils.urlize) with its default policies (rel="noopener", no target, no extra schemes).
  var HTTP_RE = /^((https?:\/\/|www\.)(([\w%-]+\.)+)?([a-z]{2,63}|xn--[\w%]{2,59})|([\w%-]{2,63}\.)+(com|net|int|edu|gov|org|info|mil)|(https?:\/\/)((([\d]{1,3})(\.[\d]{1,3}){3})|(\[([\da-f]{0,4}:){2}([\da-f]{0,4}:?){1,6}])))(?::[\d]{1,5})?(?:[\/?#]\S*)?$/i;
  var EMAIL_RE = /^\S+@\w[\w.-]*\.\w+$/;
  var URI_SCHEME_RE = /^([\w.+-]{2,}:(\/){0,2})$/;
  function countOf(s, sub) { return s.split(sub).length - 1; }
  F.set('urlize', function (v, a, k) {
    var limitArg = arg(a, k, 0, 'trim_url_limit', new NullValue(null));
    var nofollow = truthy(arg(a, k, 1, 'nofollow', new BooleanValue(false)));
    var targetArg = arg(a, k, 2, 'target', new NullValue(null));
    var relArg = arg(a, k, 3, 'rel', new NullValue(null));
    var schemesArg = arg(a, k, 4, 'extra_schemes', new NullValue(null));
    var relParts = new Set(['noopener']);
    if (!(relArg instanceof NullValue)) pyStr(relArg).split(/\s+/).forEach(function (p) { if (p) relParts.add(p); });
    if (nofollow) relParts.add('nofollow');
    var rel = Array.from(relParts).sort().join(' ');
    var schemes = schemesArg instanceof NullValue ? [] : items(schemesArg).map(pyStr);
    schemes.forEach(function (s) { if (!URI_SCHEME_RE.test(s)) fail(pyStrRepr(s) + ' is not a valid URI scheme prefix.'); });
    var limit = limitArg instanceof NullValue ? null : num(limitArg);
    function trim(x) { return limit !== null && x.length > limit ? x.slice(0, limit) + '...' : x; }
    var relAttr = rel ? ' rel="' + htmlEscape(rel) + '"' : '';
    var targetAttr = targetArg instanceof NullValue || !truthy(targetArg) ? '' : ' target="' + htmlEscape(pyStr(targetArg)) + '"';
    var words = htmlEscape(pyStr(v)).split(/(\s+)/);
    return str(words.map(function (word) {
      var head = '', middle = word, tail = '';
      var m = /^([(<]|&lt;)+/.exec(middle);
      if (m) { head = m[0]; middle = middle.slice(m[0].length); }
      if (/([)>.,\n]|&gt;)$/.test(middle)) {
        m = /([)>.,\n]|&gt;)+$/.exec(middle);
        if (m) { tail = m[0]; middle = middle.slice(0, m.index); }
      }
      [['(', ')'], ['<', '>'], ['&lt;', '&gt;']].forEach(function (pair) {
        var starts = countOf(middle, pair[0]);
        if (starts <= countOf(middle, pair[1])) return;
        var moves = Math.min(starts, countOf(tail, pair[1]));
        for (var i = 0; i < moves; i++) {
          var endIndex = tail.indexOf(pair[1]) + pair[1].length;
          middle += tail.slice(0, endIndex);
          tail = tail.slice(endIndex);
        }
      });
      if (HTTP_RE.test(middle)) {
        var href = /^https?:\/\//.test(middle) ? middle : 'https://' + middle;
        middle = '<a href="' + href + '"' + relAttr + targetAttr + '>' + trim(middle) + '</a>';
      } else if (middle.indexOf('mailto:') === 0 && EMAIL_RE.test(middle.slice(7))) {
        middle = '<a href="' + middle + '">' + middle.slice(7) + '</a>';
      } else if (middle.indexOf('@') >= 0 && middle.indexOf('www.') !== 0 && middle[0] !== '@' && middle.indexOf(':') < 0 && EMAIL_RE.test(middle)) {
        middle = '<a href="mailto:' + middle + '">' + middle + '</a>';
      } else {
        schemes.forEach(function (s) {
          if (middle !== s && middle.indexOf(s) === 0) middle = '<a href="' + middle + '"' + relAttr + targetAttr + '>' + middle + '</a>';
        });
      }
      return head + middle + tail;
    }).join(''));
  });

  F.set('filesizeformat', function (v, a, k) {
    var binary = truthy(arg(a, k, 0, 'binary', new BooleanValue(false)));
    var bytes = v instanceof StringValue ? Number(v.value) : num(v);
    if (bytes !== bytes && !(v instanceof StringValue && /nan/i.test(v.value))) fail('could not convert string to float: ' + pyStrRepr(pyStr(v)));
    var base = binary ? 1024 : 1000;
    var prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    if (bytes === 1) return str('1 Byte');
    if (bytes < base) return str(Math.trunc(bytes) + ' Bytes');
    var unit = 0, prefix = '';
    for (var i = 0; i < prefixes.length; i++) {
      unit = Math.pow(base, i + 2);
      prefix = prefixes[i];
      if (bytes < unit) break;
    }
    return str(pyFixed((base * bytes) / unit, 1) + ' ' + prefix);
  });

  // Python's pprint.pformat (width 80, dicts sorted by key): one line when it fits, else one item per line.
  function pformat(v, indent, allowance, level) {
    level = (level || 0) + 1;
    var rep = pyReprSorted(v);
    if (rep.length <= 80 - indent - allowance) return rep;
    if (v instanceof StringValue && v.value.length) return pformatStr(v.value, indent, allowance, level, rep);
    if (v instanceof ObjectValue && v.value.size) {
      var keys = Array.from(v.value.keys()).sort(function (x, y) { return x < y ? -1 : x > y ? 1 : 0; });
      var inner = indent + 1, parts = [];
      keys.forEach(function (key, i) {
        var last = i === keys.length - 1, krep = pyStrRepr(key);
        parts.push(krep + ': ' + pformat(v.value.get(key), inner + krep.length + 2, last ? allowance + 1 : 1, level));
      });
      return '{' + parts.join(',\n' + ' '.repeat(inner)) + '}';
    }
    if (v instanceof ArrayValue && v.value.length) {
      var tuple = v instanceof TupleValue, endch = tuple ? (v.value.length === 1 ? ',)' : ')') : ']';
      var ind = indent + 1, n = v.value.length;
      var body = v.value.map(function (x, i) { return pformat(x, ind, i === n - 1 ? allowance + endch.length : 1, level); });
      return (tuple ? '(' : '[') + body.join(',\n' + ' '.repeat(ind)) + endch;
    }
    return rep;
  }
  // pprint's _pprint_str: a long string as adjacent literals split at word ends, in parentheses at the top.
  function pformatStr(text, indent, allowance, level, whole) {
    var lines = text.match(/[^\n\r]*(\r\n|\n|\r|$)/g).filter(function (l) { return l !== ''; });
    if (level === 1) { indent += 1; allowance += 1; }
    var maxWidth = 80 - indent, maxWidth1 = maxWidth, chunks = [], last = '';
    lines.forEach(function (line, i) {
      last = pyStrRepr(line);
      if (i === lines.length - 1) maxWidth1 -= allowance;
      if (last.length <= maxWidth1) { chunks.push(last); return; }
      var parts = line.match(/\S*\s*/g);
      parts.pop();
      var maxWidth2 = maxWidth, current = '';
      parts.forEach(function (part, j) {
        var candidate = current + part;
        if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
        if (pyStrRepr(candidate).length > maxWidth2) {
          if (current) chunks.push(pyStrRepr(current));
          current = part;
        } else current = candidate;
      });
      if (current) chunks.push(pyStrRepr(current));
    });
    if (chunks.length === 1) return whole;
    var out = chunks.join('\n' + ' '.repeat(indent));
    return level === 1 ? '(' + out + ')' : out;
  }
  function pyReprSorted(v) {
    if (v instanceof ObjectValue) {
      var keys = Array.from(v.value.keys()).sort(function (x, y) { return x < y ? -1 : x > y ? 1 : 0; });
      return '{' + keys.map(function (key) { return pyStrRepr(key) + ': ' + pyReprSorted(v.value.get(key)); }).join(', ') + '}';
    }
    if (v instanceof TupleValue) return '(' + v.value.map(pyReprSorted).join(', ') + (v.value.length === 1 ? ',)' : ')');
    if (v instanceof ArrayValue) return '[' + v.value.map(pyReprSorted).join(', ') + ']';
    if (v instanceof UndefinedValue) return 'Undefined';
    return pyRepr(v);
  }
  F.set('pprint', function (v) { return str(pformat(v, 0, 0)); });

  // urllib.parse.quote: Python leaves only letters, digits and _.-~ (and '/' outside query strings) unescaped.
  function urlQuote(v, forQs) {
    var s = encodeURIComponent(pyStr(v)).replace(/[!'()*]/g, function (c) { return '%' + c.charCodeAt(0).toString(16).toUpperCase(); });
    return forQs ? s.replace(/%20/g, '+') : s.replace(/%2F/g, '/');
  }
  F.set('urlencode', function (v) {
    if (v instanceof StringValue || !(v instanceof ArrayValue || v instanceof ObjectValue)) return str(urlQuote(v, false));
    var pairs = v instanceof ObjectValue ? Array.from(v.value.entries()).map(function (e) { return [str(e[0]), e[1]]; }) : v.value.map(function (p) { var l = items(p); return [l[0], l[1]]; });
    return str(pairs.map(function (p) { return urlQuote(p[0], true) + '=' + urlQuote(p[1], true); }).join('&'));
  });
  var ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  F.set('striptags', function (v) {
    var s = pyStr(v), start, end;
    while ((start = s.indexOf('<!--')) >= 0 && (end = s.indexOf('-->', start)) >= 0) s = s.slice(0, start) + s.slice(end + 3);
    while ((start = s.indexOf('<')) >= 0 && (end = s.indexOf('>', start)) >= 0) s = s.slice(0, start) + s.slice(end + 1);
    s = s.split(/\s+/).filter(function (w) { return w !== ''; }).join(' ');
    return str(s.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[A-Za-z]+);/g, function (m, e) {
      if (e[0] === '#') return String.fromCodePoint(/^#[xX]/.test(e) ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
      return hasOwn.call(ENTITIES, e) ? ENTITIES[e] : m;
    }));
  });
  F.set('forceescape', function (v) { return str(htmlEscape(pyStr(v))); });
  // Without autoescaping (the environment's default), marking a value safe only makes it a string.
  F.set('safe', function (v) { return str(pyStr(v)); });
  // attr(): the value's own attribute (not an item), as in Python: the builtin methods of strings, lists and dicts.
  F.set('attr', function (v, a, k) {
    var name = pyStr(arg(a, k, 0, 'name', str('')));
    var b = v && v.builtins instanceof Map ? v.builtins.get(name) : undefined;
    return b instanceof RuntimeValue ? b : new UndefinedValue();
  });
  // random: as in Jinja2, a different item each render (QuickJS's own generator; nothing of the host's).
  F.set('random', function (v) {
    var l = items(v);
    if (!l.length) fail('No random item, sequence was empty.');
    return l[Math.floor(Math.random() * l.length)];
  });

  // ---- integers of any size, and * on strings and lists, as Python has them -----------------------------------
  // An IntegerValue holds a JS number while it is a safe integer and a BigInt beyond (literals, arithmetic).
  // Python 3.11 refuses to print an integer of more than 4300 digits; results beyond that are refused here too, so
  // that no single BigInt step (which the interrupt cannot stop) can run long.
  var MAX_INT_BITS = 14300;
  function isIntLike(v) { return v instanceof IntegerValue || v instanceof BooleanValue; }
  function bigOf(v) { return typeof v.value === 'bigint' ? v.value : BigInt(v instanceof BooleanValue ? (v.value ? 1 : 0) : v.value); }
  function bitLength(b) { if (b < 0) b = -b; return b === BigInt(0) ? 0 : b.toString(16).length * 4; }
  function tooBig(bits) { if (bits > MAX_INT_BITS) fail('integer too large: the result would have more than 4300 digits'); }
  function intResult(b) { return new IntegerValue(__pyNormalInt(b)); }
  var ZERO = BigInt(0), ONE = BigInt(1);
  function intArithmetic(op, l, r) {
    var a = bigOf(l), b = bigOf(r);
    if (op === '+' || op === '-') {
      tooBig(Math.max(bitLength(a), bitLength(b)) + 1);
      return intResult(op === '+' ? a + b : a - b);
    }
    if (op === '*') { tooBig(bitLength(a) + bitLength(b)); return intResult(a * b); }
    if (op === '//' || op === '%') {
      if (b === ZERO) fail('integer division or modulo by zero');
      var q = a / b, m = a % b;
      if (m !== ZERO && (m < ZERO) !== (b < ZERO)) { q -= ONE; m += b; }
      return intResult(op === '//' ? q : m);
    }
    // **
    if (b < ZERO) {
      if (a === ZERO) fail('0.0 cannot be raised to a negative power');
      return new FloatValue(Math.pow(Number(a), Number(b)));
    }
    if (a !== ZERO && a !== ONE && a !== -ONE) tooBig(bitLength(a) * Number(b));
    return intResult(a ** b);
  }
  function repeated(seq, times, maxChars) {
    var n = typeof times.value === 'bigint' ? (times.value > ZERO ? Infinity : 0) : num(times);
    if (seq instanceof StringValue) {
      if (n <= 0 || seq.value === '') return str('');
      if (seq.value.length * n > maxChars) fail('output limit: repeating a string of ' + seq.value.length + ' characters ' + n + ' times exceeds the limit of ' + maxChars + ' characters');
      return str(seq.value.repeat(n));
    }
    var out = [];
    if (n > 0 && seq.value.length) {
      if (seq.value.length * n > maxChars) fail('output limit: repeating a list of ' + seq.value.length + ' items ' + n + ' times exceeds the limit of ' + maxChars + ' items');
      for (var i = 0; i < n; i++) for (var j = 0; j < seq.value.length; j++) out.push(seq.value[j]);
    }
    return seq instanceof TupleValue ? new TupleValue(out) : new ArrayValue(out);
  }
  var currentMaxChars = 1000000;
  function valueNode(v) { return { type: 'PyValue', value: v }; }
  var ARITHMETIC = new Set(['+', '-', '*', '/', '//', '%', '**', '<', '>', '<=', '>=']);
  var pyBinary = Interpreter.prototype.evaluateBinaryExpression;
  Interpreter.prototype.evaluateBinaryExpression = function (node, environment) {
    var op = node.operator.value;
    if (!ARITHMETIC.has(op)) return pyBinary.call(this, node, environment);
    var left = this.evaluate(node.left, environment);
    var right = this.evaluate(node.right, environment);
    if (op === '*') {
      if ((left instanceof StringValue || left instanceof ArrayValue) && isIntLike(right)) return repeated(left, right, currentMaxChars);
      if (isIntLike(left) && (right instanceof StringValue || right instanceof ArrayValue)) return repeated(right, left, currentMaxChars);
    }
    if (isIntLike(left) && isIntLike(right) && op !== '/' && op !== '<' && op !== '>' && op !== '<=' && op !== '>=') {
      if (typeof left.value === 'number' && typeof right.value === 'number' && (op === '+' || op === '-' || op === '*')) {
        var r = op === '+' ? left.value + right.value : op === '-' ? left.value - right.value : left.value * right.value;
        if (Number.isSafeInteger(r)) return int(r);
      }
      if (!(left instanceof BooleanValue && right instanceof BooleanValue && op === '+' && false)) return intArithmetic(op, left, right);
    }
    if (isNum(left) && isNum(right)) {
      // A BigInt meets a float (Python converts the int), or a bool meets a number (Python's bool is an int).
      var x = left instanceof BooleanValue || typeof left.value === 'bigint' ? (left instanceof FloatValue ? left : new IntegerValue(num(left))) : left;
      var y = right instanceof BooleanValue || typeof right.value === 'bigint' ? new IntegerValue(num(right)) : right;
      if ((op === '/' || op === '//' || op === '%') && num(y) === 0) fail(op === '/' ? 'division by zero' : 'float modulo or division by zero');
      if (typeof left.value === 'bigint' && typeof right.value === 'bigint' && op !== '/') {
        var c = left.value < right.value ? -1 : left.value > right.value ? 1 : 0;
        return new BooleanValue(op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0);
      }
      return pyBinary.call(this, { type: 'BinaryExpression', operator: node.operator, left: valueNode(x), right: valueNode(y) }, environment);
    }
    return pyBinary.call(this, { type: 'BinaryExpression', operator: node.operator, left: valueNode(left), right: valueNode(right) }, environment);
  };
  var pyUnary = Interpreter.prototype.evaluateUnaryExpression;
  Interpreter.prototype.evaluateUnaryExpression = function (node, environment) {
    var argument = this.evaluate(node.argument, environment);
    if (node.operator.value === '-' && argument instanceof IntegerValue && typeof argument.value === 'bigint') return intResult(-argument.value);
    return pyUnary.call(this, { type: 'UnaryExpression', operator: node.operator, argument: valueNode(argument) }, environment);
  };

  // ---- Jinja2's globals: dict(), cycler(), joiner() ----------------------------------------------------------
  var GLOBALS = new Map();
  GLOBALS.set('dict', new FunctionValue(function (args) {
    var p = positional(args);
    var out = new Map();
    if (p.pos.length) items(p.pos[0]).forEach(function (kv) { if (kv instanceof ArrayValue) out.set(pyStr(kv.value[0]), kv.value[1]); else fail('dict() needs pairs'); });
    if (p.pos.length && p.pos[0] instanceof ObjectValue) p.pos[0].value.forEach(function (x, key) { out.set(key, x); });
    p.kw.forEach(function (x, key) { out.set(key, x); });
    return new ObjectValue(out);
  }));
  GLOBALS.set('cycler', new FunctionValue(function (args) {
    var list = positional(args).pos, at = 0;
    if (!list.length) fail('at least one item has to be provided');
    var entries = new Map();
    entries.set('current', list[0]);
    entries.set('next', new FunctionValue(function () { var v = list[at]; at = (at + 1) % list.length; entries.set('current', list[at]); return v; }));
    entries.set('reset', new FunctionValue(function () { at = 0; entries.set('current', list[0]); return new NullValue(null); }));
    return new ObjectValue(entries);
  }));
  GLOBALS.set('joiner', new FunctionValue(function (args) {
    var p = positional(args), sep = arg(p.pos, p.kw, 0, 'sep', str(', ')), used = false;
    return new FunctionValue(function () { if (!used) { used = true; return str(''); } return sep; });
  }));

  // ---- the entry point --------------------------------------------------------------------------------------
  /**
   * Renders with Python Jinja2's default whitespace (no trim_blocks, no lstrip_blocks, one trailing newline
   * dropped). Returns [ok, text]: the output, or the error message; the host reads nothing else from the guest.
   */
  globalThis.__render = function (template, contextJson, maxOutputChars) {
    try {
      currentMaxChars = maxOutputChars;
      // {%+ and +%} only turn lstrip_blocks and trim_blocks off for one tag: both are off here already.
      var parsed = parse(tokenize(rawBlocksAsLiterals(template).replace(/\{%\+/g, '{%').replace(/\+%\}/g, '%}'), {}));
      var env = new Environment();
      env.set('false', false); env.set('true', true); env.set('none', null);
      env.set('False', false); env.set('True', true); env.set('None', null);
      env.set('range', sandboxedRange);
      GLOBALS.forEach(function (fn, name) { env.setVariable(name, fn); });
      var context = JSON.parse(contextJson);
      Object.keys(context).forEach(function (key) { env.setVariable(key, convertToRuntimeValues(context[key])); });
      var out = new Interpreter(env).run(parsed).value;
      if (out.length > maxOutputChars) return [false, 'output limit: the template rendered ' + out.length + ' characters (limit ' + maxOutputChars + ')', 'output'];
      return [true, out];
    } catch (e) {
      var message = String(e && e.message !== undefined ? e.message : e);
      if (/^output limit:/.test(message)) return [false, message, 'output'];
      var kind = /stack overflow|too much recursion/i.test(message) ? 'stack' : /out of memory|string too long|invalid array length/i.test(message) ? 'memory' : 'error';
      return [false, message, kind];
    }
  };
})();
`;
