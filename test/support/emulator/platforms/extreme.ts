/**
 * Extreme Networks EXOS 30.7 (an X440-G2): the prompt counts commands (`X440G2-48t.3 # `) and gains `* ` while the
 * configuration is unsaved; no configuration mode (`create vlan`, `configure vlan …` at the prompt),
 * `disable clipaging`, `disable cli prompting` (else `save` asks first), `save configuration primary`, the caret and
 * `%% Invalid input detected at '^' marker.`, and the `Press <SPACE> to continue or <Q> to quit:` pager.
 */
import { CliError } from '../cli-shell.js';
import type { DeviceBase, EmulatedPlatform, Shell, ShellIO } from '../platform.js';
import { pickCommand, tokenize, type Word } from '../words.js';

interface Vlan {
  name: string;
  tag: number;
  description: string;
  ports: string[];
}

interface ExosDevice extends DeviceBase {
  vlans: Map<string, Vlan>;
  dirty: boolean;
  prompting: boolean;
}

function vlanDescription(d: ExosDevice): string[] {
  const rule = '-'.repeat(73);
  return [
    rule,
    'Name                             VID   Description',
    rule,
    ...[...d.vlans.values()].map((v) => `${v.name.padEnd(33)}${String(v.tag).padEnd(6)}${v.description}`.trimEnd()),
    rule,
    `Total number of VLAN(s) : ${d.vlans.size}`,
  ];
}

const VERSION = [
  'Switch      : 800616-00-04 1625G-00123 Rev 4.0 BootROM: 2.0.1.7    IMG: 30.7.1.1',
  'PSU-1       : Internal PSU-1 800616-00-04 1625G-00123',
  '',
  'Image   : ExtremeXOS version 30.7.1.1 by release-manager',
  '          on Tue Jan 12 10:21:33 EST 2021',
  'BootROM : Default 2.0.1.7    Alternate 2.0.1.7',
  'Diagnostics : 5.8',
];

class ExosShell implements Shell {
  private counter = 1;

  constructor(
    private readonly d: ExosDevice,
    private readonly io: ShellIO,
  ) {}

  prompt(): string {
    return `${this.d.dirty ? '* ' : ''}${this.d.hostname}.${this.counter} # `;
  }

  run(line: string, lead: number): string[] {
    const promptLength = this.prompt().length;
    this.counter++;
    const words = tokenize(line, lead);
    const specs: Record<string, (args: string[], w: Word[]) => string[]> = {
      'disable clipaging': () => ((this.io.pageLength = 0), []),
      'enable clipaging': () => ((this.io.pageLength = 24), []),
      'disable cli prompting': () => ((this.d.prompting = false), []),
      'enable cli prompting': () => ((this.d.prompting = true), []),
      'show version': () => VERSION,
      'show vlan description': () => vlanDescription(this.d),
      'show configuration': () => this.d.runningConfig().split('\n'),
      'configure snmp sysname <name>': (a) => this.change(() => (this.d.hostname = (a[0] as string).replace(/^"(.*)"$/, '$1'))),
      'create vlan <name>': (a, w) => {
        if (this.d.vlans.has(a[0] as string)) throw new CliError('custom', null, [`Error: VLAN ${a[0]} already exists.`]);
        if (!/^[A-Za-z][\w-]*$/.test(a[0] as string)) throw new CliError('invalid', w[2] ?? null);
        return this.change(() => this.d.vlans.set(a[0] as string, { name: a[0] as string, tag: 0, description: '', ports: [] }));
      },
      'configure vlan <name> tag <n>': (a, w) => {
        const v = this.vlan(a[0] as string);
        if (!/^\d+$/.test(a[1] as string) || Number(a[1]) > 4094) throw new CliError('invalid', w[4] ?? null);
        return this.change(() => (v.tag = Number(a[1])));
      },
      'configure vlan <name> description <text...>': (a) => {
        const v = this.vlan(a[0] as string);
        return this.change(() => (v.description = line.slice(line.indexOf(a[1] as string)).replace(/^"(.*)"$/, '$1')));
      },
      'configure vlan <name> add ports <list>': (a) => this.change(() => this.vlan(a[0] as string).ports.push(a[1] as string)),
      'configure vlan <name> add ports <list> <how>': (a) => this.change(() => this.vlan(a[0] as string).ports.push(a[1] as string)),
      'delete vlan <name>': (a) => (this.vlan(a[0] as string), this.change(() => this.d.vlans.delete(a[0] as string))),
      'save configuration primary': () => this.save(),
      'save configuration': () => this.save(),
      save: () => this.save(),
      exit: () => (this.io.close(), []),
      logout: () => (this.io.close(), []),
    };
    try {
      const picked = pickCommand(words, Object.keys(specs));
      if (!picked.ok) throw new CliError(picked.kind, words[Math.min(picked.at, words.length - 1)] ?? null);
      return (specs[picked.spec] as (args: string[], w: Word[]) => string[])(picked.args, words);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      if (e.kind === 'custom') return e.lines;
      if (e.kind === 'incomplete') return [' '.repeat(promptLength + (words[words.length - 1]?.end ?? 0)) + '^', "%% Incomplete command at '^' marker."];
      if (e.kind === 'ambiguous') return [`%% Ambiguous command: "${line}"`];
      return [' '.repeat(promptLength + (e.at?.offset ?? 0)) + '^', '', "%% Invalid input detected at '^' marker."];
    }
  }

  private vlan(name: string): Vlan {
    const v = this.d.vlans.get(name);
    if (!v) throw new CliError('custom', null, [`Error: VLAN "${name}" does not exist.`]);
    return v;
  }

  private change(apply: () => unknown): string[] {
    apply();
    this.d.dirty = true;
    return [];
  }

  private save(): string[] {
    const doSave = (): string[] => {
      this.d.saves++;
      this.d.dirty = false;
      return ['Saving configuration on master .... done!', 'Configuration saved to primary.cfg successfully.'];
    };
    if (!this.d.prompting) return doSave();
    this.io.ask('Do you want to save configuration to primary.cfg and overwrite it? (y/N) ', (a) => (/^y/i.test(a) ? doSave() : ['Save configuration cancelled.']));
    return [];
  }
}

export const extremeExos: EmulatedPlatform<ExosDevice> = {
  name: 'extreme_exos',
  sshIdent: 'SSH-2.0-OpenSSH_7.9',
  pager: { marker: 'Press <SPACE> to continue or <Q> to quit:', erase: '\r                                         \r' },
  defaultPageLength: 24,
  telnetPrompts: { username: 'login: ', password: 'password: ', refused: 'Login incorrect' },
  greeting: '\nExtremeXOS\nCopyright (C) 1996-2021 Extreme Networks. All rights reserved.\n==============================================================================\n\nPress the <tab> or \'?\' key at any time for completions.\nRemember to save your configuration changes.',
  createDevice: (opts) => {
    const d: ExosDevice = {
      hostname: opts.hostname ?? 'X440G2-48t',
      saves: 0,
      dirty: false,
      prompting: true,
      vlans: new Map([
        ['Default', { name: 'Default', tag: 1, description: '', ports: [] }],
        ['Mgmt', { name: 'Mgmt', tag: 4095, description: 'Management VLAN', ports: [] }],
      ]),
      runningConfig: () =>
        [`configure snmp sysName "${d.hostname}"`, ...[...d.vlans.values()].flatMap((v) => [`create vlan ${v.name}`, `configure vlan ${v.name} tag ${v.tag}`, ...(v.description ? [`configure vlan ${v.name} description "${v.description}"`] : [])])].join('\n'),
    };
    return d;
  },
  openShell: (device, io) => new ExosShell(device, io),
};
