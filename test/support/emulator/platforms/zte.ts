/**
 * ZTE ZXROS (a ZXCTN 6120H-S): Cisco-shaped modes, interfaces such as `gei-0/1/0/1`, `terminal length 0`, `write`
 * saves, errors as `%Error 20200: …` under a caret.
 */
import { CliShell, interfaceCommands, newCliDevice, type CliDevice } from '../cli-shell.js';
import { caretErrors, ciscoPrompt, enableHandler, globalConfig } from '../cisco-like.js';
import type { EmulatedPlatform } from '../platform.js';
import { uptimeText } from '../words.js';

function config(d: CliDevice): string {
  const out = ['!<system-config>', `hostname ${d.hostname}`, '!</system-config>', ...d.lines];
  for (const i of d.interfaces.values()) {
    out.push('!<if-intf>', `interface ${i.name}`);
    if (i.description) out.push(`  description ${i.description}`);
    if (i.ip) out.push(`  ip address ${i.ip.address} ${i.ip.mask}`);
    out.push(i.shutdown ? '  shutdown' : '  no shutdown', '$', '!</if-intf>');
  }
  return [...out, 'end'].join('\n');
}

function interfaceBrief(d: CliDevice): string[] {
  const row = (a: string, b: string, c: string, bw: string, ad: string, ph: string, pr: string, de: string): string =>
    `${a.padEnd(15)}${b.padEnd(11)}${c.padEnd(6)}${bw.padEnd(7)}${ad.padEnd(6)}${ph.padEnd(6)}${pr.padEnd(6)}${de}`.trimEnd();
  return [
    row('Interface', 'Attribute', 'Mode', 'BW', 'Admin', 'Phy', 'Prot', 'Description'),
    ...[...d.interfaces.values()].map((i) =>
      row(i.name, i.name.startsWith('gei') ? 'optical' : 'virtual', 'L3', i.name.startsWith('gei') ? '1000' : '-', i.shutdown ? 'down' : 'up', i.shutdown ? 'down' : 'up', i.shutdown ? 'down' : 'up', i.description),
    ),
  ];
}

const resolveInterface = (typed: string): string | null => {
  const t = typed.replace(/\s+/g, '');
  return /^(gei|xgei|loopback|vlan)-?[\d/]+$/i.test(t) ? t.toLowerCase().replace(/^(loopback|vlan)-?/, '$1') : null;
};

export const zteZxros: EmulatedPlatform<CliDevice> = {
  name: 'zte_zxros',
  sshIdent: 'SSH-2.0-ZTE_SSH.2.0',
  pager: { marker: ' --More-- ', erase: '\b'.repeat(10) + ' '.repeat(10) + '\b'.repeat(10) },
  defaultPageLength: 24,
  telnetPrompts: { username: 'Username:', password: 'Password:', refused: '%Error 20201: Login failed' },
  createDevice: (opts) =>
    newCliDevice(
      opts.hostname ?? 'ZXROS',
      [
        { name: 'gei-0/1/0/1', ip: { address: '10.0.0.1', mask: '255.255.255.252' }, description: 'uplink' },
        { name: 'gei-0/1/0/2', shutdown: true },
        { name: 'loopback1', ip: { address: '1.1.1.1', mask: '255.255.255.255' } },
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
          enable: enableHandler({ refused: ['%Error 20203: Authentication failed.', ''] }),
          'terminal length <n>': (ctx) => ((ctx.io.pageLength = Number(ctx.args[0])), []),
          'show version': (ctx) => [
            'ZXCTN 6120H-S',
            'ZTE ZXCTN 6120H-S Software, Version: V5.00.10.20, Release software',
            'Copyright (c) 2000-2022 by ZTE Corporation',
            'System image files are flash:/img/zxctn6120hs.pkg',
            `${ctx.device.hostname} uptime is ${uptimeText(ctx.device.bootedAt)}`,
          ],
          'show interface brief': (ctx) => interfaceBrief(ctx.device),
        },
        priv: {
          'configure terminal': (ctx) => ((ctx.shell.mode = 'config'), ['Enter configuration commands, one per line.  End with CTRL/Z.']),
          'show running-config': (ctx) => ['Building configuration...', ...config(ctx.device).split('\n')],
          write: (ctx) => ((ctx.device.saves++, (ctx.device.dirty = false)), ['Building configuration...', '..[OK]']),
          disable: (ctx) => ((ctx.shell.mode = 'user'), []),
        },
        config: globalConfig({ interfaceName: resolveInterface, creatable: (n) => /^(loopback|vlan)/.test(n), accepted: ['vlan', 'ip', 'snmp-server', 'ntp', 'logging', 'username', 'router'] }),
        sub: interfaceCommands(),
        errorLines: caretErrors({
          invalid: "%Error 20200: Invalid input detected at '^' marker.",
          incomplete: ['%Error 20206: Incomplete command.', ''],
          ambiguous: (line) => [`%Error 20207: Ambiguous command: "${line}"`],
        }),
        logout: ['exit', 'logout', 'quit'],
      },
      opts.privileged,
    ),
};
