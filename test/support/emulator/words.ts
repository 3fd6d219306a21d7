/** Command-line words and keyword matching as network CLIs do it: any unique prefix of a keyword is the keyword. */

export interface Word {
  text: string;
  /** Column of the first character (prompt not counted), for a caret under the right place. */
  offset: number;
  end: number;
}

export function tokenize(line: string, lead = 0): Word[] {
  const out: Word[] = [];
  const re = /\S+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    out.push({ text: m[0], offset: lead + m.index, end: lead + m.index + m[0].length });
  }
  return out;
}

export type Resolved = { kind: 'ok'; word: string } | { kind: 'invalid' | 'ambiguous' };

/** An exact keyword, or the one keyword the word is a prefix of. */
export function resolve(word: string, keywords: readonly string[]): Resolved {
  const w = word.toLowerCase();
  if (keywords.includes(w)) return { kind: 'ok', word: w };
  const hits = keywords.filter((k) => k.startsWith(w));
  if (hits.length === 1) return { kind: 'ok', word: hits[0] as string };
  return { kind: hits.length === 0 ? 'invalid' : 'ambiguous' };
}

/**
 * Matches words against a command written as keywords (`show ip interface brief`); `<x>` takes any one word.
 * Returns the captured `<x>` words, or where and why it failed.
 */
export function matchCommand(
  words: readonly Word[],
  spec: string,
): { ok: true; args: string[] } | { ok: false; at: number; kind: 'invalid' | 'ambiguous' | 'incomplete' } {
  const parts = spec.split(' ');
  const args: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    const w = words[i];
    if (!w) return { ok: false, at: i, kind: 'incomplete' };
    if (p.startsWith('<')) {
      args.push(w.text);
      continue;
    }
    const r = resolve(w.text, [p]);
    if (r.kind !== 'ok') return { ok: false, at: i, kind: r.kind };
  }
  if (words.length > parts.length) return { ok: false, at: parts.length, kind: 'invalid' };
  return { ok: true, args };
}

/**
 * Picks the command of `specs` that the words name, the way a CLI walks its parse tree: at each position only the
 * specs still alive compete, so `sh ip int br` resolves word by word. `<x>` takes one word, a last `<x...>` all the
 * remaining ones (at least one). The error says at which word it failed.
 */
export function pickCommand(
  words: readonly Word[],
  specs: readonly string[],
): { ok: true; spec: string; args: string[] } | { ok: false; at: number; kind: 'invalid' | 'ambiguous' | 'incomplete' } {
  const expand = (spec: string): string[] => {
    const parts = spec.split(' ');
    const last = parts[parts.length - 1] as string;
    if (!last.endsWith('...>')) return parts;
    const k = parts.length - 1;
    return [...parts.slice(0, k), ...new Array<string>(Math.max(1, words.length - k)).fill(last)];
  };
  const original = new Map(specs.map((s) => [expand(s).join(' '), s]));
  let alive = [...original.keys()].map((s) => s.split(' '));
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as Word;
    const literal = alive.filter((p) => p[i] !== undefined && !(p[i] as string).startsWith('<')).map((p) => p[i] as string);
    const r = resolve(w.text, [...new Set(literal)]);
    if (r.kind === 'ok') {
      alive = alive.filter((p) => p[i] === r.word);
    } else {
      const wild = alive.filter((p) => p[i] !== undefined && (p[i] as string).startsWith('<'));
      if (wild.length === 0) return { ok: false, at: i, kind: r.kind === 'ambiguous' ? 'ambiguous' : 'invalid' };
      alive = wild;
      args.push(w.text);
    }
  }
  const done = alive.filter((p) => p.length === words.length);
  if (done.length === 0) return { ok: false, at: words.length, kind: 'incomplete' };
  return { ok: true, spec: original.get((done[0] as string[]).join(' ')) as string, args };
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

export function maskBits(mask: string): number {
  return mask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).replace(/0/g, '').length, 0);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
export const dayName = (d: Date): string => DAYS[d.getUTCDay()] as string;
export const monthName = (d: Date): string => MONTHS[d.getUTCMonth()] as string;

/** The time since `since`, in weeks, days, hours, minutes and seconds. */
export function uptimeParts(since: number): { weeks: number; days: number; hours: number; minutes: number; seconds: number } {
  let s = Math.floor((Date.now() - since) / 1000);
  const weeks = Math.floor(s / 604800);
  s -= weeks * 604800;
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  return { weeks, days, hours, minutes, seconds: s - minutes * 60 };
}

/** `W weeks, D days, H hours, M minutes` since `since` (IOS style). */
export function uptimeText(since: number): string {
  const { weeks, days, hours, minutes } = uptimeParts(since);
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(weeks, 'week')}, ${plural(days, 'day')}, ${plural(hours, 'hour')}, ${plural(minutes, 'minute')}`;
}
