/**
 * Template loading, following Python textfsm 2.x `TextFSM._Parse`, `TextFSMValue.Parse` and `TextFSMRule.__init__`
 * step by step: the same acceptance, the same line counting, the same messages. Python's own helper regexes are run
 * through the Python-compatible matcher so that their corner cases (greedy `.*` before ` ->`, `\s` sets) agree.
 */
import { TextFsmTemplateError } from './errors.js';
import { PyRegex } from './pyre.js';
import { PyRegexError } from './pyre-parse.js';
import { pyRstrip, pyStrip } from './pyre-unicode.js';

export const OPTION_NAMES = ['Filldown', 'Fillup', 'Key', 'List', 'OptionBase', 'Required'] as const;
export type OptionName = (typeof OPTION_NAMES)[number];

export interface ValueDef {
  name: string;
  /** The regex as written, e.g. `(\S+)`. */
  regex: string;
  /** The regex with its outer group named after the value, substituted for `${name}` in rules. */
  template: string;
  options: OptionName[];
  /** Compiled value regex, kept for List values whose nested named groups become dicts. */
  listRegex: PyRegex | null;
}

export type LineOp = '' | 'Next' | 'Continue' | 'Error';
export type RecordOp = '' | 'Record' | 'NoRecord' | 'Clear' | 'Clearall';

export interface Rule {
  /** The rule's regex text before `${var}` substitution. */
  match: string;
  regex: PyRegex;
  lineOp: LineOp;
  recordOp: RecordOp;
  /** Destination state, or the quoted message of an `Error` action; '' when absent. */
  newState: string;
  lineNum: number;
}

export interface CompiledTemplate {
  values: ValueDef[];
  /** States in definition order, `End` removed as Python does. */
  states: Map<string, Rule[]>;
}

const MAX_NAME_LEN = 48;
const LINE_OPS = ['Continue', 'Next', 'Error'];
const RECORD_OPS = ['Clear', 'Clearall', 'Record', 'NoRecord'];
const LINE_OP_RE = `(?P<ln_op>${LINE_OPS.join('|')})`;
const RECORD_OP_RE = `(?P<rec_op>${RECORD_OPS.join('|')})`;
const OPERATOR_RE = `(${LINE_OP_RE}(\\.${RECORD_OP_RE})?)`;
const NEWSTATE_RE = '(?P<new_state>\\w+|\\".*\\")';

const MATCH_ACTION = new PyRegex('(?P<match>.*)(\\s->(?P<action>.*))');
const ACTION_RE = new PyRegex(`\\s+${OPERATOR_RE}(\\s+${NEWSTATE_RE})?$`);
const ACTION2_RE = new PyRegex(`\\s+${RECORD_OP_RE}(\\s+${NEWSTATE_RE})?$`);
const ACTION3_RE = new PyRegex(`(\\s+${NEWSTATE_RE})?$`);
const COMMENT_RE = new PyRegex('^\\s*#');
const STATE_NAME_RE = new PyRegex('^(\\w+)$');
const WORD_RE = new PyRegex('\\w+');

function cpLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `string.Template(text).substitute(mapping)`; throws where Python raises KeyError or ValueError. */
export function templateSubstitute(text: string, mapping: ReadonlyMap<string, string>): string {
  const re = /\$(?:(\$)|([_a-zA-Z][_a-zA-Z0-9]*)|\{([_a-zA-Z][_a-zA-Z0-9]*)\}|())/g;
  return text.replace(re, (_m, escaped: string | undefined, named: string | undefined, braced: string | undefined) => {
    if (escaped !== undefined) return '$';
    const key = named ?? braced;
    if (key === undefined) throw new Error('Invalid placeholder in string');
    const v = mapping.get(key);
    if (v === undefined) throw new Error(`KeyError: '${key}'`);
    return v;
  });
}

function compileRegex(pattern: string): PyRegex {
  return new PyRegex(pattern);
}

function parseValue(line: string): ValueDef {
  const tokens = line.split(' ');
  if (tokens.length < 3) throw new TextFsmTemplateError('Expect at least 3 tokens on line.');
  const options: OptionName[] = [];
  let name: string;
  let regex: string;
  if (!(tokens[2] as string).startsWith('(')) {
    for (const opt of (tokens[1] as string).split(',')) {
      if (options.includes(opt as OptionName)) throw new TextFsmTemplateError(`Duplicate option "${opt}"`);
      if (!(OPTION_NAMES as readonly string[]).includes(opt)) throw new TextFsmTemplateError(`Unknown option "${opt}"`);
      options.push(opt as OptionName);
    }
    name = tokens[2] as string;
    regex = tokens.slice(3).join(' ');
  } else {
    name = tokens[1] as string;
    regex = tokens.slice(2).join(' ');
  }
  if (cpLen(name) > MAX_NAME_LEN) throw new TextFsmTemplateError(`Invalid Value name '${name}' or name too long.`);
  if (!regex.startsWith('(') || !regex.endsWith(')') || regex.slice(-2, -1) === '\\') {
    throw new TextFsmTemplateError(`Value '${regex}' must be contained within a '()' pair.`);
  }
  let compiled: PyRegex;
  try {
    compiled = compileRegex(regex);
  } catch (err) {
    if (err instanceof PyRegexError) throw new TextFsmTemplateError(err.message, null, { cause: err });
    throw err;
  }
  if (name.includes('\\')) {
    // Python builds the named group with re.sub, whose replacement syntax rejects such names.
    throw new TextFsmTemplateError(`Invalid Value name '${name}'.`);
  }
  return {
    name,
    regex,
    template: `(?P<${name}>${regex.slice(1)}`,
    options,
    listRegex: options.includes('List') ? compiled : null,
  };
}

function parseRule(rawLine: string, lineNum: number, varMap: Map<string, string>): Rule {
  const line = pyStrip(rawLine);
  if (!line) throw new TextFsmTemplateError(`Null data in FSMRule. Line: ${lineNum}`, lineNum);
  const ma = MATCH_ACTION.match(line);
  const match = ma ? (ma.group('match') as string) : line;
  let regexText = match;
  if (varMap.size) {
    try {
      regexText = templateSubstitute(match, varMap);
    } catch (err) {
      throw new TextFsmTemplateError(
        `Duplicate or invalid variable substitution: '${match}'. Line: ${lineNum}.`,
        lineNum,
        { cause: err },
      );
    }
  }
  let regex: PyRegex;
  try {
    regex = compileRegex(regexText);
  } catch (err) {
    if (err instanceof PyRegexError) {
      throw new TextFsmTemplateError(`Invalid regular expression: '${regexText}'. Line: ${lineNum}.`, lineNum, {
        cause: err,
      });
    }
    throw err;
  }
  const rule: Rule = { match, regex, lineOp: '', recordOp: '', newState: '', lineNum };
  if (!ma) return rule;
  const action = ma.group('action') as string;
  const am = ACTION_RE.match(action) ?? ACTION2_RE.match(action) ?? ACTION3_RE.match(action);
  if (!am) throw new TextFsmTemplateError(`Badly formatted rule '${line}'. Line: ${lineNum}.`, lineNum);
  const gd = am.groupdict();
  const lnOp = gd.get('ln_op');
  const recOp = gd.get('rec_op');
  const newState = gd.get('new_state');
  if (lnOp) rule.lineOp = lnOp as LineOp;
  if (recOp) rule.recordOp = recOp as RecordOp;
  if (newState) rule.newState = newState;
  if (rule.lineOp === 'Continue' && rule.newState) {
    throw new TextFsmTemplateError(
      `Action '${rule.lineOp}' with new state ${rule.newState} specified. Line: ${lineNum}.`,
      lineNum,
    );
  }
  if (rule.lineOp !== 'Error' && rule.newState && !WORD_RE.match(rule.newState)) {
    throw new TextFsmTemplateError(`Alphanumeric characters only in state names. Line: ${lineNum}.`, lineNum);
  }
  return rule;
}

/** Lines as Python iterates a `StringIO`: split after each `\n` only. */
function templateLines(template: string): string[] {
  const lines = template.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function compileTemplate(template: string): CompiledTemplate {
  const lines = templateLines(template);
  let idx = 0;
  let lineNum = 0;
  const values: ValueDef[] = [];
  const varMap = new Map<string, string>();

  for (; idx < lines.length; ) {
    const line = pyRstrip(lines[idx++] as string);
    lineNum++;
    if (!line) break;
    if (COMMENT_RE.match(line)) continue;
    if (line.startsWith('Value ')) {
      let value: ValueDef;
      try {
        value = parseValue(line);
      } catch (err) {
        if (err instanceof TextFsmTemplateError) {
          throw new TextFsmTemplateError(`${err.message} Line ${lineNum}.`, lineNum, { cause: err });
        }
        throw err;
      }
      if (values.some((v) => v.name === value.name)) {
        throw new TextFsmTemplateError(`Duplicate declarations for Value '${value.name}'. Line: ${lineNum}.`, lineNum);
      }
      values.push(value);
      varMap.set(value.name, value.template);
    } else if (!values.length) {
      throw new TextFsmTemplateError('No Value definitions found.', lineNum);
    } else {
      throw new TextFsmTemplateError(`Expected blank line after last Value entry. Line: ${lineNum}.`, lineNum);
    }
  }

  const states = new Map<string, Rule[]>();
  for (;;) {
    let stateName = '';
    while (idx < lines.length) {
      const line = pyRstrip(lines[idx++] as string);
      lineNum++;
      if (line && !COMMENT_RE.match(line)) {
        if (
          !STATE_NAME_RE.match(line) ||
          cpLen(line) > MAX_NAME_LEN ||
          LINE_OPS.includes(line) ||
          RECORD_OPS.includes(line)
        ) {
          throw new TextFsmTemplateError(`Invalid state name: '${line}'. Line: ${lineNum}`, lineNum);
        }
        stateName = line;
        if (states.has(stateName)) {
          throw new TextFsmTemplateError(`Duplicate state name: '${line}'. Line: ${lineNum}`, lineNum);
        }
        states.set(stateName, []);
        break;
      }
    }
    if (!stateName) break;
    const rules = states.get(stateName) as Rule[];
    while (idx < lines.length) {
      const line = pyRstrip(lines[idx++] as string);
      lineNum++;
      if (!line) break;
      if (COMMENT_RE.match(line)) continue;
      if (!(line.startsWith(' ^') || line.startsWith('  ^') || line.startsWith('\t^'))) {
        throw new TextFsmTemplateError(
          `Missing white space or carat ('^') before rule. Line: ${lineNum}`,
          lineNum,
        );
      }
      rules.push(parseRule(line, lineNum, varMap));
    }
  }

  if (!states.has('Start')) throw new TextFsmTemplateError("Missing state 'Start'.");
  if (states.get('End')?.length) throw new TextFsmTemplateError("Non-Empty 'End' state.");
  if (states.get('EOF')?.length) throw new TextFsmTemplateError("Non-Empty 'EOF' state.");
  states.delete('End');
  for (const [state, rules] of states) {
    for (const rule of rules) {
      if (rule.lineOp === 'Error') continue;
      if (!rule.newState || rule.newState === 'End' || rule.newState === 'EOF') continue;
      if (!states.has(rule.newState)) {
        throw new TextFsmTemplateError(
          `State '${rule.newState}' not found, referenced in state '${state}'`,
          rule.lineNum,
        );
      }
    }
  }
  return { values, states };
}
