/**
 * MikroTik RouterOS 7.12: the login name may carry terminal options (`admin+ct511w4098h`), the prompt is
 * `[admin@MikroTik] > `, commands are menu paths (`/ip address print`, `/system identity set name=R2`) applied at
 * once, nothing pages with the options netmiko sends, errors say where they are (`bad command name x (line 1
 * column 2)`), and `quit` logs out.
 */
import type { DeviceBase, EmulatedPlatform, Shell, ShellIO } from '../platform.js';
import { uptimeParts } from '../words.js';

interface Address {
  address: string;
  network: string;
  iface: string;
  dynamic: boolean;
}

interface RosDevice extends DeviceBase {
  addresses: Address[];
  interfaces: string[];
  dns: string;
  bootedAt: number;
}

function network(cidr: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return null;
  const bits = Number(m[5]);
  if (bits > 32 || m.slice(1, 5).some((o) => Number(o) > 255)) return null;
  const ip = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const net = bits === 0 ? 0 : Math.floor(ip / 2 ** (32 - bits)) * 2 ** (32 - bits);
  return [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.');
}

function resource(d: RosDevice): string[] {
  const up = uptimeParts(d.bootedAt);
  return [
    `                   uptime: ${up.weeks}w${up.days}d${up.hours}h${up.minutes}m${up.seconds}s`,
    '                  version: 7.12.1 (stable)',
    '               build-time: Nov/17/2023 11:38:45',
    '         factory-software: 7.1',
    '              free-memory: 873.5MiB',
    '             total-memory: 1024.0MiB',
    '                      cpu: QEMU',
    '                cpu-count: 1',
    '            cpu-frequency: 2496MHz',
    '                 cpu-load: 1%',
    '           free-hdd-space: 73.9MiB',
    '          total-hdd-space: 89.2MiB',
    '  write-sect-since-reboot: 1272',
    '         write-sect-total: 1272',
    '        architecture-name: x86_64',
    '               board-name: CHR',
    '                 platform: MikroTik',
  ];
}

function addresses(d: RosDevice): string[] {
  return [
    'Flags: D - DYNAMIC',
    'Columns: ADDRESS, NETWORK, INTERFACE',
    '#   ADDRESS          NETWORK       INTERFACE',
    ...d.addresses.map((a, i) => `${String(i).padEnd(2)}${a.dynamic ? 'D' : ' '} ${a.address.padEnd(17)}${a.network.padEnd(14)}${a.iface}`),
  ];
}

/** `key=value` arguments of a RouterOS command. */
function args(words: string[]): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const w of words) {
    const m = /^([a-z-]+)=(.*)$/.exec(w);
    if (!m) return null;
    out.set(m[1] as string, (m[2] as string).replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

class RosShell implements Shell {
  constructor(
    private readonly d: RosDevice,
    private readonly io: ShellIO,
  ) {}

  prompt(): string {
    return `[${this.io.username}@${this.d.hostname}] > `;
  }

  run(line: string): string[] {
    const words = line.split(/\s+/).filter(Boolean);
    const path = words.filter((w) => !w.includes('=')).join(' ');
    const kv = args(words.filter((w) => w.includes('=')));
    switch (path) {
      case 'quit':
        this.io.close();
        return ['interrupted'];
      case '/system identity print':
        return [`  name: ${this.d.hostname}`];
      case '/system identity set':
        if (!kv?.get('name')) return [`expected end of command (line 1 column ${line.length + 1})`];
        this.d.hostname = kv.get('name') as string;
        return [];
      case '/ip dns set':
        if (!kv?.get('servers')) return [`expected end of command (line 1 column ${line.length + 1})`];
        this.d.dns = kv.get('servers') as string;
        return [];
      case '/ip dns print':
        return [`                      servers: ${this.d.dns}`, '        allow-remote-requests: no'];
      case '/system resource print':
        return resource(this.d);
      case '/ip address print':
        return addresses(this.d);
      case '/interface print':
        return ['Flags: R - RUNNING', 'Columns: NAME, TYPE, ACTUAL-MTU, MAC-ADDRESS', '#   NAME    TYPE   ACTUAL-MTU  MAC-ADDRESS', ...this.d.interfaces.map((n, i) => `${String(i).padEnd(2)}R ${n.padEnd(8)}ether  ${'1500'.padEnd(12)}0C:9A:3E:${(10 + i).toString(16).toUpperCase()}:00:01`)];
      case '/ip address add': {
        const address = kv?.get('address');
        const iface = kv?.get('interface');
        if (!address || !iface) return ['failure: interface not specified'];
        const net = network(address);
        if (!net) return [`value of address must have IP address with optional netmask (line 1 column ${line.indexOf('address=') + 9})`];
        if (!this.d.interfaces.includes(iface)) return [`input does not match any value of interface`];
        if (this.d.addresses.some((a) => a.address === address)) return ['failure: already have such address'];
        this.d.addresses.push({ address, network: net, iface, dynamic: false });
        return [];
      }
    }
    const first = words[0] ?? '';
    if (!first.startsWith('/') || !['/system', '/ip', '/interface', '/routing', '/user', '/log', '/tool'].includes(first)) {
      return [`bad command name ${first.replace(/^\//, '')} (line 1 column ${first.startsWith('/') ? 2 : 1})`];
    }
    return [`syntax error (line 1 column ${line.indexOf(words[1] ?? '') + 1})`];
  }
}

export const mikrotikRouteros: EmulatedPlatform<RosDevice> = {
  name: 'mikrotik_routeros',
  sshIdent: 'SSH-2.0-ROSSSH',
  pager: { marker: '-- [Q quit|D dump|down]', erase: '\r                        \r' },
  // With the +ct511w4098h options netmiko sends there is no paging; the emulator has none at all.
  defaultPageLength: 0,
  telnetPrompts: { username: 'Login: ', password: 'Password: ', refused: 'Login failed, incorrect username or password' },
  loginName: (sent) => sent.replace(/\+[a-z0-9]*$/i, ''),
  createDevice: (opts) => {
    const d: RosDevice = {
      hostname: opts.hostname ?? 'MikroTik',
      saves: 0,
      interfaces: ['ether1', 'ether2', 'bridge'],
      dns: '',
      addresses: [
        { address: '192.168.88.1/24', network: '192.168.88.0', iface: 'bridge', dynamic: false },
        { address: '10.0.2.15/24', network: '10.0.2.0', iface: 'ether1', dynamic: true },
      ],
      bootedAt: Date.now() - (23 * 86400 + 5 * 3600 + 17 * 60) * 1000,
      runningConfig: () =>
        [`/ip dns`, `set servers=${d.dns}`, `/ip address`, ...d.addresses.filter((a) => !a.dynamic).map((a) => `add address=${a.address} interface=${a.iface} network=${a.network}`), '/system identity', `set name=${d.hostname}`].join('\n'),
    };
    return d;
  },
  openShell: (device, io) => new RosShell(device, io),
};
