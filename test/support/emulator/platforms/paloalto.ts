/**
 * Palo Alto PAN-OS 10.2 (a PA-VM): keyboard-interactive login, `admin@PA-VM> ` in operational mode and
 * `admin@PA-VM# ` after `configure`, with an `[edit]` line above every configuration-mode prompt; `set cli …`
 * settings, a less-style pager (`lines 1-23 `), `commit` with its progress and `Configuration committed
 * successfully`, `exit` back to operational mode, `Unknown command: …` and `Invalid syntax.` errors.
 */
import type { DeviceBase, EmulatedPlatform, Shell, ShellIO } from '../platform.js';
import { tokenize, uptimeText } from '../words.js';

interface PanDevice extends DeviceBase {
  candidate: string[];
  running: string[];
  bootedAt: number;
}

const PAGE = 24;

function systemInfo(d: PanDevice): string[] {
  return [
    '',
    `hostname: ${d.hostname}`,
    'ip-address: 192.168.1.1',
    'public-ip-address: unknown',
    'netmask: 255.255.255.0',
    'default-gateway: 192.168.1.254',
    'ip-assignment: static',
    'ipv6-address: unknown',
    'ipv6-link-local-address: fe80::250:56ff:feaa:bbcc/64',
    'mac-address: 00:50:56:aa:bb:cc',
    `uptime: ${uptimeText(d.bootedAt)}`,
    'family: vm',
    'model: PA-VM',
    'serial: 007051000123456',
    'vm-mac-base: 7C:89:C1:00:00:00',
    'vm-mac-count: 256',
    'vm-uuid: 564D1234-ABCD-5678-EF90-123456789ABC',
    'vm-cpuid: ESX:A7060500FFFBAB1F',
    'vm-license: VM-100',
    'vm-cap-tier: 6.5 GB',
    'vm-cpu-count: 2',
    'vm-memory: 6.5 GB',
    'vm-mode: VMware ESXi',
    'cloud-mode: non-cloud',
    'sw-version: 10.2.4',
    'global-protect-client-package-version: 0.0.0',
    'device-dictionary-version: 55-302',
    'app-version: 8700-7709',
    'threat-version: 8700-7709',
    'wildfire-version: 0',
    'url-filtering-version: 20230614.20151',
    'logdb-version: 10.2.1',
    'platform-family: vm',
    'vpn-disable-mode: off',
    'multi-vsys: off',
    'operational-mode: normal',
    'device-certificate-status: None',
    '',
  ];
}

class PanShell implements Shell {
  private config = false;
  private pager = true;

  constructor(
    private readonly d: PanDevice,
    private readonly io: ShellIO,
  ) {
    io.pageLength = PAGE;
  }

  prompt(): string {
    return this.config ? `[edit]\r\n${this.io.username}@${this.d.hostname}# ` : `${this.io.username}@${this.d.hostname}> `;
  }

  run(line: string): string[] {
    const w = tokenize(line).map((x) => x.text);
    return this.config ? this.configure(w, line) : this.operational(w, line);
  }

  private operational(w: string[], line: string): string[] {
    const cmd = w.join(' ');
    let m: RegExpExecArray | null;
    if ((m = /^set cli scripting-mode (on|off)$/.exec(cmd))) return [];
    if ((m = /^set cli terminal width (\d+)$/.exec(cmd))) return ((this.io.width = Number(m[1])), []);
    if ((m = /^set cli pager (on|off)$/.exec(cmd))) {
      this.pager = m[1] === 'on';
      this.io.pageLength = this.pager ? PAGE : 0;
      return [];
    }
    if (cmd === 'show system info') return systemInfo(this.d);
    if (cmd === 'show config running') return ['config {', ...this.d.running.map((l) => `  ${l};`), '}'];
    if (cmd === 'configure') {
      this.config = true;
      return ['Entering configuration mode'];
    }
    if (cmd === 'exit' || cmd === 'quit') {
      this.io.close();
      return [];
    }
    return [`Unknown command: ${w[0] ?? line}`];
  }

  private configure(w: string[], line: string): string[] {
    const cmd = w.join(' ');
    if (cmd === 'exit' || cmd === 'quit') {
      this.config = false;
      return ['Exiting configuration mode'];
    }
    if (cmd === 'commit') {
      this.d.running = [...this.d.candidate];
      // The host name is part of the configuration: it changes when committed.
      const host = [...this.d.running].reverse().find((l) => l.startsWith('deviceconfig system hostname '));
      if (host) this.d.hostname = host.slice('deviceconfig system hostname '.length);
      this.d.saves++;
      return ['', 'Commit job 2 is in progress. Use Ctrl+C to return to command prompt', '...0%.....50%.......100%', 'Configuration committed successfully', ''];
    }
    if (cmd === 'show') return ['config {', ...this.d.candidate.map((l) => `  ${l};`), '}'];
    if (/^set (?:deviceconfig|network|address|address-group|service|rulebase|zone|shared|tag) \S.*$/.test(cmd)) {
      this.d.candidate.push(line.slice(line.indexOf(w[1] as string)));
      return [];
    }
    if (w[0] === 'set' || w[0] === 'delete') return ['Invalid syntax.'];
    return [`Unknown command: ${w[0] ?? line}`];
  }
}

export const paloaltoPanos: EmulatedPlatform<PanDevice> = {
  name: 'paloalto_panos',
  sshIdent: 'SSH-2.0-OpenSSH_8.0',
  // less-style: the lines shown so far, erased with a carriage return and spaces.
  pager: { marker: (shown) => `lines ${Math.max(1, shown - PAGE + 2)}-${shown} `, erase: '\r                    \r' },
  defaultPageLength: PAGE,
  keyboardInteractive: true,
  telnetPrompts: { username: 'login: ', password: 'Password: ', refused: 'Login incorrect' },
  createDevice: (opts) => {
    const d: PanDevice = {
      hostname: opts.hostname ?? 'PA-VM',
      saves: 0,
      candidate: ['deviceconfig system hostname PA-VM'],
      running: ['deviceconfig system hostname PA-VM'],
      bootedAt: Date.now() - (23 * 86400 + 5 * 3600 + 17 * 60) * 1000,
      runningConfig: () => d.running.join('\n'),
    };
    return d;
  },
  openShell: (device, io) => new PanShell(device, io),
};
