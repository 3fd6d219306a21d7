/**
 * Character predicates and case mappings with the semantics CPython's `re` (sre) and `str` use, which differ from
 * JavaScript's: Python's `\s` includes U+001C..U+001F and U+0085 but not U+FEFF, its `\w` is Unicode-aware, and
 * `str.splitlines()` breaks on more than `\n`.
 */

const SPACE_CODES = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** `str.isspace()` / sre's unicode `\s` (Py_UNICODE_ISSPACE). */
export function isPySpace(c: number): boolean {
  return SPACE_CODES.has(c);
}

/** `\s` under the ASCII flag. */
export function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

export function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAsciiWord(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

const ND_RE = /^\p{Nd}$/u;
const WORD_RE = /^[\p{L}\p{N}_]$/u;
const digitCache = new Map<number, boolean>();
const wordCache = new Map<number, boolean>();

function cachedTest(cache: Map<number, boolean>, re: RegExp, c: number): boolean {
  let v = cache.get(c);
  if (v === undefined) {
    v = re.test(String.fromCodePoint(c));
    if (cache.size < 65536) cache.set(c, v);
  }
  return v;
}

/** sre's unicode `\d`: Py_UNICODE_ISDECIMAL, i.e. general category Nd. */
export function isPyDigit(c: number): boolean {
  if (c < 128) return isAsciiDigit(c);
  return cachedTest(digitCache, ND_RE, c);
}

/** sre's unicode `\w`: `str.isalnum()` or `_` (letters and all numeric categories). */
export function isPyWord(c: number): boolean {
  if (c < 128) return isAsciiWord(c);
  return cachedTest(wordCache, WORD_RE, c);
}

const lowerCache = new Map<number, number>();
const upperCache = new Map<number, number>();

/** Simple (one code point) lowercase mapping, as `_sre.unicode_tolower`. */
export function pyLower(c: number): number {
  if (c < 128) return c >= 0x41 && c <= 0x5a ? c + 32 : c;
  let v = lowerCache.get(c);
  if (v === undefined) {
    // JavaScript only exposes the full mapping; it differs from the simple one only where it expands.
    if (c === 0x130) v = 0x69;
    else {
      const s = String.fromCodePoint(c).toLowerCase();
      const cp = s.codePointAt(0) ?? c;
      v = s.length === String.fromCodePoint(cp).length ? cp : c;
    }
    lowerCache.set(c, v);
  }
  return v;
}

/** Simple uppercase mapping, as `_sre.unicode_toupper`. */
export function pyUpper(c: number): number {
  if (c < 128) return c >= 0x61 && c <= 0x7a ? c - 32 : c;
  let v = upperCache.get(c);
  if (v === undefined) {
    const s = String.fromCodePoint(c).toUpperCase();
    const cp = s.codePointAt(0) ?? c;
    v = s.length === String.fromCodePoint(cp).length ? cp : c;
    upperCache.set(c, v);
  }
  return v;
}

export function asciiLower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

export function isCased(c: number): boolean {
  return pyLower(c) !== c || pyUpper(c) !== c;
}

export function isAsciiCased(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * Characters that sre treats as equal under IGNORECASE although their lowercase forms differ (CPython's
 * `re._casefix._EXTRA_CASES`), keyed by lowercase code point.
 */
export const EXTRA_CASES: ReadonlyMap<number, readonly number[]> = new Map<number, number[]>([
  [0x0069, [0x0131]], [0x0073, [0x017f]], [0x00b5, [0x03bc]], [0x0131, [0x0069]], [0x017f, [0x0073]],
  [0x0345, [0x03b9, 0x1fbe]], [0x0390, [0x1fd3]], [0x03b0, [0x1fe3]], [0x03b2, [0x03d0]], [0x03b5, [0x03f5]],
  [0x03b8, [0x03d1]], [0x03b9, [0x0345, 0x1fbe]], [0x03ba, [0x03f0]], [0x03bc, [0x00b5]], [0x03c0, [0x03d6]],
  [0x03c1, [0x03f1]], [0x03c2, [0x03c3]], [0x03c3, [0x03c2]], [0x03c6, [0x03d5]], [0x03d0, [0x03b2]],
  [0x03d1, [0x03b8]], [0x03d5, [0x03c6]], [0x03d6, [0x03c0]], [0x03f0, [0x03ba]], [0x03f1, [0x03c1]],
  [0x03f5, [0x03b5]], [0x0432, [0x1c80]], [0x0434, [0x1c81]], [0x043e, [0x1c82]], [0x0441, [0x1c83]],
  [0x0442, [0x1c84, 0x1c85]], [0x044a, [0x1c86]], [0x0463, [0x1c87]], [0x1c80, [0x0432]], [0x1c81, [0x0434]],
  [0x1c82, [0x043e]], [0x1c83, [0x0441]], [0x1c84, [0x0442, 0x1c85]], [0x1c85, [0x0442, 0x1c84]],
  [0x1c86, [0x044a]], [0x1c87, [0x0463]], [0x1c88, [0xa64b]], [0x1e61, [0x1e9b]], [0x1e9b, [0x1e61]],
  [0x1fbe, [0x0345, 0x03b9]], [0x1fd3, [0x0390]], [0x1fe3, [0x03b0]], [0xa64b, [0x1c88]], [0xfb05, [0xfb06]],
  [0xfb06, [0xfb05]],
]);

/** Python's `str.isidentifier()` (close enough: XID properties without NFKC subtleties). */
export function isPyIdentifier(s: string): boolean {
  return /^[\p{XID_Start}_][\p{XID_Continue}]*$/u.test(s);
}

const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** Python's `str.splitlines()` without keepends: no trailing empty line for a final line break. */
export function pySplitLines(text: string): string[] {
  if (!text) return [];
  const parts = text.split(LINE_BREAKS);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Python's `str.rstrip()` with no argument. */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0) {
    const cu = s.charCodeAt(end - 1);
    if (!SPACE_CODES.has(cu)) break;
    end--;
  }
  return s.slice(0, end);
}

/** Python's `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  const r = pyRstrip(s);
  let start = 0;
  while (start < r.length && SPACE_CODES.has(r.charCodeAt(start))) start++;
  return r.slice(start);
}

/** A string as code points, the unit Python indexes strings by. */
export interface Subject {
  readonly str: string;
  readonly codes: Int32Array;
  /** True when every code point is one UTF-16 unit, so code point offsets are string offsets. */
  readonly bmp: boolean;
}

export function toSubject(str: string): Subject {
  const codes = new Int32Array(str.length);
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    const cu = str.charCodeAt(i);
    if (cu >= 0xd800 && cu <= 0xdbff && i + 1 < str.length) {
      const lo = str.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        codes[n++] = (cu - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    codes[n++] = cu;
  }
  const bmp = n === str.length;
  return { str, codes: bmp ? codes : codes.slice(0, n), bmp };
}

export function subjectSlice(s: Subject, start: number, end: number): string {
  if (s.bmp) return s.str.slice(start, end);
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCodePoint(s.codes[i] as number);
  return out;
}
