/**
 * Python `re.match` semantics in TypeScript. JavaScript's RegExp differs from CPython's sre where TextFSM templates
 * notice it: captures inside a loop keep the value of the last iteration that set them (JS resets them each
 * iteration), a loop iteration may match the empty string (JS rejects it), a back-reference to an unset group fails
 * (JS matches empty), and `\s`, `\w`, `\b`, `$` mean different things. So patterns are parsed by a port of
 * sre_parse and run by a backtracking matcher that follows sre's opcodes: each node is compiled to a closure that
 * receives its continuation at compile time, so matching allocates nothing for straight-line patterns.
 *
 * Longer than 400 lines on purpose: one compiler from sre's opcodes to closures, one case per opcode, each
 * needing the others' continuation protocol in view.
 */
import {
  FLAG_ASCII,
  FLAG_DOTALL,
  FLAG_IGNORECASE,
  FLAG_MULTILINE,
  MAXREPEAT,
  combineFlags,
  getWidth,
  parsePyRegex,
  type Category,
  type Node,
  type ParsedPattern,
  type SetItem,
} from './pyre-parse.js';
import {
  EXTRA_CASES,
  asciiLower,
  isAsciiCased,
  isAsciiDigit,
  isAsciiSpace,
  isAsciiWord,
  isCased,
  isPyDigit,
  isPySpace,
  isPyWord,
  pyLower,
  pyUpper,
  subjectSlice,
  toSubject,
  type Subject,
} from './pyre-unicode.js';

export { PyRegexError } from './pyre-parse.js';

type Next = (p: number) => boolean;
type CharTest = (ch: number) => boolean;

interface RepeatCtx {
  count: number;
  last: number;
  prev: RepeatCtx | null;
}

interface MatchState {
  c: Int32Array;
  n: number;
  marks: Int32Array;
  /** The innermost active context of each general repeat node, as sre's `state->repeat` chain. */
  reps: (RepeatCtx | null)[];
}

function categoryTest(cat: Category, ascii: boolean): CharTest {
  switch (cat) {
    case 'DIGIT':
      return ascii ? isAsciiDigit : isPyDigit;
    case 'NOT_DIGIT':
      return ascii ? (c) => !isAsciiDigit(c) : (c) => !isPyDigit(c);
    case 'SPACE':
      return ascii ? isAsciiSpace : isPySpace;
    case 'NOT_SPACE':
      return ascii ? (c) => !isAsciiSpace(c) : (c) => !isPySpace(c);
    case 'WORD':
      return ascii ? isAsciiWord : isPyWord;
    case 'NOT_WORD':
      return ascii ? (c) => !isAsciiWord(c) : (c) => !isPyWord(c);
  }
}

/** Lowercase plus sre's extra equivalents, the members a cased literal contributes under IGNORECASE. */
function foldedMembers(c: number, ascii: boolean): number[] {
  if (ascii) return [asciiLower(c)];
  const lo = pyLower(c);
  return [lo, ...(EXTRA_CASES.get(lo) ?? [])];
}

function withAsciiTable(test: CharTest): CharTest {
  const table = new Uint8Array(128);
  for (let i = 0; i < 128; i++) table[i] = test(i) ? 1 : 0;
  return (ch) => (ch < 128 ? table[ch] === 1 : test(ch));
}

/** An IN set, following sre_compile's `_optimize_charset` for IGNORECASE (members lowered, input lowered). */
function charsetTest(items: SetItem[], flags: number): CharTest {
  const ascii = (flags & FLAG_ASCII) !== 0;
  const ignoreCase = (flags & FLAG_IGNORECASE) !== 0;
  let negate = false;
  const literals = new Set<number>();
  const ranges: [number, number][] = [];
  const bigRanges: [number, number][] = [];
  const cats: CharTest[] = [];
  let hasCased = false;
  for (const it of items) {
    switch (it.op) {
      case 'NEGATE':
        negate = true;
        break;
      case 'LITERAL':
        if (!ignoreCase) literals.add(it.c);
        else {
          for (const m of foldedMembers(it.c, ascii)) literals.add(m);
          if (!hasCased && (ascii ? isAsciiCased(it.c) : isCased(it.c))) hasCased = true;
        }
        break;
      case 'RANGE':
        if (!ignoreCase) ranges.push([it.lo, it.hi]);
        else if (ascii || it.hi <= 0xffff) {
          for (let i = it.lo; i <= it.hi; i++) {
            for (const m of foldedMembers(i, ascii)) literals.add(m);
            if (!hasCased && (ascii ? isAsciiCased(i) : isCased(i))) hasCased = true;
          }
        } else {
          // sre keeps ranges reaching past the BMP as RANGE_UNI_IGNORE and treats the set as cased.
          const bmpHi = Math.min(it.hi, 0xffff);
          for (let i = it.lo; i <= bmpHi; i++) for (const m of foldedMembers(i, ascii)) literals.add(m);
          bigRanges.push([it.lo, it.hi]);
          hasCased = true;
        }
        break;
      case 'CATEGORY':
        cats.push(categoryTest(it.cat, ascii));
        break;
    }
  }
  const member = (ch: number): boolean => {
    if (literals.has(ch)) return true;
    for (const [lo, hi] of ranges) if (ch >= lo && ch <= hi) return true;
    for (const [lo, hi] of bigRanges) {
      if (ch >= lo && ch <= hi) return true;
      const up = pyUpper(ch);
      if (up >= lo && up <= hi) return true;
    }
    for (const t of cats) if (t(ch)) return true;
    return false;
  };
  const raw: CharTest = negate ? (ch) => !member(ch) : member;
  if (!ignoreCase || !hasCased) return withAsciiTable(raw);
  return withAsciiTable(ascii ? (ch) => raw(asciiLower(ch)) : (ch) => raw(pyLower(ch)));
}

function literalTest(c: number, flags: number): CharTest {
  if (!(flags & FLAG_IGNORECASE)) return (ch) => ch === c;
  if (flags & FLAG_ASCII) {
    if (!isAsciiCased(c)) return (ch) => ch === c;
    const lo = asciiLower(c);
    return (ch) => asciiLower(ch) === lo;
  }
  if (!isCased(c)) return (ch) => ch === c;
  const lo = pyLower(c);
  const extra = EXTRA_CASES.get(lo);
  if (!extra) return (ch) => pyLower(ch) === lo;
  const set = new Set([lo, ...extra]);
  return (ch) => set.has(pyLower(ch));
}

/** A test for nodes that always match exactly one character and capture nothing (sre's `_simple`). */
function unitTest(nodes: Node[], flags: number): CharTest | null {
  if (nodes.length !== 1) return null;
  const node = nodes[0] as Node;
  switch (node.op) {
    case 'LITERAL':
      return literalTest(node.c, flags);
    case 'NOT_LITERAL': {
      const t = literalTest(node.c, flags);
      return (ch) => !t(ch);
    }
    case 'ANY':
      return flags & FLAG_DOTALL ? () => true : (ch) => ch !== 10;
    case 'IN':
      return charsetTest(node.items, flags);
    case 'SUBPATTERN':
      if (node.group !== null) return null;
      return unitTest(node.body, combineFlags(flags, node.add, node.del));
    default:
      return null;
  }
}

class Compiler {
  repeatCount = 0;

  constructor(
    private readonly st: MatchState,
    private readonly parsed: ParsedPattern,
  ) {}

  seq(nodes: Node[], flags: number, next: Next): Next {
    let k = next;
    for (let i = nodes.length - 1; i >= 0; i--) k = this.node(nodes[i] as Node, flags, k);
    return k;
  }

  /** Compiles nodes to run once, reporting where they ended; used by atomic constructs. */
  once(nodes: Node[], flags: number): { run: Next; end: () => number } {
    let endPos = -1;
    const run = this.seq(nodes, flags, (p) => {
      endPos = p;
      return true;
    });
    return { run, end: () => endPos };
  }

  node(node: Node, flags: number, next: Next): Next {
    const st = this.st;
    switch (node.op) {
      case 'LITERAL':
      case 'NOT_LITERAL':
      case 'ANY':
      case 'IN': {
        const t = unitTest([node], flags) as CharTest;
        return (p) => p < st.n && t(st.c[p] as number) && next(p + 1);
      }
      case 'AT':
        return this.at(node.at, flags, next);
      case 'BRANCH': {
        const alts = node.alts.map((a) => this.seq(a, flags, next));
        return (p) => {
          for (const alt of alts) if (alt(p)) return true;
          return false;
        };
      }
      case 'SUBPATTERN': {
        const inner = combineFlags(flags, node.add, node.del);
        if (node.group === null) return this.seq(node.body, inner, next);
        const open = 2 * node.group;
        const close = open + 1;
        const afterBody: Next = (p) => {
          const old = st.marks[close] as number;
          st.marks[close] = p;
          if (next(p)) return true;
          st.marks[close] = old;
          return false;
        };
        const body = this.seq(node.body, inner, afterBody);
        return (p) => {
          const old = st.marks[open] as number;
          st.marks[open] = p;
          if (body(p)) return true;
          st.marks[open] = old;
          return false;
        };
      }
      case 'ATOMIC_GROUP': {
        const body = this.once(node.body, flags);
        return (p) => {
          const snap = st.marks.slice();
          if (!body.run(p)) return false;
          if (next(body.end())) return true;
          st.marks.set(snap);
          return false;
        };
      }
      case 'ASSERT': {
        const body = this.once(node.body, flags);
        const back = node.behind ? getWidth(node.body, { groupwidths: this.parsed.groupWidths })[0] : 0;
        if (!node.negate) {
          return (p) => {
            if (p - back < 0) return false;
            const snap = st.marks.slice();
            if (!body.run(p - back)) return false;
            if (next(p)) return true;
            st.marks.set(snap);
            return false;
          };
        }
        return (p) => {
          if (p - back >= 0) {
            const snap = st.marks.slice();
            if (body.run(p - back)) {
              st.marks.set(snap);
              return false;
            }
          }
          return next(p);
        };
      }
      case 'GROUPREF': {
        const g = node.group;
        const ic = (flags & FLAG_IGNORECASE) !== 0;
        const fold = flags & FLAG_ASCII ? asciiLower : pyLower;
        return (p) => {
          const s = st.marks[2 * g] as number;
          const e = st.marks[2 * g + 1] as number;
          if (s < 0 || e < 0 || e < s) return false;
          const len = e - s;
          if (p + len > st.n) return false;
          for (let i = 0; i < len; i++) {
            const a = st.c[s + i] as number;
            const b = st.c[p + i] as number;
            if (a !== b && (!ic || fold(a) !== fold(b))) return false;
          }
          return next(p + len);
        };
      }
      case 'GROUPREF_EXISTS': {
        const g = node.group;
        const yes = this.seq(node.yes, flags, next);
        const no = node.no ? this.seq(node.no, flags, next) : next;
        return (p) => {
          const s = g < this.parsed.groups ? (st.marks[2 * g] as number) : -1;
          const e = g < this.parsed.groups ? (st.marks[2 * g + 1] as number) : -1;
          return s >= 0 && e >= 0 && e >= s ? yes(p) : no(p);
        };
      }
      case 'REPEAT':
        return this.repeat(node, flags, next);
    }
  }

  at(at: string, flags: number, next: Next): Next {
    const st = this.st;
    const multiline = (flags & FLAG_MULTILINE) !== 0;
    switch (at) {
      case 'BEGINNING':
        return multiline ? (p) => (p === 0 || st.c[p - 1] === 10) && next(p) : (p) => p === 0 && next(p);
      case 'BEGINNING_STRING':
        return (p) => p === 0 && next(p);
      case 'END':
        return multiline
          ? (p) => (p === st.n || st.c[p] === 10) && next(p)
          : (p) => (p === st.n || (p + 1 === st.n && st.c[p] === 10)) && next(p);
      case 'END_STRING':
        return (p) => p === st.n && next(p);
      default: {
        const word = flags & FLAG_ASCII ? isAsciiWord : isPyWord;
        const boundary = at === 'BOUNDARY';
        return (p) => {
          if (st.n === 0) return false;
          const before = p > 0 ? word(st.c[p - 1] as number) : false;
          const after = p < st.n ? word(st.c[p] as number) : false;
          return (before !== after) === boundary && next(p);
        };
      }
    }
  }

  repeat(node: Extract<Node, { op: 'REPEAT' }>, flags: number, next: Next): Next {
    const st = this.st;
    const { min, max } = node;
    const unbounded = max === MAXREPEAT;
    const unit = unitTest(node.body, flags);
    if (unit) {
      // sre's REPEAT_ONE family: the body is one character, so no empty iterations and no captures.
      if (node.kind === 'MAX') {
        return (p) => {
          const lim = unbounded ? st.n : Math.min(st.n, p + max);
          let e = p;
          while (e < lim && unit(st.c[e] as number)) e++;
          for (let q = e; q >= p + min; q--) if (next(q)) return true;
          return false;
        };
      }
      if (node.kind === 'MIN') {
        return (p) => {
          let q = p;
          for (; q < p + min; q++) if (q >= st.n || !unit(st.c[q] as number)) return false;
          for (;;) {
            if (next(q)) return true;
            if ((!unbounded && q - p >= max) || q >= st.n || !unit(st.c[q] as number)) return false;
            q++;
          }
        };
      }
      return (p) => {
        const lim = unbounded ? st.n : Math.min(st.n, p + max);
        let e = p;
        while (e < lim && unit(st.c[e] as number)) e++;
        return e - p >= min && next(e);
      };
    }

    if (node.kind === 'POSSESSIVE') {
      const body = this.once(node.body, flags);
      return (p) => {
        const snap = st.marks.slice();
        let count = 0;
        let pos = p;
        while (count < min) {
          if (!body.run(pos)) {
            st.marks.set(snap);
            return false;
          }
          pos = body.end();
          count++;
        }
        let lastPos = -1;
        while ((unbounded || count < max) && pos !== lastPos) {
          lastPos = pos;
          if (!body.run(pos)) break;
          pos = body.end();
          count++;
        }
        if (next(pos)) return true;
        st.marks.set(snap);
        return false;
      };
    }

    // sre's REPEAT with MAX_UNTIL / MIN_UNTIL, including its zero-width protection: an iteration that matched
    // the empty string is kept, but no further iteration starts at the same position.
    const id = this.repeatCount++;
    const lazy = node.kind === 'MIN';
    let body: Next = () => false;
    const until: Next = (p) => {
      const rep = st.reps[id] as RepeatCtx;
      const count = rep.count + 1;
      if (count < min) {
        rep.count = count;
        if (body(p)) return true;
        rep.count = count - 1;
        return false;
      }
      if (!lazy) {
        if ((unbounded || count < max) && p !== rep.last) {
          rep.count = count;
          const oldLast = rep.last;
          rep.last = p;
          if (body(p)) return true;
          rep.last = oldLast;
          rep.count = count - 1;
        }
        st.reps[id] = rep.prev;
        const r = next(p);
        st.reps[id] = rep;
        return r;
      }
      st.reps[id] = rep.prev;
      const r = next(p);
      st.reps[id] = rep;
      if (r) return true;
      if ((!unbounded && count >= max) || p === rep.last) return false;
      rep.count = count;
      const oldLast = rep.last;
      rep.last = p;
      if (body(p)) return true;
      rep.last = oldLast;
      rep.count = count - 1;
      return false;
    };
    body = this.seq(node.body, flags, until);
    return (p) => {
      const saved = st.reps[id] ?? null;
      st.reps[id] = { count: -1, last: -1, prev: saved };
      const r = until(p);
      st.reps[id] = saved;
      return r;
    };
  }
}

export interface PyMatch {
  /** Span of group `g` as [start, end) in code points, or null when the group did not participate. */
  span(g: number): [number, number] | null;
  group(g: number | string): string | null;
  /** Named groups in definition order, like `match.groupdict()`. */
  groupdict(): Map<string, string | null>;
}

export class PyRegexStackError extends Error {
  constructor(pattern: string) {
    super(`regular expression too deeply nested for this input: ${pattern}`);
    this.name = 'PyRegexStackError';
  }
}

/** A compiled Python regular expression; `match` is `re.match` (anchored at the start, not at the end). */
export class PyRegex {
  readonly groups: number;
  readonly groupIndex: ReadonlyMap<string, number>;
  private readonly st: MatchState;
  private readonly run: Next;
  private end = 0;
  /** A match ending here is refused and the matcher backtracks for another (finditer after an empty match). */
  private refuseEnd = -1;

  constructor(readonly pattern: string) {
    const parsed = parsePyRegex(pattern);
    this.groups = parsed.groups - 1;
    this.groupIndex = parsed.groupIndex;
    this.st = { c: new Int32Array(0), n: 0, marks: new Int32Array(2 * parsed.groups).fill(-1), reps: [] };
    const compiler = new Compiler(this.st, parsed);
    this.run = compiler.seq(parsed.nodes, parsed.flags, (p) => {
      if (p === this.refuseEnd) return false;
      this.end = p;
      return true;
    });
    this.st.reps = new Array<RepeatCtx | null>(compiler.repeatCount).fill(null);
  }

  match(input: string | Subject): PyMatch | null {
    return this.matchAt(input, 0);
  }

  /**
   * `re.match` from code point `pos` (as `pattern.match(string, pos)`): `^` and `\\A` still mean the subject's
   * start. `nonEmpty`: an empty match is refused, and the matcher backtracks for a longer one.
   */
  matchAt(input: string | Subject, pos: number, nonEmpty = false): PyMatch | null {
    const subject = typeof input === 'string' ? toSubject(input) : input;
    const st = this.st;
    st.c = subject.codes;
    st.n = subject.codes.length;
    st.marks.fill(-1);
    st.reps.fill(null);
    let ok: boolean;
    try {
      this.refuseEnd = nonEmpty ? pos : -1;
      ok = this.run(pos);
    } catch (err) {
      if (err instanceof RangeError) throw new PyRegexStackError(this.pattern);
      throw err;
    }
    if (!ok) return null;
    const marks = st.marks.slice();
    marks[0] = pos;
    marks[1] = this.end;
    const groupIndex = this.groupIndex;
    const span = (g: number): [number, number] | null => {
      const s = marks[2 * g];
      const e = marks[2 * g + 1];
      if (s === undefined || e === undefined || s < 0 || e < 0) return null;
      return [s, e];
    };
    const group = (g: number | string): string | null => {
      const idx = typeof g === 'number' ? g : groupIndex.get(g);
      if (idx === undefined) throw new Error(`no such group: ${g}`);
      const sp = span(idx);
      return sp ? subjectSlice(subject, sp[0], sp[1]) : null;
    };
    return {
      span,
      group,
      groupdict: () => {
        const out = new Map<string, string | null>();
        for (const [name, idx] of groupIndex) out.set(name, group(idx));
        return out;
      },
    };
  }
}
