import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { JINJA2_COMPAT_GUEST } from './jinja2-compat.guest.js';

/**
 * The script the sandbox evaluates once per QuickJS context: the @huggingface/jinja interpreter (an interpreter
 * over its own value classes: it never compiles a template to JavaScript), turned from an ES module into a script
 * so that the compatibility layer appended to it shares its scope, then a lockdown that freezes every intrinsic.
 * Each text edit names its anchor and fails loudly when a library update moves it.
 */

const require = createRequire(import.meta.url);

/** Text edits of the library's build, each applied exactly once. */
const LIBRARY_EDITS: ReadonlyArray<{ why: string; from: RegExp; to: string }> = [
  {
    why: 'the module becomes a script: its export list goes (the compatibility layer sees the names in scope)',
    from: /\nexport \{[^}]*\};?\s*$/,
    to: '\n',
  },
  {
    why: 'Jinja2 prints None for an expression whose value is none (the library printed nothing)',
    from: /if \(evaluated\.type !== "NullValue" && evaluated\.type !== "UndefinedValue"\) \{/,
    to: 'if (evaluated.type !== "UndefinedValue" && (evaluated.type !== "NullValue" || statement instanceof Expression)) {',
  },
  {
    why: 'a for loop unpacks tuples (what items and dictsort give) as it unpacks lists',
    from: /if \(current\.type !== "ArrayValue"\) \{/,
    to: 'if (!(current instanceof ArrayValue)) {',
  },
  {
    why: 'a test takes arguments as Jinja2 parses them: in parentheses, or one bare primary (`is divisibleby 4`)',
    from: /operand = new TestExpression\(operand, negate, filter\);/,
    to: `const testArgs = [];
      if (is(TOKEN_TYPES.OpenParen)) {
        testArgs.push(...parseArgs("call"));
      } else if (is(TOKEN_TYPES.NumericLiteral) || is(TOKEN_TYPES.StringLiteral) || is(TOKEN_TYPES.OpenSquareBracket) || is(TOKEN_TYPES.OpenCurlyBracket) || (is(TOKEN_TYPES.Identifier) && !["else", "or", "and"].includes(tokens[current].value))) {
        testArgs.push(parsePrimaryExpression());
      }
      operand = new TestExpression(operand, negate, filter);
      operand.testArgs = testArgs;`,
  },
  {
    why: 'the test receives its evaluated arguments',
    from: /const result = test\(operand\);/,
    to: 'const result = test(operand, ...(node.testArgs ?? []).map((a) => this.evaluate(a, environment)));',
  },
  {
    why: 'number literals as Jinja2 lexes them: exponents (1e3), underscores (1_000), 0x/0o/0b, integers of any size',
    from: /let num = consumeWhile\(isInteger\);\n(\s*)if \(lastTokenType !== TOKEN_TYPES\.Dot && src\[cursorPosition\] === "\." && isInteger\(src\.charCodeAt\(cursorPosition \+ 1\)\)\) \{\n[^`]*`\$\{num\}\.\$\{frac\}`;\n\s*\}/,
    to: 'let num = __pyNumberText(src, cursorPosition, lastTokenType === TOKEN_TYPES.Dot);\n$1cursorPosition += num.length;\n$1num = num.replace(/_/g, "");',
  },
  {
    why: 'the same after a sign (`-1e3`, `-0x10`)',
    from: /let num = consumeWhile\(isInteger\);\n(\s*)if \(num\.length > 0 && src\[cursorPosition\] === "\." && isInteger\(src\.charCodeAt\(cursorPosition \+ 1\)\)\) \{\n[^`]*`\$\{num\}\.\$\{frac\}`;\n\s*\}/,
    to: 'let num = isInteger(src.charCodeAt(cursorPosition)) ? __pyNumberText(src, cursorPosition, false) : "";\n$1cursorPosition += num.length;\n$1num = num.replace(/_/g, "");',
  },
  {
    why: 'a number literal becomes a float or an integer (a BigInt beyond 2^53) as in Python',
    from: /return num\.includes\("\."\) \? new FloatLiteral\(Number\(num\)\) : new IntegerLiteral\(Number\(num\)\);/,
    to: 'return __pyNumberIsFloat(num) ? new FloatLiteral(Number(num)) : new IntegerLiteral(__pyIntegerValue(num));',
  },
  {
    why: 'an already evaluated operand (the compatibility layer evaluates operands once, then hands them on)',
    from: /case "FloatLiteral":\n(\s*)return new FloatValue\(statement\.value\);/,
    to: 'case "FloatLiteral":\n$1return new FloatValue(statement.value);\n      case "PyValue":\n$1return statement.value;',
  },
  {
    why: 'every iteration of one loop shares a state object (what loop.changed() remembers)',
    from: /\);\n(\s*)this\.bindLoopVariable\(loopvar, items\[i\], scope\);/,
    to: ');\n$1const loopValue = scope.variables.get("loop");\n$1loopValue._loopState = loopState;\n$1loopValue._depth = depth;\n$1if (node.recursive) loopValue._recurse = (it) => this.renderFor(node, environment, it, depth + 1);\n$1this.bindLoopVariable(loopvar, items[i], scope);',
  },
  {
    why: 'the state object of a loop',
    from: /let noIteration = true;/,
    to: 'let noIteration = true;\n    const loopState = {};',
  },
  {
    why: 'the with statement: `{% with a = x, b = y %}…{% endwith %}`, its names visible only inside',
    from: /(\n\s*)case "filter": \{/,
    to: `$1case "with": {
        ++current;
        const assignments = [];
        while (!is(TOKEN_TYPES.CloseStatement)) {
          if (assignments.length) expect(TOKEN_TYPES.Comma, "Expected ',' between the with statement's assignments");
          const target = parsePrimaryExpression();
          if (target.type !== "Identifier") throw new SyntaxError("Expected a name to assign in the with statement");
          expect(TOKEN_TYPES.Equals, "Expected '=' in the with statement");
          assignments.push([target.value, parseExpression()]);
        }
        expect(TOKEN_TYPES.CloseStatement, "Expected closing statement token");
        const withBody = [];
        while (!isStatement("endwith")) withBody.push(parseAny());
        expect(TOKEN_TYPES.OpenStatement, "Expected '{%'");
        expectIdentifier("endwith");
        expect(TOKEN_TYPES.CloseStatement, "Expected '%}'");
        result = { type: "PyWith", assignments, body: withBody };
        break;
      }$1case "filter": {`,
  },
  {
    why: 'the with statement renders its body in a scope of its own; the values are computed in the enclosing one',
    from: /case "PyValue":\n(\s*)return statement\.value;/,
    to: `case "PyValue":\n$1return statement.value;
      case "PyWith": {
        const values = statement.assignments.map((a) => this.evaluate(a[1], environment));
        const withScope = new Environment(environment);
        statement.assignments.forEach((a, i) => withScope.setVariable(a[0], values[i]));
        return this.evaluateBlock(statement.body, withScope);
      }`,
  },
  {
    why: 'recursive loops: `{% for x in tree recursive %}` is parsed',
    from: /const iterable = parseExpression\(\);\n(\s*)expect\(TOKEN_TYPES\.CloseStatement, "Expected closing statement token"\);/,
    to: 'const iterable = parseExpression();\n$1const recursive = isIdentifier("recursive");\n$1if (recursive) ++current;\n$1expect(TOKEN_TYPES.CloseStatement, "Expected closing statement token");',
  },
  {
    why: 'a recursive loop remembers that it is one',
    from: /return new For\(loopVariable, iterable, body, alternative\);/,
    to: 'const forNode = new For(loopVariable, iterable, body, alternative);\n    forNode.recursive = recursive;\n    return forNode;',
  },
  {
    why: 'loop(children) renders the same loop over other items, one level deeper',
    from: /renderFor\(node, environment\) \{/,
    to: 'renderFor(node, environment, recursedIterable, depth = 0) {',
  },
  {
    why: 'the iterable of a recursive call (a select loop)',
    from: /iterable = this\.evaluate\(select\.lhs, scope\);/,
    to: 'iterable = recursedIterable ?? this.evaluate(select.lhs, scope);',
  },
  {
    why: 'the iterable of a recursive call',
    from: /iterable = this\.evaluate\(node\.iterable, scope\);/,
    to: 'iterable = recursedIterable ?? this.evaluate(node.iterable, scope);',
  },
  {
    why: 'a tuple is iterable',
    from: /\["iterable", \(operand\) => operand\.type === "ArrayValue" \|\| operand\.type === "StringValue"\]/,
    to: '["iterable", (operand) => operand instanceof ArrayValue || operand instanceof ObjectValue || operand.type === "StringValue"]',
  },
];

/**
 * Number literals as Jinja2's lexer reads them (its `float_re`, then `integer_re`), defined ahead of the library so
 * that its lexer and parser (edited above) can call them. Integers beyond 2^53 become BigInts.
 */
const NUMBER_PRELUDE = `
var __PY_FLOAT_RE = /(?:\\d+_)*\\d+(?:(?:\\.(?:\\d+_)*\\d+)?[eE][+-]?(?:\\d+_)*\\d+|\\.(?:\\d+_)*\\d+)/y;
var __PY_INT_RE = /0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+|[1-9](?:_?\\d)*|0(?:_?0)*/y;
function __pyNumberText(src, at, afterDot) {
  if (afterDot) return /\\d+/y.exec(src.slice(at, at + 64))[0];
  var res = [__PY_FLOAT_RE, __PY_INT_RE];
  for (var i = 0; i < res.length; i++) {
    res[i].lastIndex = at;
    var m = res[i].exec(src);
    if (m) return m[0];
  }
  return src[at];
}
function __pyNumberIsFloat(text) {
  return !/^[-+]?0[xXoObB]/.test(text) && /[.eE]/.test(text);
}
var __PY_MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
function __pyNormalInt(b) {
  return b >= -__PY_MAX_SAFE && b <= __PY_MAX_SAFE ? Number(b) : b;
}
function __pyIntegerValue(text) {
  var negative = text[0] === '-';
  var body = text.replace(/^[-+]/, '');
  // Python 3.11 refuses to convert more than 4300 digits; a BigInt parse is one step the interrupt cannot stop.
  if (body.length > 4300) throw new SyntaxError('integer literal too long: more than 4300 digits');
  var b = BigInt(/^0\\d/.test(body) ? body.replace(/^0+(?=.)/, '') : body);
  return __pyNormalInt(negative ? -b : b);
}
`;

/** Freezes the intrinsics and the interpreter's classes, so that no render can leave state for the next one. */
const LOCKDOWN = `
;(function () {
  var seen = new Set();
  function deepFreeze(o) {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    Object.freeze(o);
    Reflect.ownKeys(o).forEach(function (k) {
      var d = Object.getOwnPropertyDescriptor(o, k);
      if (!d) return;
      if ('value' in d) deepFreeze(d.value);
      else { deepFreeze(d.get); deepFreeze(d.set); }
    });
    deepFreeze(Object.getPrototypeOf(o));
  }
  var render = globalThis.__render;
  [Interpreter, Environment, RuntimeValue, StringValue, IntegerValue, FloatValue, BooleanValue, ArrayValue, TupleValue,
   ObjectValue, NullValue, UndefinedValue, FunctionValue, LoopValue].forEach(deepFreeze);
  delete globalThis.eval;
  Reflect.ownKeys(globalThis).forEach(function (k) { deepFreeze(globalThis[k]); });
  deepFreeze(render);
  Object.freeze(globalThis);
})();
`;

function libraryScript(): string {
  const path = require.resolve('@huggingface/jinja').replace(/index\.cjs$/, 'index.js');
  let text = readFileSync(path, 'utf8');
  for (const edit of LIBRARY_EDITS) {
    const matches = text.match(new RegExp(edit.from.source, edit.from.flags + 'g'));
    if (matches?.length !== 1) throw new Error(`@huggingface/jinja changed: cannot apply "${edit.why}" (${matches?.length ?? 0} matches)`);
    text = text.replace(edit.from, edit.to);
  }
  return text;
}

let cached: string | undefined;
/** The guest script (built once per process). */
export function guestScript(): string {
  cached ??= `(function () {\n${NUMBER_PRELUDE}\n${libraryScript()}\n${JINJA2_COMPAT_GUEST}\n${LOCKDOWN}\n})();\n`;
  return cached;
}
