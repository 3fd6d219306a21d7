/**
 * Fortinet FortiOS 7.2 (a FortiGate-VM64): prompts `FGT-VM64 # ` and `FGT-VM64 (interface) # ` inside `config`
 * blocks, no enable and no configuration mode (`config …`/`edit`/`set`/`next`/`end`, applied and saved at `end`), the
 * console output mode (`more` pages with `--More--`, `standard` does not; changed under `config system console`),
 * `get system status` with `| grep`, `Unknown action 0` and `command parse error before '…'` errors.
 */
import type { DeviceBase, EmulatedPlatform, Shell, ShellIO } from '../platform.js';
import { dayName, monthName, pad, tokenize } from '../words.js';

interface FortiInterface {
  name: string;
  ip: string;
  alias: string;
  description: string;
  status: 'up' | 'down';
}

interface FortiDevice extends DeviceBase {
  outputMode: 'more' | 'standard';
  interfaces: Map<string, FortiInterface>;
  timezone: string;
}

const PAGE = 24;
const PARSE_FAIL = (word: string): string[] => [`command parse error before '${word}'`, 'Command fail. Return code -61'];

function status(d: FortiDevice): string[] {
  const now = new Date();
  return [
    'Version: FortiGate-VM64 v7.2.5,build1517,230606 (GA.F)',
    'First GA patch build date: 220331',
    'Security Level: 1',
    'Firmware Signature: certified',
    'Virus-DB: 91.04269(2023-06-14 09:24)',
    'Extended DB: 91.04269(2023-06-14 09:24)',
    'AV AI/ML Model: 2.11622(2023-06-14 08:37)',
    'IPS-DB: 22.00553(2023-06-13 01:23)',
    'IPS-ETDB: 0.00000(2001-01-01 00:00)',
    'APP-DB: 22.00553(2023-06-13 01:23)',
    'INDUSTRIAL-DB: 22.00553(2023-06-13 01:23)',
    'IPS Malicious URL Database: 4.00715(2023-06-14 11:08)',
    'IoT-Detect: 22.00553(2023-06-12 15:12)',
    'Serial-Number: FGVMEVABCDEF1234',
    'License Status: Valid',
    'Evaluation License Expires: Sat Feb  1 10:21:33 2025',
    'VM Resources: 1 CPU/1 allowed, 2007 MB RAM/2048 MB allowed',
    'Log hard disk: Available',
    `Hostname: ${d.hostname}`,
    'Private Encryption: Disable',
    'Operation Mode: NAT',
    'Current virtual domain: root',
    'Max number of virtual domains: 1',
    'Virtual domains status: 1 in NAT mode, 0 in TP mode',
    'Virtual domain configuration: disable',
    'FIPS-CC mode: disable',
    'Current HA mode: standalone',
    'Branch point: 1517',
    'Release Version Information: GA',
    'FortiOS x86-64: Yes',
    `System time: ${dayName(now)} ${monthName(now)} ${String(now.getUTCDate()).padStart(2)} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} ${now.getUTCFullYear()}`,
    'Last reboot reason: warm reboot',
  ];
}

function consoleSettings(d: FortiDevice): string[] {
  return [
    `output              : ${d.outputMode}`,
    'login               : enable',
    'fortiexplorer       : enable',
    'log                 : disable',
  ];
}

function physical(d: FortiDevice): string[] {
  const out = ['System Interface Physical Status:'];
  for (const i of d.interfaces.values()) {
    const [ip, mask] = i.ip.split(' ');
    out.push(
      `        ==[${i.name}]`,
      `                mode: static`,
      `                ip: ${ip} ${mask}`,
      `                ipv6: ::/0`,
      `                status: ${i.status}`,
      `                speed: ${i.status === 'up' ? '10000Mbps (Duplex: full)' : 'n/a'}`,
    );
  }
  return out;
}

function showInterfaces(d: FortiDevice, only?: string): string[] {
  const out = ['config system interface'];
  for (const i of d.interfaces.values()) {
    if (only && i.name !== only) continue;
    out.push(`    edit "${i.name}"`, '        set vdom "root"', `        set ip ${i.ip}`);
    if (i.alias) out.push(`        set alias "${i.alias}"`);
    if (i.description) out.push(`        set description "${i.description}"`);
    if (i.status === 'down') out.push('        set status down');
    out.push('    next');
  }
  return [...out, 'end'];
}

const unquote = (s: string): string => s.replace(/^"(.*)"$/, '$1');

class FortiShell implements Shell {
  /** `config` path: [] at the top, ['system', 'interface'], then the `edit` name. */
  private block: string[] = [];
  private editing: string | null = null;
  private changed = false;

  constructor(
    private readonly d: FortiDevice,
    private readonly io: ShellIO,
  ) {
    io.pageLength = d.outputMode === 'more' ? PAGE : 0;
  }

  prompt(): string {
    const ctx = this.editing ?? this.block[this.block.length - 1];
    return ctx ? `${this.d.hostname} (${ctx}) # ` : `${this.d.hostname} # `;
  }

  run(line: string): string[] {
    const [cmd, grep] = splitPipe(line);
    const out = this.exec(cmd);
    if (grep === undefined) return out;
    return out.filter((l) => l.includes(grep));
  }

  private exec(line: string): string[] {
    const w = tokenize(line).map((x) => x.text);
    const head = w[0] ?? '';
    if (this.block.length === 0) return this.top(w, line);
    if (head === 'end') return this.end();
    if (head === 'abort') {
      this.block = [];
      this.editing = null;
      this.changed = false;
      return [];
    }
    if (head === 'show') return this.block[1] === 'interface' ? showInterfaces(this.d, this.editing ?? undefined) : [];
    if (head === 'get') return this.block[1] === 'console' ? consoleSettings(this.d) : [];
    const where = this.block.join(' ');
    if (where === 'system console') {
      if (head === 'set' && w[1] === 'output' && (w[2] === 'standard' || w[2] === 'more')) return this.set(() => (this.d.outputMode = w[2] as 'more' | 'standard'));
      if (head === 'set' && w[1] === 'baudrate' && w[2]) return this.set(() => undefined);
      return PARSE_FAIL(w[1] ?? head);
    }
    if (where === 'system global') {
      if (head === 'set' && w[1] === 'hostname' && w[2]) return this.set(() => (this.d.hostname = unquote(w[2] as string)));
      if (head === 'set' && w[1] === 'timezone' && w[2]) return this.set(() => (this.d.timezone = w[2] as string));
      return PARSE_FAIL(w[1] ?? head);
    }
    if (where === 'system interface') {
      if (!this.editing) {
        if (head === 'edit' && w[1]) {
          const name = unquote(w[1]);
          if (!this.d.interfaces.has(name)) return ['entry not found in datasource', '', `value parse error before '${w[1]}'`, 'Command fail. Return code -3'];
          this.editing = name;
          return [];
        }
        return PARSE_FAIL(head);
      }
      const iface = this.d.interfaces.get(this.editing) as FortiInterface;
      if (head === 'next') {
        this.editing = null;
        return [];
      }
      if (head === 'set' && w[1] === 'alias' && w[2]) return this.set(() => (iface.alias = unquote(w.slice(2).join(' '))));
      if (head === 'set' && w[1] === 'description' && w[2]) return this.set(() => (iface.description = unquote(line.slice(line.indexOf(w[2] as string)))));
      if (head === 'set' && w[1] === 'status' && (w[2] === 'up' || w[2] === 'down')) return this.set(() => (iface.status = w[2] as 'up' | 'down'));
      if (head === 'set' && w[1] === 'ip' && w[2] && w[3]) {
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(w[2]) || !/^\d+\.\d+\.\d+\.\d+$/.test(w[3])) return [`value parse error before '${w[2]}'`, 'Command fail. Return code -8'];
        return this.set(() => (iface.ip = `${w[2]} ${w[3]}`));
      }
      if (head === 'set' && w[1] === 'allowaccess') return this.set(() => undefined);
      return PARSE_FAIL(w[1] ?? head);
    }
    return PARSE_FAIL(head);
  }

  private top(w: string[], line: string): string[] {
    const [a, b, c, e] = w;
    if (a === 'get' && b === 'system' && c === 'status') return status(this.d);
    if (a === 'get' && b === 'system' && c === 'console') return consoleSettings(this.d);
    if (a === 'get' && b === 'system' && c === 'interface' && e === 'physical') return physical(this.d);
    if (a === 'show' && b === 'system' && c === 'interface') return showInterfaces(this.d, e ? unquote(e) : undefined);
    if (a === 'show' && b === 'full-configuration' && c === 'system' && e === 'console') return ['config system console', `    set output ${this.d.outputMode}`, 'end'];
    if (a === 'config' && b === 'system' && c && ['console', 'interface', 'global'].includes(c) && w.length === 3) {
      this.block = ['system', c];
      return [];
    }
    if (a === 'config') return PARSE_FAIL(c ?? b ?? a);
    if (a === 'exit') {
      this.io.close();
      return [];
    }
    return line.trim() ? ['Unknown action 0'] : [];
  }

  private set(apply: () => unknown): string[] {
    apply();
    this.changed = true;
    return [];
  }

  private end(): string[] {
    if (this.changed) this.d.saves++;
    this.changed = false;
    this.block = [];
    this.editing = null;
    this.io.pageLength = this.d.outputMode === 'more' ? PAGE : 0;
    return [];
  }
}

/** `cmd | grep word` → ['cmd', 'word']. */
function splitPipe(line: string): [string, string | undefined] {
  const m = /^(.*?)\s*\|\s*grep\s+(.+)$/.exec(line);
  return m ? [m[1] as string, (m[2] as string).trim()] : [line, undefined];
}

export const fortinet: EmulatedPlatform<FortiDevice> = {
  name: 'fortinet',
  sshIdent: 'SSH-2.0-FortiSSH_7.2',
  pager: { marker: '--More-- ', erase: '\r         \r' },
  defaultPageLength: PAGE,
  telnetPrompts: { username: 'FGT-VM64 login: ', password: 'Password: ', refused: 'Login incorrect' },
  createDevice: (opts) => {
    const d: FortiDevice = {
      hostname: opts.hostname ?? 'FGT-VM64',
      saves: 0,
      outputMode: 'more',
      timezone: '04',
      interfaces: new Map(),
      runningConfig: () => [...showInterfaces(d), 'config system global', `    set hostname "${d.hostname}"`, 'end', 'config system console', `    set output ${d.outputMode}`, 'end'].join('\n'),
    };
    for (const i of [
      { name: 'port1', ip: '192.168.1.99 255.255.255.0', alias: 'wan', description: '', status: 'up' as const },
      { name: 'port2', ip: '10.10.10.1 255.255.255.0', alias: 'lan', description: '', status: 'up' as const },
      { name: 'port3', ip: '0.0.0.0 0.0.0.0', alias: '', description: '', status: 'down' as const },
    ]) {
      d.interfaces.set(i.name, i);
    }
    return d;
  },
  openShell: (device, io) => new FortiShell(device, io),
};
