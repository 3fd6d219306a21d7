/**
 * What a terminal shows for the raw text of an interactive CLI session: ANSI codes, carriage returns, backspaces
 * and pager markers resolved into plain lines. Pure code.
 */

/** Pager markers of IOS/NX-OS/EOS (--More--), Huawei/Comware (---- More ----), Junos (---(more 45%)---), ASA (<--- More --->). */
export const DEFAULT_PAGER = /(?:^|\n)[^\n]*?(?:<)?-{2,}\s*\(?\s*more(?:\s+\d+%)?\s*\)?\s*-{2,}(?:>)?[ \t]*$/i;

/**
 * Every pager marker the families know (the default ones, ProCurve's, EXOS's, PAN-OS's less-style `lines 1-23`),
 * for a session whose family is not known yet (generic, autodetect).
 */
export const ANY_PAGER = new RegExp(
  [
    DEFAULT_PAGER.source,
    /-- MORE --, next page: Space, next line: Enter, quit: Control-C\s*$/.source,
    /Press <SPACE> to continue or <Q> to quit:\s*$/.source,
    /(?:^|\n)lines \d+-\d+(?:\/\d+)?(?: \(END\))?\s*$/.source,
  ].join('|'),
  'i',
);

/** Stands for a pager marker in collected text, so `cleanTerminalText` can remove it with its erase sequence. */
export const MORE_SENTINEL = '\u0000MORE\u0000';

const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[A-Z=>]/g;

function applyBackspaces(line: string): string {
  if (!line.includes('\b')) return line;
  const out: string[] = [];
  for (const ch of line) {
    if (ch === '\b') out.pop();
    else out.push(ch);
  }
  return out.join('');
}

/** What a terminal would show for one line: ANSI codes dropped, carriage returns overwrite, backspaces erase. */
export function renderLine(line: string): string {
  let l = line.replace(ANSI_RE, '');
  const cr = l.lastIndexOf('\r');
  if (cr >= 0) {
    const after = l.slice(cr + 1);
    l = after.trim() === '' ? l.slice(0, cr).replace(/\r/g, '') : after;
  }
  return applyBackspaces(l);
}

/** The last (possibly unfinished) line of raw text, rendered. */
export function lastLine(buf: string): string {
  return renderLine(buf.slice(buf.lastIndexOf('\n') + 1));
}

/**
 * Turns raw channel text into plain lines: pager markers and the sequence that erases them go away (IOS erases
 * with backspaces, others with CR + spaces or ANSI), line endings become `\n`.
 */
export function cleanTerminalText(raw: string): string {
  const withoutPager = raw.replace(/\u0000MORE\u0000(?:\x1b\[[0-9;?]*[A-Za-z])*(?:\x08+ *\x08+|\r *\r)?/g, '');
  return withoutPager
    .replace(/\r+\n|\n\r/g, '\n')
    .split('\n')
    .map(renderLine)
    .join('\n');
}

/** Escapes text for use inside a RegExp. */
export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
