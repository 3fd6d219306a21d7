/**
 * Cisco IOS (a C2911 on 15.2(4)M7): user and privileged EXEC, `enable` with a secret (three tries), global,
 * interface and line configuration, `--More--` erased with backspaces, keywords abbreviated (`sh ver`, `conf t`,
 * `wr mem`), the caret under an invalid word with `% Invalid input detected at '^' marker.`, and a `hostname` line
 * that changes the prompt at once. Also serves `cisco_xe` (same CLI).
 */
import type { DeviceBase, DeviceEmulatorOptions, EmulatedPlatform, Shell, ShellIO } from '../platform.js';
import { dayName, isIPv4, maskBits, monthName, pad, resolve, tokenize, uptimeText, type Word } from '../words.js';

interface Interface {
  name: string;
  ip: { address: string; mask: string } | null;
  method: 'NVRAM' | 'manual' | 'unset';
  shutdown: boolean;
  description?: string;
  extra: string[];
}

export interface IosDevice extends DeviceBase {
  interfaces: Map<string, Interface>;
  globalLines: string[];
  bootedAt: number;
  lastChange: Date | null;
}

type Mode = 'user' | 'priv' | 'config' | 'config-if' | 'config-sub';
type Result = { output: string[]; error?: { offset: number; kind: 'invalid' | 'ambiguous' | 'incomplete' } };

function createIosDevice(opts: DeviceEmulatorOptions): IosDevice {
  const device: IosDevice = {
    hostname: opts.hostname ?? 'Router',
    interfaces: new Map(),
    globalLines: ['service timestamps debug datetime msec', 'service timestamps log datetime msec', 'no ip domain lookup'],
    bootedAt: Date.now() - ((12 * 7 + 3) * 24 * 3600 + 4 * 3600 + 41 * 60) * 1000,
    lastChange: null,
    saves: 0,
    runningConfig: () => renderRunningConfig(device).join('\n'),
  };
  for (const i of [
    { name: 'GigabitEthernet0/0', ip: { address: '10.0.0.1', mask: '255.255.255.0' }, shutdown: false },
    { name: 'GigabitEthernet0/1', ip: null, shutdown: true },
    { name: 'GigabitEthernet0/2', ip: { address: '192.168.1.1', mask: '255.255.255.0' }, shutdown: false },
    { name: 'Loopback0', ip: { address: '1.1.1.1', mask: '255.255.255.255' }, shutdown: false },
  ]) {
    device.interfaces.set(i.name, { ...i, method: i.ip ? 'NVRAM' : 'unset', extra: [] });
  }
  return device;
}

export const ciscoIos: EmulatedPlatform<IosDevice> = {
  name: 'cisco_ios',
  sshIdent: 'SSH-2.0-Cisco-1.25',
  // IOS erases its pager marker with backspaces, spaces and backspaces again.
  pager: { marker: ' --More-- ', erase: '\b'.repeat(10) + ' '.repeat(10) + '\b'.repeat(10) },
  defaultPageLength: 24,
  telnetPrompts: { username: 'Username: ', password: 'Password: ', refused: '% Login invalid' },
  createDevice: createIosDevice,
  openShell: (device, io, opts) => new IosShell(device, io, opts.privileged),
};

class IosShell implements Shell {
  private mode: Mode;
  private currentInterface: string | null = null;

  constructor(
    private readonly device: IosDevice,
    private readonly io: ShellIO,
    privileged: boolean,
  ) {
    this.mode = privileged ? 'priv' : 'user';
  }

  prompt(): string {
    const h = this.device.hostname;
    switch (this.mode) {
      case 'user':
        return `${h}>`;
      case 'priv':
        return `${h}#`;
      case 'config':
        return `${h}(config)#`;
      case 'config-if':
        return `${h}(config-if)#`;
      case 'config-sub':
        return `${h}(config-line)#`;
    }
  }

  interrupt(): boolean {
    if (this.mode === 'user' || this.mode === 'priv') return false;
    this.mode = 'priv';
    this.currentInterface = null;
    return true;
  }

  run(line: string, lead: number): string[] {
    const promptLen = this.prompt().length;
    const r = this.execute(line, lead);
    if (!r.error) return r.output;
    const err = r.error;
    if (err.kind === 'incomplete') return ['% Incomplete command.', ''];
    if (err.kind === 'ambiguous') return [`% Ambiguous command:  "${line}"`];
    return [' '.repeat(promptLen + err.offset) + '^', "% Invalid input detected at '^' marker.", ''];
  }

  /** Runs one command line; `lead` is the indentation the user typed, so the caret lands under the right column. */
  private execute(line: string, lead = 0): Result {
    const words = tokenize(line, lead);
    if (words.length === 0) return { output: [] };
    if (this.mode === 'user' || this.mode === 'priv') return this.execExec(words);
    return this.execConfig(words, line);
  }

  private askSecret(attempt: number): void {
    this.io.askHidden('Password: ', (secret) => {
      if (secret === this.io.enableSecret) {
        this.mode = 'priv';
        return [];
      }
      if (attempt < 3) {
        this.askSecret(attempt + 1);
        return [];
      }
      return ['% Bad secrets', ''];
    });
  }

  private execExec(words: Word[]): Result {
    const priv = this.mode === 'priv';
    const top = ['enable', 'exit', 'logout', 'quit', 'show', 'terminal', ...(priv ? ['configure', 'write', 'copy', 'disable'] : [])];
    const w0 = words[0] as Word;
    const k = resolve(w0.text, top);
    if (k.kind !== 'ok') return fail(w0, k.kind);
    switch (k.word) {
      case 'enable':
        if (priv) return { output: [] };
        this.askSecret(1);
        return { output: [] };
      case 'disable':
        this.mode = 'user';
        return { output: [] };
      case 'exit':
      case 'logout':
      case 'quit':
        this.io.close();
        return { output: [] };
      case 'terminal':
        return this.terminal(words.slice(1), w0);
      case 'show':
        return this.show(words.slice(1), w0);
      case 'configure': {
        const w1 = words[1];
        if (w1) {
          const t = resolve(w1.text, ['terminal', 'memory', 'network']);
          if (t.kind !== 'ok' || t.word !== 'terminal') return fail(w1, t.kind === 'ok' ? 'invalid' : t.kind);
        }
        this.mode = 'config';
        return { output: ['Enter configuration commands, one per line.  End with CNTL/Z.'] };
      }
      case 'write': {
        const w1 = words[1];
        if (w1) {
          const t = resolve(w1.text, ['memory', 'terminal', 'erase']);
          if (t.kind !== 'ok') return fail(w1, t.kind);
          if (t.word === 'terminal') return { output: renderRunningConfig(this.device) };
          if (t.word === 'erase') return fail(w1, 'invalid');
        }
        return { output: this.save() };
      }
      case 'copy': {
        const [a, b] = [words[1], words[2]];
        if (!a || !b) return { output: [], error: { offset: (words[words.length - 1] as Word).end, kind: 'incomplete' } };
        const ra = resolve(a.text, ['running-config', 'startup-config']);
        if (ra.kind !== 'ok' || ra.word !== 'running-config') return fail(a, 'invalid');
        const rb = resolve(b.text, ['startup-config', 'running-config']);
        if (rb.kind !== 'ok' || rb.word !== 'startup-config') return fail(b, 'invalid');
        this.io.ask('Destination filename [startup-config]? ', () => this.save());
        return { output: [] };
      }
    }
    return fail(w0, 'invalid');
  }

  private save(): string[] {
    this.device.saves++;
    return ['Building configuration...', '[OK]'];
  }

  private terminal(words: Word[], prev: Word): Result {
    const w = words[0];
    if (!w) return { output: [], error: { offset: prev.end, kind: 'incomplete' } };
    const k = resolve(w.text, ['length', 'width', 'monitor', 'no']);
    if (k.kind !== 'ok') return fail(w, k.kind);
    if (k.word === 'monitor') return { output: [] };
    if (k.word === 'no') return { output: [] };
    const n = words[1];
    if (!n) return { output: [], error: { offset: w.end, kind: 'incomplete' } };
    const v = Number(n.text);
    const max = 512;
    if (!/^\d+$/.test(n.text) || v > max || (k.word === 'width' && v < 0)) return fail(n, 'invalid');
    if (k.word === 'length') this.io.pageLength = v;
    else this.io.width = v;
    return { output: [] };
  }

  private show(words: Word[], prev: Word): Result {
    const w = words[0];
    if (!w) return { output: [], error: { offset: prev.end, kind: 'incomplete' } };
    const priv = this.mode !== 'user';
    const subs = ['version', 'clock', 'ip', 'users', 'terminal', ...(priv ? ['running-config', 'startup-config'] : [])];
    const k = resolve(w.text, subs);
    if (k.kind !== 'ok') return fail(w, k.kind);
    switch (k.word) {
      case 'version':
        return { output: renderShowVersion(this.device) };
      case 'clock':
        return { output: [formatClock(new Date())] };
      case 'users':
        return { output: ['    Line       User       Host(s)              Idle       Location', '*  2 vty 0     admin      idle                 00:00:00 127.0.0.1', ''] };
      case 'terminal':
        return { output: [`Line 2, Location: "", Type: "vt100"`, `Length: ${this.io.pageLength} lines, Width: ${this.io.width} columns`] };
      case 'running-config':
        return { output: ['Building configuration...', '', ...renderRunningConfig(this.device)] };
      case 'startup-config':
        return { output: ['Using 1268 out of 262136 bytes', ...renderRunningConfig(this.device)] };
      case 'ip': {
        const a = words[1];
        if (!a) return { output: [], error: { offset: w.end, kind: 'incomplete' } };
        const ka = resolve(a.text, ['interface', 'route']);
        if (ka.kind !== 'ok') return fail(a, ka.kind);
        if (ka.word === 'route') return { output: renderIpRoute(this.device) };
        const b = words[1 + 1];
        if (!b) return fail(a, 'invalid');
        const kb = resolve(b.text, ['brief']);
        if (kb.kind !== 'ok') return fail(b, kb.kind);
        return { output: renderIpInterfaceBrief(this.device) };
      }
    }
    return fail(w, 'invalid');
  }

  private execConfig(words: Word[], line: string): Result {
    const w0 = words[0] as Word;
    const common = resolve(w0.text, ['end', 'exit', 'do']);
    if (common.kind === 'ok') {
      if (common.word === 'end') {
        this.mode = 'priv';
        this.currentInterface = null;
        this.touch();
        return { output: [] };
      }
      if (common.word === 'exit') {
        this.mode = this.mode === 'config' ? 'priv' : 'config';
        this.currentInterface = null;
        return { output: [] };
      }
      const saved = this.mode;
      this.mode = 'priv';
      const r = this.execExec(words.slice(1));
      if ((this.mode as Mode) === 'priv') this.mode = saved;
      return r;
    }
    if (this.mode === 'config-if') {
      const r = this.interfaceCommand(words, line);
      if (r) return r;
    }
    if (this.mode === 'config-sub') {
      const sub = resolve(w0.text, LINE_COMMANDS);
      if (sub.kind === 'ok') {
        this.device.globalLines.push(' ' + line);
        return { output: [] };
      }
    }
    return this.globalConfig(words, line);
  }

  private globalConfig(words: Word[], line: string): Result {
    const w0 = words[0] as Word;
    const k = resolve(w0.text, GLOBAL_COMMANDS);
    if (k.kind !== 'ok') return fail(w0, k.kind);
    const w1 = words[1];
    switch (k.word) {
      case 'hostname': {
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        if (!/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(w1.text)) return fail(w1, 'invalid');
        this.device.hostname = w1.text;
        this.touch();
        return { output: [] };
      }
      case 'interface': {
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        const name = expandInterface(w1.text + (words[2]?.text ?? ''));
        if (!name) return fail(w1, 'invalid');
        if (!this.device.interfaces.has(name)) {
          if (!/^(Loopback|Vlan|Tunnel|Port-channel)/.test(name)) return fail(w1, 'invalid');
          this.device.interfaces.set(name, { name, ip: null, method: 'unset', shutdown: false, extra: [] });
        }
        this.mode = 'config-if';
        this.currentInterface = name;
        return { output: [] };
      }
      case 'line':
        this.mode = 'config-sub';
        this.device.globalLines.push(line);
        return { output: [] };
      case 'no':
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        if (resolve(w1.text, GLOBAL_COMMANDS).kind !== 'ok') return fail(w1, 'invalid');
        this.device.globalLines = this.device.globalLines.filter((l) => l !== line.slice(line.indexOf(w1.text)));
        this.touch();
        return { output: [] };
      default:
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        this.device.globalLines.push(line);
        this.touch();
        return { output: [] };
    }
  }

  /** Returns null when the word is not an interface command, so it is tried as a global one (as IOS does). */
  private interfaceCommand(words: Word[], line: string): Result | null {
    const iface = this.device.interfaces.get(this.currentInterface ?? '');
    if (!iface) return null;
    const w0 = words[0] as Word;
    let negate = false;
    let rest = words;
    if (resolve(w0.text, ['no']).kind === 'ok' && words.length > 1) {
      negate = true;
      rest = words.slice(1);
    }
    const head = rest[0] as Word;
    const k = resolve(head.text, INTERFACE_COMMANDS);
    if (k.kind !== 'ok') return negate ? fail(head, k.kind) : null;
    const arg = rest[1];
    switch (k.word) {
      case 'shutdown':
        iface.shutdown = !negate;
        break;
      case 'description':
        if (negate) delete iface.description;
        else {
          if (!arg) return { output: [], error: { offset: head.end, kind: 'incomplete' } };
          iface.description = line.slice(line.indexOf(arg.text));
        }
        break;
      case 'ip': {
        if (!arg) return { output: [], error: { offset: head.end, kind: 'incomplete' } };
        const sub = resolve(arg.text, ['address', 'helper-address', 'ospf', 'mtu', 'nat', 'access-group']);
        if (sub.kind !== 'ok') return fail(arg, sub.kind);
        if (sub.word === 'address') {
          if (negate) {
            iface.ip = null;
            iface.method = 'unset';
            break;
          }
          const [a, m] = [rest[2], rest[3]];
          if (!a || !m) return { output: [], error: { offset: (rest[rest.length - 1] as Word).end, kind: 'incomplete' } };
          if (!isIPv4(a.text)) return fail(a, 'invalid');
          if (!isIPv4(m.text)) return fail(m, 'invalid');
          iface.ip = { address: a.text, mask: m.text };
          iface.method = 'manual';
        } else iface.extra.push(line);
        break;
      }
      default:
        if (negate) iface.extra = iface.extra.filter((l) => l !== line.replace(/^\s*no\s+/, ''));
        else iface.extra.push(line);
    }
    this.touch();
    return { output: [] };
  }

  private touch(): void {
    this.device.lastChange = new Date();
  }
}


function fail(w: Word, kind: 'invalid' | 'ambiguous' | 'incomplete'): Result {
  return { output: [], error: { offset: w.offset, kind } };
}

const GLOBAL_COMMANDS = [
  'hostname', 'interface', 'ip', 'no', 'line', 'username', 'logging', 'ntp', 'snmp-server', 'service', 'router',
  'access-list', 'vlan', 'spanning-tree', 'enable', 'aaa', 'clock', 'cdp', 'lldp', 'banner', 'boot', 'crypto',
  'archive', 'errdisable', 'vtp', 'license', 'version',
];
const INTERFACE_COMMANDS = [
  'shutdown', 'description', 'ip', 'duplex', 'speed', 'switchport', 'mtu', 'standby', 'vrrp', 'bandwidth',
  'channel-group', 'spanning-tree', 'cdp', 'negotiation', 'load-interval', 'encapsulation', 'ipv6',
];
const LINE_COMMANDS = ['login', 'password', 'transport', 'exec-timeout', 'logging', 'privilege', 'access-class', 'stopbits'];

function expandInterface(name: string): string | null {
  const m = /^([A-Za-z-]+)\s*(\d+(?:\/\d+)*)$/.exec(name);
  if (!m) return null;
  const [, kind, num] = m as unknown as [string, string, string];
  const kinds = ['GigabitEthernet', 'FastEthernet', 'TenGigabitEthernet', 'Loopback', 'Vlan', 'Tunnel', 'Port-channel'];
  const k = kinds.filter((x) => x.toLowerCase().startsWith(kind.toLowerCase()));
  if (k.length !== 1) return null;
  return `${k[0]}${num}`;
}


/** `*10:21:33.123 UTC Tue Jan 14 2025`: the asterisk means "not NTP-synchronised", as on a lab router. */
function formatClock(d: Date): string {
  return `*${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} UTC ${dayName(d)} ${monthName(d)} ${d.getUTCDate()} ${d.getUTCFullYear()}`;
}

function renderShowVersion(d: IosDevice): string[] {
  const boot = new Date(d.bootedAt);
  return [
    'Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.2(4)M7, RELEASE SOFTWARE (fc2)',
    'Technical Support: http://www.cisco.com/techsupport',
    'Copyright (c) 1986-2014 by Cisco Systems, Inc.',
    'Compiled Thu 25-Sep-14 10:36 by prod_rel_team',
    '',
    'ROM: System Bootstrap, Version 15.0(1r)M15, RELEASE SOFTWARE (fc1)',
    '',
    `${d.hostname} uptime is ${uptimeText(d.bootedAt)}`,
    'System returned to ROM by power-on',
    `System restarted at ${formatClock(boot).slice(1)}`,
    'System image file is "flash0:c2900-universalk9-mz.SPA.152-4.M7.bin"',
    'Last reload type: Normal Reload',
    'Last reload reason: power-on',
    '',
    '',
    '',
    'This product contains cryptographic features and is subject to United',
    'States and local country laws governing import, export, transfer and',
    'use. Delivery of Cisco cryptographic products does not imply',
    'third-party authority to import, export, distribute or use encryption.',
    'Importers, exporters, distributors and users are responsible for',
    'compliance with U.S. and local country laws. By using this product you',
    'agree to comply with applicable laws and regulations. If you are unable',
    'to comply with U.S. and local laws, return this product immediately.',
    '',
    'A summary of U.S. laws governing Cisco cryptographic products may be found at:',
    'http://www.cisco.com/wwl/export/crypto/tool/stqrg.html',
    '',
    'If you require further assistance please contact us by sending email to',
    'export@cisco.com.',
    '',
    'Cisco CISCO2911/K9 (revision 1.0) with 483328K/40960K bytes of memory.',
    'Processor board ID FTX1840ALBQ',
    `${[...d.interfaces.keys()].filter((n) => n.startsWith('Gigabit')).length} Gigabit Ethernet interfaces`,
    '1 terminal line',
    'DRAM configuration is 64 bits wide with parity enabled.',
    '255K bytes of non-volatile configuration memory.',
    '250880K bytes of ATA System CompactFlash 0 (Read/Write)',
    '',
    '',
    'License Info:',
    '',
    'License UDI:',
    '',
    '-------------------------------------------------',
    'Device#   PID                   SN',
    '-------------------------------------------------',
    '*0        CISCO2911/K9          FTX1840ALBQ',
    '',
    '',
    '',
    "Technology Package License Information for Module:'c2900'",
    '',
    '-----------------------------------------------------------------',
    'Technology    Technology-package           Technology-package',
    '              Current       Type           Next reboot',
    '------------------------------------------------------------------',
    'ipbase        ipbasek9      Permanent      ipbasek9',
    'security      securityk9    Permanent      securityk9',
    'uc            None          None           None',
    'data          None          None           None',
    '',
    'Configuration register is 0x2102',
    '',
  ];
}

function renderIpInterfaceBrief(d: IosDevice): string[] {
  const row = (a: string, b: string, c: string, m: string, s: string, p: string): string =>
    `${a.padEnd(27)}${b.padEnd(16)}${c.padEnd(4)}${m.padEnd(7)}${s.padEnd(22)}${p}`;
  const out = [row('Interface', 'IP-Address', 'OK?', 'Method', 'Status', 'Protocol')];
  for (const i of sortedInterfaces(d)) {
    const status = i.shutdown ? 'administratively down' : 'up';
    out.push(row(i.name, i.ip?.address ?? 'unassigned', 'YES', i.method, status, i.shutdown ? 'down' : 'up'));
  }
  return out;
}

function renderIpRoute(d: IosDevice): string[] {
  const out = [
    'Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP',
    '       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area',
    '',
    'Gateway of last resort is not set',
    '',
  ];
  for (const i of sortedInterfaces(d)) {
    if (!i.ip || i.shutdown) continue;
    out.push(`C        ${i.ip.address}/${maskBits(i.ip.mask)} is directly connected, ${i.name}`);
  }
  return out;
}

function sortedInterfaces(d: IosDevice): Interface[] {
  return [...d.interfaces.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

function renderRunningConfig(d: IosDevice): string[] {
  const lines: string[] = [];
  const body: string[] = [
    '!',
    ...(d.lastChange ? [`! Last configuration change at ${formatClock(d.lastChange).slice(1)} by admin`, '!'] : []),
    'version 15.2',
    ...d.globalLines.filter((l) => l.startsWith('service')),
    '!',
    `hostname ${d.hostname}`,
    '!',
    'boot-start-marker',
    'boot-end-marker',
    '!',
    ...d.globalLines.filter((l) => !l.startsWith('service') && !l.startsWith('line') && !l.startsWith(' ')),
    '!',
  ];
  for (const i of sortedInterfaces(d)) {
    body.push(`interface ${i.name}`);
    if (i.description) body.push(` description ${i.description}`);
    body.push(i.ip ? ` ip address ${i.ip.address} ${i.ip.mask}` : ' no ip address');
    for (const e of i.extra) body.push(` ${e.trim()}`);
    if (i.shutdown) body.push(' shutdown');
    body.push('!');
  }
  body.push('line con 0', 'line vty 0 4', ' login local', ' transport input ssh', '!', 'end', '');
  const size = body.join('\n').length;
  lines.push(`Current configuration : ${size} bytes`, ...body);
  return lines;
}
