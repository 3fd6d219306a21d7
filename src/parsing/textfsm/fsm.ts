/**
 * The TextFSM state machine, following Python textfsm 2.x `ParseText` / `ParseTextToDicts`: option hooks run in
 * declaration order with the same side effects (so `Required,List` and `List,Required` differ as they do there),
 * Python's None and '' stay distinct until a record is saved, and the implicit EOF record applies unless an `EOF`
 * state is declared.
 */
import { TextFsmError } from './errors.js';
import { PyRegexStackError } from './pyre.js';
import { pySplitLines, toSubject } from './pyre-unicode.js';
import { compileTemplate, type CompiledTemplate, type OptionName, type Rule, type ValueDef } from './template.js';

/** An element of a List value: the matched text, a dict of the value regex's named groups, or null (Python None). */
export type TextFsmListItem = string | null | Record<string, string | null>;
/** One record keyed by value name; List values are arrays. */
export type TextFsmRecord = Record<string, string | TextFsmListItem[]>;

type PyValue = string | null | TextFsmListItem[];

class SkipRecord {}
const SKIP_RECORD = new SkipRecord();

function truthy(v: PyValue | undefined): boolean {
  if (v === null || v === undefined) return false;
  return v.length > 0;
}

interface OptionHooks {
  onClearVar(): void;
  onClearAllVar(): void;
  onAssignVar(): void;
  onSaveRecord(): void;
}

class RuntimeValue {
  value: PyValue = null;
  readonly hooks: OptionHooks[];
  readonly optionNames: readonly OptionName[];

  constructor(
    readonly def: ValueDef,
    readonly index: number,
    fsm: Run,
  ) {
    this.optionNames = def.options;
    this.hooks = def.options.map((o) => makeOption(o, this, fsm));
  }

  assignVar(v: string | null): void {
    this.value = v;
    for (const h of this.hooks) h.onAssignVar();
  }

  clearVar(): void {
    this.value = null;
    for (const h of this.hooks) h.onClearVar();
  }

  clearAllVar(): void {
    this.value = null;
    for (const h of this.hooks) h.onClearAllVar();
  }

  onSaveRecord(): void {
    for (const h of this.hooks) h.onSaveRecord();
  }
}

const noop = (): void => {};

function makeOption(name: OptionName, value: RuntimeValue, fsm: Run): OptionHooks {
  switch (name) {
    case 'Required':
      return {
        onClearVar: noop,
        onClearAllVar: noop,
        onAssignVar: noop,
        onSaveRecord: () => {
          if (!truthy(value.value)) throw SKIP_RECORD;
        },
      };
    case 'Filldown': {
      let myvar: PyValue = null;
      return {
        onClearVar: () => {
          value.value = myvar;
        },
        onClearAllVar: () => {
          myvar = null;
        },
        onAssignVar: () => {
          myvar = value.value;
        },
        onSaveRecord: noop,
      };
    }
    case 'Fillup':
      return {
        onClearVar: noop,
        onClearAllVar: noop,
        onAssignVar: () => {
          if (!truthy(value.value)) return;
          for (let i = fsm.result.length - 1; i >= 0; i--) {
            const row = fsm.result[i] as PyValue[];
            if (truthy(row[value.index])) break;
            row[value.index] = value.value;
          }
        },
        onSaveRecord: noop,
      };
    case 'List': {
      let items: TextFsmListItem[] = [];
      const regex = value.def.listRegex;
      return {
        onClearVar: () => {
          if (!value.optionNames.includes('Filldown')) items = [];
        },
        onClearAllVar: () => {
          items = [];
        },
        onAssignVar: () => {
          const v = value.value as string | null;
          let dict: Record<string, string | null> | null = null;
          if (regex && regex.groups > 1) {
            if (v === null) {
              // Python hands None to re.match here and dies with a TypeError.
              throw new TextFsmError(
                `List value '${value.def.name}' did not participate in the match: expected string or bytes-like object`,
              );
            }
            const m = regex.match(v);
            if (m && regex.groupIndex.size) dict = Object.fromEntries(m.groupdict());
          }
          items.push(dict ?? v);
        },
        onSaveRecord: () => {
          value.value = [...items];
        },
      };
    }
    case 'Key':
    case 'OptionBase':
      return { onClearVar: noop, onClearAllVar: noop, onAssignVar: noop, onSaveRecord: noop };
  }
}

/**
 * Slot 0 receives the template line of the rule being matched (1-based). A parse thread shares it with the
 * process, which reads it when the thread must be stopped mid-match.
 */
export type ParseTrace = Int32Array;

/** One ParseText run over a compiled template. */
class Run {
  readonly result: PyValue[][] = [];
  readonly values: RuntimeValue[];
  private readonly byName = new Map<string, RuntimeValue>();
  private curState: Rule[];
  private curStateName = 'Start';

  constructor(
    private readonly tpl: CompiledTemplate,
    private readonly trace: ParseTrace | null,
  ) {
    this.values = tpl.values.map((d, i) => new RuntimeValue(d, i, this));
    for (const v of this.values) if (!this.byName.has(v.def.name)) this.byName.set(v.def.name, v);
    this.curState = tpl.states.get('Start') as Rule[];
    this.clearAllRecord();
  }

  parse(text: string, eof: boolean): PyValue[][] {
    for (const line of pySplitLines(text)) {
      this.checkLine(line);
      if (this.curStateName === 'End' || this.curStateName === 'EOF') break;
    }
    if (this.curStateName !== 'End' && !this.tpl.states.has('EOF') && eof) this.appendRecord();
    return this.result;
  }

  private checkLine(line: string): void {
    const subject = toSubject(line);
    for (const rule of this.curState) {
      let m;
      // Where a parse stopped, for one cut short from outside (a parse thread over its CPU budget).
      if (this.trace) this.trace[0] = rule.lineNum;
      try {
        m = rule.regex.match(subject);
      } catch (err) {
        if (err instanceof PyRegexStackError) throw new TextFsmError(err.message, rule.lineNum, line);
        throw err;
      }
      if (!m) continue;
      for (const [name, val] of m.groupdict()) this.byName.get(name)?.assignVar(val);
      if (this.operations(rule, line)) {
        if (rule.newState) {
          if (rule.newState !== 'End' && rule.newState !== 'EOF') {
            this.curState = this.tpl.states.get(rule.newState) as Rule[];
          }
          this.curStateName = rule.newState;
        }
        break;
      }
    }
  }

  private operations(rule: Rule, line: string): boolean {
    if (rule.recordOp === 'Record') this.appendRecord();
    else if (rule.recordOp === 'Clear') this.clearRecord();
    else if (rule.recordOp === 'Clearall') this.clearAllRecord();

    if (rule.lineOp === 'Error') {
      if (rule.newState) {
        throw new TextFsmError(
          `Error: ${rule.newState}. Rule Line: ${rule.lineNum}. Input Line: ${line}.`,
          rule.lineNum,
          line,
        );
      }
      throw new TextFsmError(`State Error raised. Rule Line: ${rule.lineNum}. Input Line: ${line}`, rule.lineNum, line);
    }
    return rule.lineOp !== 'Continue';
  }

  private appendRecord(): void {
    if (!this.values.length) return;
    const cur: PyValue[] = [];
    for (const v of this.values) {
      try {
        v.onSaveRecord();
      } catch (err) {
        if (err === SKIP_RECORD) {
          this.clearRecord();
          return;
        }
        throw err;
      }
      cur.push(v.value);
    }
    if (cur.every((x) => x === null || (Array.isArray(x) && x.length === 0))) return;
    this.result.push(cur.map((x) => x ?? ''));
    this.clearRecord();
  }

  private clearRecord(): void {
    for (const v of this.values) v.clearVar();
  }

  private clearAllRecord(): void {
    for (const v of this.values) v.clearAllVar();
  }
}

/** A loaded template: compile once, parse many texts. Each `parse` starts from a fresh state, unlike Python. */
export class TextFsm {
  private readonly tpl: CompiledTemplate;

  /** @throws TextFsmTemplateError when Python textfsm would refuse the template. */
  constructor(template: string) {
    this.tpl = compileTemplate(template);
  }

  /** Value names in declaration order (Python's `header`). */
  get header(): string[] {
    return this.tpl.values.map((v) => v.name);
  }

  /** Names of the values that carry `option` (Python's `GetValuesByAttrib`). */
  valuesWithOption(option: OptionName): string[] {
    return this.tpl.values.filter((v) => v.options.includes(option)).map((v) => v.name);
  }

  /** Rows as Python's `ParseText` returns them, in header order. */
  parseRows(text: string, eof = true, trace: ParseTrace | null = null): (string | TextFsmListItem[])[][] {
    return new Run(this.tpl, trace).parse(text, eof) as (string | TextFsmListItem[])[][];
  }

  /** Records as Python's `ParseTextToDicts` returns them. @throws TextFsmError */
  parse(text: string, eof = true, trace: ParseTrace | null = null): TextFsmRecord[] {
    const header = this.header;
    return this.parseRows(text, eof, trace).map((row) => {
      const rec: TextFsmRecord = {};
      header.forEach((name, i) => {
        rec[name] = row[i] as string | TextFsmListItem[];
      });
      return rec;
    });
  }
}
