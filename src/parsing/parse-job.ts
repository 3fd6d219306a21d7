/**
 * One job's parsing as plain data, and the code that runs it: in a parse thread (parse-pool.ts), or on the
 * caller's event loop for the benchmark's baseline. Pure code: the texts and templates are given.
 *
 * Every engine here runs the request's own patterns with backtracking (Python `re` semantics, see textfsm/pyre.ts),
 * so nothing in this module is ever called on a process's event loop in production: a pattern may take
 * exponential time, and only a thread that can be stopped from outside bounds it.
 */
import { parseWithNtcTemplates } from './ntc-templates.js';
import { TextFsm, type ParseTrace } from './textfsm/fsm.js';
import { PyRegex } from './textfsm/pyre.js';
import { toSubject } from './textfsm/pyre-unicode.js';

/** One command's output and how to parse it. `key` names it in the result (the command line). */
export type ParseItem =
  | { key: string; engine: 'regex'; template: string; text: string }
  | { key: string; engine: 'textfsm'; template: string; text: string }
  | { key: string; engine: 'ntc'; templates: string[]; text: string };

/** Trace slots (an Int32Array of this length, shared with the thread's owner). */
export const TRACE_TEMPLATE_LINE = 0;
export const TRACE_NTC_TEMPLATE = 1;
export const TRACE_ITEM = 2;
export const TRACE_LENGTH = 3;

/**
 * JavaScript's named groups (`(?<name>…)`, `\k<name>`) as Python writes them (`(?P<name>…)`, `(?P=name)`), so
 * `regex` templates written for either run on the Python engine; Python's own syntax passes unchanged.
 */
export function pythonGroupSyntax(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const named = inClass ? null : /^\\k<([A-Za-z_]\w*)>/.exec(pattern.slice(i));
      if (named) {
        out += `(?P=${named[1]!})`;
        i += named[0].length - 1;
      } else {
        out += pattern.slice(i, i + 2);
        i++;
      }
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // `[]…]` and `[^]…]`: a `]` first in the set is a member, not its end (as in Python).
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
      continue;
    }
    if (pattern.startsWith('(?<', i) && /^[A-Za-z_]\w*>/.test(pattern.slice(i + 3))) {
      out += '(?P<';
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

/** A `regex` template compiled as NetPulse runs it: Python `re`, MULTILINE (`^`/`$` at each line). */
export function compileUserRegex(template: string): PyRegex {
  return new PyRegex(`(?m)${pythonGroupSyntax(template)}`);
}

/** `[m.groupdict() for m in re.finditer(pattern, text)]`, with Python 3.7's rules for empty matches. */
export function regexRecords(re: PyRegex, text: string): Record<string, string | null>[] {
  const subject = toSubject(text);
  const n = subject.codes.length;
  const out: Record<string, string | null>[] = [];
  let pos = 0;
  let afterEmpty = false;
  while (pos <= n) {
    let found = false;
    for (let start = pos; start <= n; start++) {
      // After an empty match, the next one may start at the same place only if it is not empty (sre's must_advance).
      const m = re.matchAt(subject, start, afterEmpty && start === pos);
      if (!m) continue;
      const [s, e] = m.span(0)!;
      out.push(Object.fromEntries(m.groupdict()));
      afterEmpty = s === e;
      pos = e;
      found = true;
      break;
    }
    if (!found) break;
  }
  return out;
}

function runItem(item: ParseItem, trace: ParseTrace | null): unknown {
  switch (item.engine) {
    case 'regex':
      return regexRecords(compileUserRegex(item.template), item.text);
    case 'textfsm':
      return new TextFsm(item.template).parse(item.text, true, trace);
    case 'ntc':
      return parseWithNtcTemplates(item.templates, item.text, trace);
  }
}

/**
 * Parses every item; the result is keyed like the job's output. `trace` (TRACE_LENGTH slots) tells whoever
 * stops the run which item and template line it was on.
 * @throws PyRegexError, TextFsmTemplateError, TextFsmError, NtcIndexError for a bad template or an `Error` action
 */
export function runParseItems(items: readonly ParseItem[], trace: ParseTrace | null = null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  items.forEach((item, i) => {
    if (trace) {
      trace[TRACE_ITEM] = i;
      trace[TRACE_TEMPLATE_LINE] = 0;
      trace[TRACE_NTC_TEMPLATE] = 0;
    }
    out[item.key] = runItem(item, trace);
  });
  return out;
}
