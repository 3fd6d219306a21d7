/**
 * Cisco ASA (an ASAv on 9.18): `show curpriv`, `enable` with a password, `terminal pager 0`, `terminal width` taken
 * in configuration mode, interfaces with a `nameif`, `write mem` with its cryptochecksum, `ERROR: % Invalid input
 * detected at '^' marker.` under a caret, and the `<--- More --->` pager.
 */
import { CliShell, interfaceCommands, newCliDevice, type CliDevice, type Handler } from '../cli-shell.js';
import { caretErrors, ciscoPrompt, enableHandler, globalConfig, interfaceResolver } from '../cisco-like.js';
import type { EmulatedPlatform } from '../platform.js';
import { uptimeText } from '../words.js';

function config(d: CliDevice): string {
  const out = [': Saved', ':', 'ASA Version 9.18(3)56', '!', `hostname ${d.hostname}`, ...d.lines];
  for (const i of d.interfaces.values()) {
    out.push(`interface ${i.name}`);
    for (const e of i.extra) out.push(` ${e}`);
    if (i.description) out.push(` description ${i.description}`);
    out.push(i.ip ? ` ip address ${i.ip.address} ${i.ip.mask}` : ' no ip address');
    if (i.shutdown) out.push(' shutdown');
    out.push('!');
  }
  return out.join('\n');
}

function ipBrief(d: CliDevice): string[] {
  const row = (a: string, b: string, c: string, m: string, s: string, p: string): string => `${a.padEnd(27)}${b.padEnd(16)}${c.padEnd(4)}${m.padEnd(7)}${s.padEnd(22)}${p}`;
  return [
    row('Interface', 'IP-Address', 'OK?', 'Method', 'Status', 'Protocol'),
    ...[...d.interfaces.values()].map((i) => row(i.name, i.ip?.address ?? 'unassigned', 'YES', i.ip ? 'CONFIG' : 'unset', i.shutdown ? 'administratively down' : 'up', i.shutdown ? 'down' : 'up')),
  ];
}

function version(d: CliDevice): string[] {
  return [
    '',
    'Cisco Adaptive Security Appliance Software Version 9.18(3)56',
    'SSP Operating System Version 2.12(0.212)',
    'Device Manager Version 7.18(1)152',
    '',
    'Compiled on Wed 05-Apr-23 13:24 GMT by builders',
    'System image file is "disk0:/asa9-18-3-56-smp-k8.bin"',
    'Config file at boot was "startup-config"',
    '',
    `${d.hostname} up ${uptimeText(d.bootedAt)}`,
    '',
    'Hardware:   ASAv, 2048 MB RAM, CPU Xeon 4100/6100/8100 series 2200 MHz,',
    'Model Id:   ASAv10',
    'Internal ATA Compact Flash, 8192MB',
    '',
    ' 0: Ext: GigabitEthernet0/0  : address is 5000.0001.0000, irq 10',
    ' 1: Ext: GigabitEthernet0/1  : address is 5000.0001.0001, irq 11',
    ' 2: Ext: Management0/0       : address is 5000.0001.0002, irq 0',
    '',
    'Serial Number: 9A1B2C3D4E5',
    'Configuration register is 0x1',
    'Configuration last modified by enable_15 at 10:21:33.123 UTC Tue Jan 14 2025',
  ];
}

const curpriv: Handler = (ctx) =>
  ctx.shell.mode === 'user'
    ? ['Username : enable_1', 'Current privilege level : 1', 'Current Mode/s : P_UNPR']
    : ['Username : enable_15', 'Current privilege level : 15', `Current Mode/s : ${ctx.shell.mode === 'priv' ? 'P_PRIV' : 'P_CONF'}`];

const save: Handler = (ctx) => {
  ctx.device.saves++;
  ctx.device.dirty = false;
  return ['Building configuration...', 'Cryptochecksum: 1a2b3c4d 5e6f7a8b 9c0d1e2f 3a4b5c6d ', '', `${config(ctx.device).length} bytes copied in 0.150 secs`, '[OK]'];
};

export const ciscoAsa: EmulatedPlatform<CliDevice> = {
  name: 'cisco_asa',
  sshIdent: 'SSH-2.0-Cisco-1.25',
  pager: { marker: '<--- More --->', erase: '\r              \r' },
  defaultPageLength: 24,
  telnetPrompts: { username: 'Username: ', password: 'Password: ', refused: 'Invalid password' },
  createDevice: (opts) =>
    newCliDevice(
      opts.hostname ?? 'ciscoasa',
      [
        { name: 'GigabitEthernet0/0', ip: { address: '203.0.113.2', mask: '255.255.255.0' }, extra: ['nameif outside', 'security-level 0'] },
        { name: 'GigabitEthernet0/1', ip: { address: '10.10.0.1', mask: '255.255.255.0' }, extra: ['nameif inside', 'security-level 100'] },
        { name: 'Management0/0', shutdown: true },
      ],
      config,
    ),
  openShell: (device, io, opts) => {
    const terminal: Record<string, Handler> = {
      'terminal pager <n>': (ctx) => ((ctx.io.pageLength = Number(ctx.args[0])), []),
      'terminal width <n>': (ctx) => ((ctx.io.width = Number(ctx.args[0])), []),
    };
    const iface = interfaceCommands();
    return new CliShell(
      device,
      io,
      {
        prompt: ciscoPrompt(() => 'config-if'),
        user: {
          enable: enableHandler({ refused: ['Invalid password', ''] }),
          'show curpriv': curpriv,
          'show version': (ctx) => version(ctx.device),
          ...terminal,
        },
        priv: {
          'show interface ip brief': (ctx) => ipBrief(ctx.device),
          'show running-config': (ctx) => config(ctx.device).split('\n'),
          'configure terminal': (ctx) => ((ctx.shell.mode = 'config'), []),
          'write memory': save,
          'copy running-config startup-config': save,
          disable: (ctx) => ((ctx.shell.mode = 'user'), []),
        },
        config: {
          ...globalConfig({ interfaceName: interfaceResolver(['GigabitEthernet', 'Management', 'Port-channel'], (k, n) => `${k}${n}`), accepted: ['access-list', 'object', 'object-group', 'route', 'nat', 'ssh', 'logging', 'ntp', 'username'] }),
          ...terminal,
          'show curpriv': curpriv,
          'write memory': save,
        },
        sub: {
          ...iface,
          'nameif <name>': (ctx) => (ctx.device.interfaces.get(ctx.shell.sub ?? '')?.extra.push(ctx.line), []),
          'security-level <n>': (ctx) => (ctx.device.interfaces.get(ctx.shell.sub ?? '')?.extra.push(ctx.line), []),
        },
        errorLines: caretErrors({
          invalid: "ERROR: % Invalid input detected at '^' marker.",
          incomplete: ['ERROR: % Incomplete command'],
          ambiguous: (line) => [`ERROR: % Ambiguous command:  "${line}"`],
        }),
        logout: ['exit', 'logout', 'quit'],
      },
      opts.privileged,
    );
  },
};
