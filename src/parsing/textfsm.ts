/**
 * TextFSM templates (as used by ntc-templates and NetPulse's `parsing: {name: "textfsm", template}`), parsed the
 * way Python's `textfsm` library does, including Python `re` regex semantics. Pure code, no I/O.
 */
import { TextFsm, type TextFsmRecord } from './textfsm/fsm.js';

export { TextFsm, type ParseTrace, type TextFsmListItem, type TextFsmRecord } from './textfsm/fsm.js';
export { TextFsmError, TextFsmTemplateError } from './textfsm/errors.js';
export { PyRegex, PyRegexError, type PyMatch } from './textfsm/pyre.js';
export type { OptionName } from './textfsm/template.js';

/**
 * Parses `text` with a TextFSM `template` into records keyed by value name, as Python's
 * `TextFSM(io.StringIO(template)).ParseTextToDicts(text)`. List values are arrays (of dicts when the value regex
 * has nested named groups).
 * @throws TextFsmTemplateError for an invalid template, TextFsmError when an `Error` action fires.
 */
export function parseTextFsm(template: string, text: string): TextFsmRecord[] {
  return new TextFsm(template).parse(text);
}
