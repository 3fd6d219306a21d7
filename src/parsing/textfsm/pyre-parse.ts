/**
 * A port of CPython 3.11's `re/_parser.py` (sre_parse): it accepts exactly the patterns Python accepts, rejects
 * the ones it rejects, and yields the same tree, so matching can follow sre's semantics rather than
 * JavaScript's.
 *
 * Longer than 400 lines on purpose: it follows _parser.py function by function (one tokenizer, one recursive
 * descent over every escape and group form) so that it can be checked against the original side by side;
 * split, the mapping to the original would be lost.
 */
import { isPyIdentifier } from './pyre-unicode.js';

export class PyRegexError extends Error {
  constructor(
    message: string,
    readonly pattern: string,
    readonly pos: number | null,
  ) {
    super(pos === null ? message : `${message} at position ${pos}`);
    this.name = 'PyRegexError';
  }
}

export const FLAG_TEMPLATE = 1;
export const FLAG_IGNORECASE = 2;
export const FLAG_LOCALE = 4;
export const FLAG_MULTILINE = 8;
export const FLAG_DOTALL = 16;
export const FLAG_UNICODE = 32;
export const FLAG_VERBOSE = 64;
export const FLAG_DEBUG = 128;
export const FLAG_ASCII = 256;

const TYPE_FLAGS = FLAG_ASCII | FLAG_LOCALE | FLAG_UNICODE;
const GLOBAL_FLAGS = FLAG_DEBUG | FLAG_TEMPLATE;

const FLAG_CHARS: Record<string, number> = {
  i: FLAG_IGNORECASE,
  L: FLAG_LOCALE,
  m: FLAG_MULTILINE,
  s: FLAG_DOTALL,
  x: FLAG_VERBOSE,
  a: FLAG_ASCII,
  t: FLAG_TEMPLATE,
  u: FLAG_UNICODE,
};

export const MAXREPEAT = 4294967295;
const MAXGROUPS = 1073741823;
const MAXCODE = 4294967295;
const MAXWIDTH = 2 ** 64;

export type Category = 'DIGIT' | 'NOT_DIGIT' | 'SPACE' | 'NOT_SPACE' | 'WORD' | 'NOT_WORD';
export type AtCode = 'BEGINNING' | 'BEGINNING_STRING' | 'BOUNDARY' | 'NON_BOUNDARY' | 'END' | 'END_STRING';

export type SetItem =
  | { op: 'LITERAL'; c: number }
  | { op: 'RANGE'; lo: number; hi: number }
  | { op: 'CATEGORY'; cat: Category }
  | { op: 'NEGATE' };

export type Node =
  | { op: 'LITERAL'; c: number }
  | { op: 'NOT_LITERAL'; c: number }
  | { op: 'ANY' }
  | { op: 'IN'; items: SetItem[] }
  | { op: 'AT'; at: AtCode }
  | { op: 'BRANCH'; alts: Node[][] }
  | { op: 'SUBPATTERN'; group: number | null; add: number; del: number; body: Node[] }
  | { op: 'ATOMIC_GROUP'; body: Node[] }
  | { op: 'REPEAT'; kind: 'MAX' | 'MIN' | 'POSSESSIVE'; min: number; max: number; body: Node[] }
  | { op: 'GROUPREF'; group: number }
  | { op: 'GROUPREF_EXISTS'; group: number; yes: Node[]; no: Node[] | null }
  | { op: 'ASSERT'; behind: boolean; negate: boolean; body: Node[] };

export interface ParsedPattern {
  nodes: Node[];
  flags: number;
  /** Number of groups including group 0, as sre's `state.groups`. */
  groups: number;
  /** Named groups in definition order. */
  groupIndex: Map<string, number>;
  groupWidths: ([number, number] | null)[];
}

const ESCAPES: Record<string, number> = {
  '\\a': 7,
  '\\b': 8,
  '\\f': 12,
  '\\n': 10,
  '\\r': 13,
  '\\t': 9,
  '\\v': 11,
  '\\\\': 92,
};

const CATEGORY_ESCAPES: Record<string, Node> = {
  '\\A': { op: 'AT', at: 'BEGINNING_STRING' },
  '\\b': { op: 'AT', at: 'BOUNDARY' },
  '\\B': { op: 'AT', at: 'NON_BOUNDARY' },
  '\\d': { op: 'IN', items: [{ op: 'CATEGORY', cat: 'DIGIT' }] },
  '\\D': { op: 'IN', items: [{ op: 'CATEGORY', cat: 'NOT_DIGIT' }] },
  '\\s': { op: 'IN', items: [{ op: 'CATEGORY', cat: 'SPACE' }] },
  '\\S': { op: 'IN', items: [{ op: 'CATEGORY', cat: 'NOT_SPACE' }] },
  '\\w': { op: 'IN', items: [{ op: 'CATEGORY', cat: 'WORD' }] },
  '\\W': { op: 'IN', items: [{ op: 'CATEGORY', cat: 'NOT_WORD' }] },
  '\\Z': { op: 'AT', at: 'END_STRING' },
};

const DIGITS = '0123456789';
const OCTDIGITS = '01234567';
const HEXDIGITS = '0123456789abcdefABCDEF';
const ASCIILETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const WHITESPACE = ' \t\n\r\v\f';
const SPECIAL_CHARS = '.\\[{()*+?^$|';
const REPEAT_CHARS = '*+?{';

function isFlagChar(c: string): boolean {
  return Object.hasOwn(FLAG_CHARS, c);
}

function inSet(c: string | null, set: string): boolean {
  return c !== null && c.length === 1 && set.includes(c);
}

class State {
  flags = 0;
  groupdict = new Map<string, number>();
  groupwidths: ([number, number] | null)[] = [null];
  lookbehindgroups: number | null = null;
  grouprefpos = new Map<number, number>();

  get groups(): number {
    return this.groupwidths.length;
  }

  opengroup(name: string | null): number {
    const gid = this.groups;
    this.groupwidths.push(null);
    if (this.groups > MAXGROUPS) throw new Error('too many groups');
    if (name !== null) {
      const ogid = this.groupdict.get(name);
      if (ogid !== undefined) {
        throw new Error(`redefinition of group name '${name}' as group ${gid}; was group ${ogid}`);
      }
      this.groupdict.set(name, gid);
    }
    return gid;
  }

  closegroup(gid: number, p: Node[]): void {
    this.groupwidths[gid] = getWidth(p, this);
  }

  checkgroup(gid: number): boolean {
    return gid < this.groups && this.groupwidths[gid] !== null;
  }

  checklookbehindgroup(gid: number, source: Tokenizer): void {
    if (this.lookbehindgroups !== null) {
      if (!this.checkgroup(gid)) throw source.error('cannot refer to an open group');
      if (gid >= this.lookbehindgroups) {
        throw source.error('cannot refer to group defined in the same lookbehind subpattern');
      }
    }
  }
}

const widthCache = new WeakMap<Node[], [number, number]>();

/** sre's `SubPattern.getwidth()`: (min, max) code points a subpattern can match. */
export function getWidth(p: Node[], state: { groupwidths: ([number, number] | null)[] }): [number, number] {
  const cached = widthCache.get(p);
  if (cached) return cached;
  let lo = 0;
  let hi = 0;
  for (const node of p) {
    switch (node.op) {
      case 'BRANCH': {
        let i = MAXWIDTH;
        let j = 0;
        for (const alt of node.alts) {
          const [l, h] = getWidth(alt, state);
          i = Math.min(i, l);
          j = Math.max(j, h);
        }
        lo += i;
        hi += j;
        break;
      }
      case 'ATOMIC_GROUP':
      case 'SUBPATTERN': {
        const [i, j] = getWidth(node.body, state);
        lo += i;
        hi += j;
        break;
      }
      case 'REPEAT': {
        const [i, j] = getWidth(node.body, state);
        lo += i * node.min;
        if (node.max === MAXREPEAT && j) hi = MAXWIDTH;
        else hi += j * node.max;
        break;
      }
      case 'ANY':
      case 'IN':
      case 'LITERAL':
      case 'NOT_LITERAL':
        lo += 1;
        hi += 1;
        break;
      case 'GROUPREF': {
        const w = state.groupwidths[node.group];
        if (w) {
          lo += w[0];
          hi += w[1];
        }
        break;
      }
      case 'GROUPREF_EXISTS': {
        let [i, j] = getWidth(node.yes, state);
        if (node.no !== null) {
          const [l, h] = getWidth(node.no, state);
          i = Math.min(i, l);
          j = Math.max(j, h);
        } else {
          i = 0;
        }
        lo += i;
        hi += j;
        break;
      }
      default:
        break;
    }
  }
  const w: [number, number] = [Math.min(lo, MAXWIDTH), Math.min(hi, MAXWIDTH)];
  widthCache.set(p, w);
  return w;
}

class Tokenizer {
  private readonly chars: string[];
  index = 0;
  next: string | null = null;

  constructor(readonly pattern: string) {
    this.chars = Array.from(pattern);
    this.advance();
  }

  private advance(): void {
    let index = this.index;
    const ch = this.chars[index];
    if (ch === undefined) {
      this.next = null;
      return;
    }
    let tok = ch;
    if (ch === '\\') {
      index += 1;
      const esc = this.chars[index];
      if (esc === undefined) {
        throw new PyRegexError('bad escape (end of pattern)', this.pattern, this.chars.length - 1);
      }
      tok += esc;
    }
    this.index = index + 1;
    this.next = tok;
  }

  match(ch: string): boolean {
    if (ch === this.next) {
      this.advance();
      return true;
    }
    return false;
  }

  get(): string | null {
    const t = this.next;
    this.advance();
    return t;
  }

  getwhile(n: number, charset: string): string {
    let result = '';
    for (let i = 0; i < n; i++) {
      const c = this.next;
      if (!inSet(c, charset)) break;
      result += c;
      this.advance();
    }
    return result;
  }

  getuntil(terminator: string, name: string): string {
    let result = '';
    for (;;) {
      const c = this.next;
      this.advance();
      if (c === null) {
        if (!result) throw this.error(`missing ${name}`);
        throw this.error(`missing ${terminator}, unterminated name`, Array.from(result).length);
      }
      if (c === terminator) {
        if (!result) throw this.error(`missing ${name}`, 1);
        break;
      }
      result += c;
    }
    return result;
  }

  tell(): number {
    return this.index - (this.next === null ? 0 : Array.from(this.next).length);
  }

  seek(index: number): void {
    this.index = index;
    this.advance();
  }

  error(msg: string, offset = 0): PyRegexError {
    return new PyRegexError(msg, this.pattern, this.tell() - offset);
  }

  checkgroupname(name: string, offset: number): void {
    if (!isPyIdentifier(name)) {
      throw this.error(`bad character in group name '${name}'`, Array.from(name).length + offset);
    }
  }
}

function cp(s: string): number {
  return s.codePointAt(0) as number;
}

function len(s: string): number {
  return Array.from(s).length;
}

function parseHexEscape(source: Tokenizer, escape: string, digits: number): number {
  const full = escape + source.getwhile(digits, HEXDIGITS);
  if (len(full) !== digits + 2) throw source.error(`incomplete escape ${full}`, len(full));
  return parseInt(full.slice(2), 16);
}

function classEscape(source: Tokenizer, escape: string): SetItem | { op: 'IN'; items: SetItem[] } {
  const code = ESCAPES[escape];
  if (code !== undefined) return { op: 'LITERAL', c: code };
  const cat = CATEGORY_ESCAPES[escape];
  if (cat && cat.op === 'IN') return cat;
  const c = escape.slice(1, 2);
  if (c === 'x') return { op: 'LITERAL', c: parseHexEscape(source, escape, 2) };
  if (c === 'u') return { op: 'LITERAL', c: parseHexEscape(source, escape, 4) };
  if (c === 'U') {
    const v = parseHexEscape(source, escape, 8);
    if (v > 0x10ffff) throw source.error(`bad escape ${escape}`, len(escape));
    return { op: 'LITERAL', c: v };
  }
  if (c === 'N') throw source.error('named unicode escapes (\\N{...}) are not supported', len(escape));
  if (inSet(c, OCTDIGITS)) {
    const full = escape + source.getwhile(2, OCTDIGITS);
    const v = parseInt(full.slice(1), 8);
    if (v > 0o377) throw source.error(`octal escape value ${full} outside of range 0-0o377`, len(full));
    return { op: 'LITERAL', c: v };
  }
  if (inSet(c, DIGITS)) throw source.error(`bad escape ${escape}`, len(escape));
  if (len(escape) === 2) {
    if (inSet(c, ASCIILETTERS)) throw source.error(`bad escape ${escape}`, len(escape));
    return { op: 'LITERAL', c: cp(escape.slice(1)) };
  }
  throw source.error(`bad escape ${escape}`, len(escape));
}

function escapeInPattern(source: Tokenizer, escape: string, state: State): Node {
  const cat = CATEGORY_ESCAPES[escape];
  if (cat) return cat;
  const code = ESCAPES[escape];
  if (code !== undefined) return { op: 'LITERAL', c: code };
  const c = escape.slice(1, 2);
  if (c === 'x') return { op: 'LITERAL', c: parseHexEscape(source, escape, 2) };
  if (c === 'u') return { op: 'LITERAL', c: parseHexEscape(source, escape, 4) };
  if (c === 'U') {
    const v = parseHexEscape(source, escape, 8);
    if (v > 0x10ffff) throw source.error(`bad escape ${escape}`, len(escape));
    return { op: 'LITERAL', c: v };
  }
  if (c === 'N') throw source.error('named unicode escapes (\\N{...}) are not supported', len(escape));
  if (c === '0') {
    const full = escape + source.getwhile(2, OCTDIGITS);
    return { op: 'LITERAL', c: parseInt(full.slice(1), 8) };
  }
  if (inSet(c, DIGITS)) {
    let full = escape;
    if (inSet(source.next, DIGITS)) {
      full += source.get();
      if (inSet(full[1] ?? null, OCTDIGITS) && inSet(full[2] ?? null, OCTDIGITS) && inSet(source.next, OCTDIGITS)) {
        full += source.get();
        const v = parseInt(full.slice(1), 8);
        if (v > 0o377) throw source.error(`octal escape value ${full} outside of range 0-0o377`, len(full));
        return { op: 'LITERAL', c: v };
      }
    }
    const group = parseInt(full.slice(1), 10);
    if (group < state.groups) {
      if (!state.checkgroup(group)) throw source.error('cannot refer to an open group', len(full));
      state.checklookbehindgroup(group, source);
      return { op: 'GROUPREF', group };
    }
    throw source.error(`invalid group reference ${group}`, len(full) - 1);
  }
  if (len(escape) === 2) {
    if (inSet(c, ASCIILETTERS)) throw source.error(`bad escape ${escape}`, len(escape));
    return { op: 'LITERAL', c: cp(escape.slice(1)) };
  }
  throw source.error(`bad escape ${escape}`, len(escape));
}

function parseSub(source: Tokenizer, state: State, verbose: boolean, nested: number): Node[] {
  const items: Node[][] = [];
  for (;;) {
    items.push(parseSeq(source, state, verbose, nested + 1, !nested && items.length === 0));
    if (!source.match('|')) break;
    if (!nested) verbose = (state.flags & FLAG_VERBOSE) !== 0;
  }
  if (items.length === 1) return items[0] as Node[];
  // Like sre, an alternation of single characters becomes a set, so that repeating it runs as a loop rather than
  // one recursion per iteration.
  const set: SetItem[] = [];
  for (const item of items) {
    const only = item.length === 1 ? item[0] : undefined;
    if (only?.op === 'LITERAL') set.push({ op: 'LITERAL', c: only.c });
    else if (only?.op === 'IN' && only.items[0]?.op !== 'NEGATE') set.push(...only.items);
    else return [{ op: 'BRANCH', alts: items }];
  }
  return [{ op: 'IN', items: uniqItems(set) }];
}

function parseFlags(source: Tokenizer, state: State, first: string): [number, number] | null {
  let char: string | null = first;
  let addFlags = 0;
  let delFlags = 0;
  if (char !== '-') {
    for (;;) {
      const flag = FLAG_CHARS[char as string] as number;
      if (char === 'L') throw source.error("bad inline flags: cannot use 'L' flag with a str pattern");
      addFlags |= flag;
      if (flag & TYPE_FLAGS && (addFlags & TYPE_FLAGS) !== flag) {
        throw source.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
      }
      char = source.get();
      if (char === null) throw source.error('missing -, : or )');
      if (')-:'.includes(char)) break;
      if (!isFlagChar(char)) {
        throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing -, : or )', len(char));
      }
    }
  }
  if (char === ')') {
    state.flags |= addFlags;
    return null;
  }
  if (addFlags & GLOBAL_FLAGS) throw source.error('bad inline flags: cannot turn on global flag', 1);
  if (char === '-') {
    char = source.get();
    if (char === null) throw source.error('missing flag');
    if (!isFlagChar(char)) {
      throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing flag', len(char));
    }
    for (;;) {
      const flag = FLAG_CHARS[char as string] as number;
      if (flag & TYPE_FLAGS) throw source.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
      delFlags |= flag;
      char = source.get();
      if (char === null) throw source.error('missing :');
      if (char === ':') break;
      if (!isFlagChar(char)) {
        throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing :', len(char));
      }
    }
  }
  if (delFlags & GLOBAL_FLAGS) throw source.error('bad inline flags: cannot turn off global flag', 1);
  if (addFlags & delFlags) throw source.error('bad inline flags: flag turned on and off', 1);
  return [addFlags, delFlags];
}

function uniqItems(items: SetItem[]): SetItem[] {
  const seen = new Set<string>();
  const out: SetItem[] = [];
  for (const it of items) {
    const k = JSON.stringify(it);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(it);
    }
  }
  return out;
}

function parseSet(source: Tokenizer): Node {
  const here = source.tell() - 1;
  let set: SetItem[] = [];
  const negate = source.match('^');
  for (;;) {
    const tok = source.get();
    if (tok === null) throw source.error('unterminated character set', source.tell() - here);
    if (tok === ']' && set.length) break;
    let code1: SetItem | { op: 'IN'; items: SetItem[] };
    if (tok[0] === '\\') code1 = classEscape(source, tok);
    else code1 = { op: 'LITERAL', c: cp(tok) };
    if (source.match('-')) {
      const that = source.get();
      if (that === null) throw source.error('unterminated character set', source.tell() - here);
      if (that === ']') {
        set.push(code1.op === 'IN' ? (code1.items[0] as SetItem) : code1);
        set.push({ op: 'LITERAL', c: 45 });
        break;
      }
      const code2 = that[0] === '\\' ? classEscape(source, that) : ({ op: 'LITERAL', c: cp(that) } as SetItem);
      if (code1.op !== 'LITERAL' || code2.op !== 'LITERAL') {
        throw source.error(`bad character range ${tok}-${that}`, len(tok) + 1 + len(that));
      }
      if (code2.c < code1.c) throw source.error(`bad character range ${tok}-${that}`, len(tok) + 1 + len(that));
      set.push({ op: 'RANGE', lo: code1.c, hi: code2.c });
    } else {
      set.push(code1.op === 'IN' ? (code1.items[0] as SetItem) : code1);
    }
  }
  set = uniqItems(set);
  if (set.length === 1 && set[0]?.op === 'LITERAL') {
    return negate ? { op: 'NOT_LITERAL', c: set[0].c } : { op: 'LITERAL', c: set[0].c };
  }
  if (negate) set.unshift({ op: 'NEGATE' });
  return { op: 'IN', items: set };
}

function parseSeq(source: Tokenizer, state: State, verbose: boolean, nested: number, first = false): Node[] {
  const sub: Node[] = [];
  for (;;) {
    const tok = source.next;
    if (tok === null) break;
    if (tok === '|' || tok === ')') break;
    source.get();
    if (verbose) {
      if (inSet(tok, WHITESPACE)) continue;
      if (tok === '#') {
        for (;;) {
          const t = source.get();
          if (t === null || t === '\n') break;
        }
        continue;
      }
    }
    if (tok[0] === '\\') {
      sub.push(escapeInPattern(source, tok, state));
    } else if (!SPECIAL_CHARS.includes(tok)) {
      sub.push({ op: 'LITERAL', c: cp(tok) });
    } else if (tok === '[') {
      sub.push(parseSet(source));
    } else if (REPEAT_CHARS.includes(tok)) {
      const here = source.tell();
      let min: number;
      let max: number;
      if (tok === '?') [min, max] = [0, 1];
      else if (tok === '*') [min, max] = [0, MAXREPEAT];
      else if (tok === '+') [min, max] = [1, MAXREPEAT];
      else {
        if (source.next === '}') {
          sub.push({ op: 'LITERAL', c: cp(tok) });
          continue;
        }
        [min, max] = [0, MAXREPEAT];
        let lo = '';
        let hi = '';
        while (inSet(source.next, DIGITS)) lo += source.get();
        if (source.match(',')) {
          while (inSet(source.next, DIGITS)) hi += source.get();
        } else {
          hi = lo;
        }
        if (!source.match('}')) {
          sub.push({ op: 'LITERAL', c: cp(tok) });
          source.seek(here);
          continue;
        }
        if (lo) {
          min = Number(lo);
          if (min >= MAXREPEAT) throw new PyRegexError('the repetition number is too large', source.pattern, null);
        }
        if (hi) {
          max = Number(hi);
          if (max >= MAXREPEAT) throw new PyRegexError('the repetition number is too large', source.pattern, null);
          if (max < min) throw source.error('min repeat greater than max repeat', source.tell() - here);
        }
      }
      const last = sub[sub.length - 1];
      if (!last || last.op === 'AT') throw source.error('nothing to repeat', source.tell() - here + len(tok));
      if (last.op === 'REPEAT') throw source.error('multiple repeat', source.tell() - here + len(tok));
      let body: Node[] = [last];
      if (last.op === 'SUBPATTERN' && last.group === null && !last.add && !last.del) body = last.body;
      let kind: 'MAX' | 'MIN' | 'POSSESSIVE' = 'MAX';
      if (source.match('?')) kind = 'MIN';
      else if (source.match('+')) kind = 'POSSESSIVE';
      sub[sub.length - 1] = { op: 'REPEAT', kind, min, max, body };
    } else if (tok === '.') {
      sub.push({ op: 'ANY' });
    } else if (tok === '(') {
      const start = source.tell() - 1;
      let capture = true;
      let atomic = false;
      let name: string | null = null;
      let addFlags = 0;
      let delFlags = 0;
      if (source.match('?')) {
        const char = source.get();
        if (char === null) throw source.error('unexpected end of pattern');
        if (char === 'P') {
          if (source.match('<')) {
            name = source.getuntil('>', 'group name');
            source.checkgroupname(name, 1);
          } else if (source.match('=')) {
            const ref = source.getuntil(')', 'group name');
            source.checkgroupname(ref, 1);
            const gid = state.groupdict.get(ref);
            if (gid === undefined) throw source.error(`unknown group name '${ref}'`, len(ref) + 1);
            if (!state.checkgroup(gid)) throw source.error('cannot refer to an open group', len(ref) + 1);
            state.checklookbehindgroup(gid, source);
            sub.push({ op: 'GROUPREF', group: gid });
            continue;
          } else {
            const c2 = source.get();
            if (c2 === null) throw source.error('unexpected end of pattern');
            throw source.error(`unknown extension ?P${c2}`, len(c2) + 2);
          }
        } else if (char === ':') {
          capture = false;
        } else if (char === '#') {
          for (;;) {
            if (source.next === null) {
              throw source.error('missing ), unterminated comment', source.tell() - start);
            }
            if (source.get() === ')') break;
          }
          continue;
        } else if ('=!<'.includes(char)) {
          let dir = 1;
          let kindChar = char;
          let savedLookbehind: number | null = null;
          if (char === '<') {
            const c2 = source.get();
            if (c2 === null) throw source.error('unexpected end of pattern');
            if (!'=!'.includes(c2)) throw source.error(`unknown extension ?<${c2}`, len(c2) + 2);
            kindChar = c2;
            dir = -1;
            savedLookbehind = state.lookbehindgroups;
            if (savedLookbehind === null) state.lookbehindgroups = state.groups;
          }
          const p = parseSub(source, state, verbose, nested + 1);
          if (dir < 0 && savedLookbehind === null) state.lookbehindgroups = null;
          if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
          sub.push({ op: 'ASSERT', behind: dir < 0, negate: kindChar === '!', body: p });
          continue;
        } else if (char === '(') {
          const condname = source.getuntil(')', 'group name');
          let condgroup: number;
          if (isPyIdentifier(condname)) {
            const g = state.groupdict.get(condname);
            if (g === undefined) throw source.error(`unknown group name '${condname}'`, len(condname) + 1);
            condgroup = g;
          } else {
            if (!/^\d+$/u.test(condname)) {
              throw source.error(`bad character in group name '${condname}'`, len(condname) + 1);
            }
            condgroup = Number(condname);
            if (!condgroup) throw source.error('bad group number', len(condname) + 1);
            if (condgroup >= MAXGROUPS) {
              throw source.error(`invalid group reference ${condgroup}`, len(condname) + 1);
            }
            if (!state.grouprefpos.has(condgroup)) {
              state.grouprefpos.set(condgroup, source.tell() - len(condname) - 1);
            }
          }
          state.checklookbehindgroup(condgroup, source);
          const yes = parseSeq(source, state, verbose, nested + 1);
          let no: Node[] | null = null;
          if (source.match('|')) {
            no = parseSeq(source, state, verbose, nested + 1);
            if (source.next === '|') throw source.error('conditional backref with more than two branches');
          }
          if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
          sub.push({ op: 'GROUPREF_EXISTS', group: condgroup, yes, no });
          continue;
        } else if (char === '>') {
          capture = false;
          atomic = true;
        } else if (isFlagChar(char) || char === '-') {
          const flags = parseFlags(source, state, char);
          if (flags === null) {
            if (!first || sub.length) {
              throw source.error('global flags not at the start of the expression', source.tell() - start);
            }
            verbose = (state.flags & FLAG_VERBOSE) !== 0;
            continue;
          }
          [addFlags, delFlags] = flags;
          capture = false;
        } else {
          throw source.error(`unknown extension ?${char}`, len(char) + 1);
        }
      }
      let group: number | null = null;
      if (capture) {
        try {
          group = state.opengroup(name);
        } catch (err) {
          throw source.error((err as Error).message, len(name ?? '') + 1);
        }
      }
      const subVerbose = (verbose || (addFlags & FLAG_VERBOSE) !== 0) && !(delFlags & FLAG_VERBOSE);
      const p = parseSub(source, state, subVerbose, nested + 1);
      if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
      if (group !== null) state.closegroup(group, p);
      if (atomic) sub.push({ op: 'ATOMIC_GROUP', body: p });
      else sub.push({ op: 'SUBPATTERN', group, add: addFlags, del: delFlags, body: p });
    } else if (tok === '^') {
      sub.push({ op: 'AT', at: 'BEGINNING' });
    } else if (tok === '$') {
      sub.push({ op: 'AT', at: 'END' });
    }
  }
  // Plain non-capturing groups are inlined, as sre does; repeats already took their bodies out.
  const out: Node[] = [];
  for (const n of sub) {
    if (n.op === 'SUBPATTERN' && n.group === null && !n.add && !n.del) out.push(...n.body);
    else out.push(n);
  }
  return out;
}

/** Checks sre_compile performs that the parser does not (look-behind width). */
function checkCompile(nodes: Node[], state: State, flags: number): void {
  for (const n of nodes) {
    switch (n.op) {
      case 'ASSERT':
        if (n.behind) {
          const [lo, hi] = getWidth(n.body, state);
          if (lo > MAXCODE) throw new PyRegexError('looks too much behind', '', null);
          if (lo !== hi) throw new PyRegexError('look-behind requires fixed-width pattern', '', null);
        }
        checkCompile(n.body, state, flags);
        break;
      case 'BRANCH':
        for (const a of n.alts) checkCompile(a, state, flags);
        break;
      case 'SUBPATTERN':
        checkCompile(n.body, state, combineFlags(flags, n.add, n.del));
        break;
      case 'ATOMIC_GROUP':
        checkCompile(n.body, state, flags);
        break;
      case 'REPEAT':
        if (flags & FLAG_TEMPLATE) throw new PyRegexError('internal: unsupported template operator', '', null);
        checkCompile(n.body, state, flags);
        break;
      case 'GROUPREF_EXISTS':
        checkCompile(n.yes, state, flags);
        if (n.no) checkCompile(n.no, state, flags);
        break;
      default:
        break;
    }
  }
}

export function combineFlags(flags: number, add: number, del: number): number {
  if (add & TYPE_FLAGS) flags &= ~TYPE_FLAGS;
  return (flags | add) & ~del;
}

/** Parses a Python `re` pattern (str pattern, no compile flags), raising PyRegexError where `re.compile` fails. */
export function parsePyRegex(pattern: string): ParsedPattern {
  const source = new Tokenizer(pattern);
  const state = new State();
  const nodes = parseSub(source, state, false, 0);
  let flags = state.flags;
  if (!(flags & FLAG_ASCII)) flags |= FLAG_UNICODE;
  else if (flags & FLAG_UNICODE) throw new PyRegexError('ASCII and UNICODE flags are incompatible', pattern, null);
  if (source.next !== null) throw source.error('unbalanced parenthesis');
  for (const [g, pos] of state.grouprefpos) {
    if (g >= state.groups) throw new PyRegexError(`invalid group reference ${g}`, pattern, pos);
  }
  try {
    checkCompile(nodes, state, flags);
  } catch (err) {
    if (err instanceof PyRegexError) throw new PyRegexError(err.message, pattern, null);
    throw err;
  }
  return { nodes, flags, groups: state.groups, groupIndex: state.groupdict, groupWidths: state.groupwidths };
}
