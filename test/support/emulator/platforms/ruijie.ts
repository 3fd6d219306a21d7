/**
 * Ruijie RGOS (an S2910 switch on RGOS 11.4): Cisco-shaped modes, interfaces named with a space
 * (`GigabitEthernet 0/1`), `terminal width`/`terminal length` in privileged mode only, `write` saves,
 * `% Invalid input detected at '^' marker.` under a caret.
 */
import { CliShell, interfaceCommands, newCliDevice, type CliDevice } from '../cli-shell.js';
import { caretErrors, ciscoPrompt, enableHandler, globalConfig, interfaceResolver } from '../cisco-like.js';
import type { EmulatedPlatform } from '../platform.js';
import { maskBits, uptimeParts } from '../words.js';

function version(d: CliDevice): string[] {
  const up = uptimeParts(d.bootedAt);
  const [dd, hh, mm] = [up.weeks * 7 + up.days, up.hours, up.minutes];
  return [
    'System description      : Ruijie Gigabit Security & Intelligence Access Switch(S2910-24GT4XS-E) By Ruijie Networks',
    'System start time       : 2024-11-20 08:12:45',
    `System uptime           : ${dd}:${hh}:${mm}:00`,
    'System hardware version : 1.00',
    'System software version : S29_RGOS 11.4(1)B12P9',
    'System patch number     : NA',
    'System serial number    : G1QH10V000123',
    'System boot version     : 1.3.15',
  ];
}

function ipBrief(d: CliDevice): string[] {
  const row = (a: string, b: string, c: string, s: string, p: string): string => `${a.padEnd(33)}${b.padEnd(21)}${c.padEnd(21)}${s.padEnd(23)}${p}`;
  return [
    row('Interface', 'IP-Address(Pri)', 'IP-Address(Sec)', 'Status', 'Protocol'),
    ...[...d.interfaces.values()].map((i) =>
      row(i.name, i.ip ? `${i.ip.address}/${maskBits(i.ip.mask)}` : 'no address', 'no address', i.shutdown ? 'administratively down' : 'up', i.shutdown ? 'down' : 'up'),
    ),
  ];
}

function config(d: CliDevice): string {
  const out = ['!', `hostname ${d.hostname}`, '!', ...d.lines, '!'];
  for (const i of d.interfaces.values()) {
    out.push(`interface ${i.name}`);
    if (i.description) out.push(` description ${i.description}`);
    if (i.ip) out.push(` ip address ${i.ip.address} ${i.ip.mask}`);
    if (i.shutdown) out.push(' shutdown');
    out.push('!');
  }
  return [...out, 'end'].join('\n');
}

const resolveInterface = interfaceResolver(['GigabitEthernet', 'TenGigabitEthernet', 'VLAN', 'Loopback', 'AggregatePort'], (k, n) => `${k} ${n}`);

export const ruijieOs: EmulatedPlatform<CliDevice> = {
  name: 'ruijie_os',
  sshIdent: 'SSH-2.0-RGOS_SSH',
  pager: { marker: ' --More-- ', erase: '\b'.repeat(10) + ' '.repeat(10) + '\b'.repeat(10) },
  defaultPageLength: 24,
  telnetPrompts: { username: 'Username:', password: 'Password:', refused: '% Login invalid' },
  createDevice: (opts) =>
    newCliDevice(
      opts.hostname ?? 'Ruijie',
      [
        { name: 'VLAN 1', ip: { address: '192.168.1.1', mask: '255.255.255.0' } },
        { name: 'GigabitEthernet 0/1' },
        { name: 'GigabitEthernet 0/2', shutdown: true },
      ],
      config,
    ),
  openShell: (device, io, opts) =>
    new CliShell(
      device,
      io,
      {
        prompt: ciscoPrompt((sub) => `config-if-${sub}`),
        user: {
          enable: enableHandler({ refused: ['% Access denied.', ''] }),
          'show version': (ctx) => version(ctx.device),
          'show ip interface brief': (ctx) => ipBrief(ctx.device),
        },
        priv: {
          'terminal width <n>': () => [],
          'terminal length <n>': (ctx) => ((ctx.io.pageLength = Number(ctx.args[0])), []),
          'configure terminal': (ctx) => ((ctx.shell.mode = 'config'), ['Enter configuration commands, one per line.  End with CNTL/Z.']),
          configure: (ctx) => ((ctx.shell.mode = 'config'), ['Enter configuration commands, one per line.  End with CNTL/Z.']),
          'show running-config': (ctx) => ['', 'Building configuration...', `Current configuration : ${config(ctx.device).length} bytes`, '', ...config(ctx.device).split('\n')],
          write: (ctx) => ((ctx.device.saves++, (ctx.device.dirty = false)), ['Building configuration...', '[OK]']),
          'write memory': (ctx) => ((ctx.device.saves++, (ctx.device.dirty = false)), ['Building configuration...', '[OK]']),
          disable: (ctx) => ((ctx.shell.mode = 'user'), []),
        },
        config: globalConfig({ interfaceName: resolveInterface, creatable: (n) => /^(VLAN|Loopback)/.test(n), accepted: ['vlan', 'ip', 'snmp-server', 'ntp', 'logging', 'username', 'spanning-tree'] }),
        sub: interfaceCommands(),
        errorLines: caretErrors({
          invalid: "% Invalid input detected at '^' marker.",
          incomplete: ['% Incomplete command.', ''],
          ambiguous: (line) => [`% Ambiguous command: "${line}"`],
        }),
        logout: ['exit', 'logout', 'quit'],
      },
      opts.privileged,
    ),
};
