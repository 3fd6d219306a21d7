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
import { PyRegexError } from './textfsm/pyre-parse.js';
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
  const pattern = pythonGroupSyntax(template);
  try {
    return new PyRegex(`${MULTILINE}${pattern}`);
  } catch (e) {
    // An error's position counts from the caller's pattern (as Python's re.compile(p, re.M) says it), not from the
    // flag added here; a pattern rewritten from JavaScript syntax keeps the position in the rewritten text.
    if (e instanceof PyRegexError && e.pos !== null && pattern === template) {
      throw new PyRegexError(e.message.replace(/ at position \d+$/, ''), template, e.pos - MULTILINE.length);
    }
    throw e;
  }
}
const MULTILINE = '(?m)';

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
 * Compiles the request's own templates without running them (a submission's check: the same engines, the same
 * errors as the job would meet). ntc-templates templates are the deployment's, not the caller's: nothing to check.
 * Like parsing, this runs only on a parse thread: compiling is linear in the pattern as far as we know, but it is
 * the caller's input all the same.
 * @throws PyRegexError, TextFsmTemplateError for a bad template
 */
export function compileParseItems(items: readonly ParseItem[]): Record<string, unknown> {
  for (const item of items) {
    if (item.engine === 'regex') compileUserRegex(item.template);
    else if (item.engine === 'textfsm') new TextFsm(item.template);
  }
  return {};
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
