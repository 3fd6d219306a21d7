/**
 * Parsing without writing a template: the ntc-templates index (the `index` file of the PyPI `ntc-templates`
 * package) picks the template(s) by platform and command, the way textfsm's `clitable.CliTable` does for netmiko's
 * `use_textfsm` and ntc-templates' `parse_output`. Pure code: the index and template texts are given (see
 * ntc-templates-dir.ts for reading them from the configured folder).
 *
 * What clitable does, and so what this does:
 * - The index is comma-separated (`Template, Hostname, Platform, Command`); lines starting with `#` and lines with
 *   another number of fields are skipped; fields are trimmed.
 * - `[[xyz]]` in a command is completion: `(x(y(z)?)?)?`, so `sh[[ow]] ver[[sion]]` takes `sh ver` and `show version`.
 * - Platform and Command are Python regular expressions matched at the start of the value (`re.match`, so
 *   `cisco_ios` also matches `cisco_ios_telnet`, and a command may go on after what the pattern names); the first
 *   row that matches both wins.
 * - A row may name several templates (`a.textfsm:b.textfsm`): the first one's table is extended with the columns of
 *   the others, rows joined on the first template's `Key` values (by position when it has none).
 * - Record keys are lower-cased, as netmiko and ntc-templates return them.
 */
import { PyRegex } from './textfsm/pyre.js';
import { TextFsm, type ParseTrace, type TextFsmListItem, type TextFsmRecord } from './textfsm.js';

export interface NtcIndexEntry {
  /** Template file names, in order. */
  templates: string[];
  platform: PyRegex | null;
  command: PyRegex | null;
  /** The Command field as written (for messages). */
  commandText: string;
}

/** `[[xyz]]` → `(x(y(z)?)?)?`, clitable's command completion. */
export function expandCompletion(command: string): string {
  return command.replace(/\[\[.+?\]\]/g, (m) => {
    const word = [...m.slice(2, -2)];
    return '(' + word.join('(') + ')?'.repeat(word.length);
  });
}

export class NtcIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtcIndexError';
  }
}

/** Reads an ntc-templates `index` file. @throws NtcIndexError when it has no Template, Platform or Command column. */
export function parseNtcIndex(text: string): NtcIndexEntry[] {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  const entries: NtcIndexEntry[] = [];
  for (const line of lines) {
    if (header === null) {
      // clitable's header is the first line with something left once a `#` comment is cut off.
      const h = (line.split('#')[0] ?? '').trim();
      if (!h) continue;
      header = h.split(',').map((f) => f.trim());
      for (const need of ['Template', 'Platform', 'Command']) {
        if (!header.includes(need)) throw new NtcIndexError(`the ntc-templates index has no '${need}' column (header: ${h})`);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== header.length) continue;
    const get = (name: string): string => fields[header!.indexOf(name)] as string;
    const command = expandCompletion(get('Command'));
    const platform = get('Platform');
    entries.push({
      templates: get('Template').split(':'),
      platform: platform ? new PyRegex(platform) : null,
      command: command ? new PyRegex(command) : null,
      commandText: get('Command'),
    });
  }
  if (header === null) throw new NtcIndexError('the ntc-templates index is empty');
  return entries;
}

/** The template files of the first index row whose platform and command match, or null. */
export function selectNtcTemplates(index: readonly NtcIndexEntry[], platform: string, command: string): string[] | null {
  for (const e of index) {
    if (e.platform && !e.platform.match(platform)) continue;
    if (e.command && !e.command.match(command)) continue;
    return e.templates;
  }
  return null;
}

/**
 * netmiko device_type families whose name differs from the platform the ntc-templates index uses. netmiko itself
 * passes the device_type unchanged (so `huawei` finds nothing there); here the family's index name is used.
 */
export const NTC_PLATFORM_ALIASES: Readonly<Record<string, string>> = {
  huawei: 'huawei_vrp',
  huawei_vrpv8: 'huawei_vrp',
  juniper: 'juniper_junos',
  extreme: 'extreme_exos',
};

/**
 * The templates for `command` on `platform`, trying `cisco_ios` after `cisco_xe` as netmiko does (XE shares IOS's
 * templates). Null when the index has none.
 */
export function findNtcTemplates(index: readonly NtcIndexEntry[], platform: string, command: string): { platform: string; templates: string[] } | null {
  const p = NTC_PLATFORM_ALIASES[platform] ?? platform;
  const found = selectNtcTemplates(index, p, command);
  if (found) return { platform: p, templates: found };
  if (p.includes('cisco_xe')) {
    const ios = selectNtcTemplates(index, 'cisco_ios', command);
    if (ios) return { platform: 'cisco_ios', templates: ios };
  }
  return null;
}

type Cell = string | TextFsmListItem[];

/**
 * Parses `text` with the templates of one index row and returns clitable's table as records with lower-cased keys.
 * `trace` (see TextFsm.parse) also gets the index of the template being run in slot 1.
 * @throws TextFsmTemplateError, TextFsmError (as parseTextFsm)
 */
export function parseWithNtcTemplates(templateTexts: readonly string[], text: string, trace: ParseTrace | null = null): TextFsmRecord[] {
  let header: string[] = [];
  let rows: Cell[][] = [];
  let keys: string[] = [];
  templateTexts.forEach((tpl, i) => {
    const fsm = new TextFsm(tpl);
    // clitable takes the Key values of the first template that has any.
    if (keys.length === 0) keys = fsm.valuesWithOption('Key');
    if (trace) trace[1] = i;
    const part = fsm.parseRows(text, true, trace);
    if (i === 0) {
      header = fsm.header;
      rows = part;
      return;
    }
    const otherHeader = fsm.header;
    const added = otherHeader.filter((c) => !header.includes(c));
    if (added.length === 0) return;
    const missing = keys.filter((k) => !header.includes(k));
    if (missing.length > 0) throw new NtcIndexError(`cannot join the templates' tables: unknown key '${missing[0]}'`);
    header = [...header, ...added];
    const from = added.map((c) => otherHeader.indexOf(c));
    rows = rows.map((r) => [...r, ...added.map(() => '')]);
    if (keys.length === 0) {
      rows.forEach((r, n) => {
        const o = part[n];
        if (!o) return;
        from.forEach((src, j) => (r[r.length - added.length + j] = o[src] as Cell));
      });
      return;
    }
    const keyAt = keys.map((k) => header.indexOf(k));
    const otherKeyAt = keys.map((k) => otherHeader.indexOf(k));
    for (const r of rows) {
      const o = part.find((cand) => keyAt.every((at, j) => sameCell(r[at] as Cell, cand[otherKeyAt[j] as number] as Cell)));
      if (!o) continue;
      from.forEach((src, j) => (r[r.length - added.length + j] = o[src] as Cell));
    }
  });
  const names = header.map((h) => h.toLowerCase());
  return rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] as Cell])));
}

function sameCell(a: Cell, b: Cell): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** No index row names a template for this platform and command. */
export class NtcTemplateNotFoundError extends Error {
  constructor(
    readonly platform: string,
    readonly command: string,
  ) {
    super(`no ntc-templates template for platform '${platform}' and command '${command}'`);
    this.name = 'NtcTemplateNotFoundError';
  }
}
