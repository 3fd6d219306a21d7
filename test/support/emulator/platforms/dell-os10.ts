/**
 * Dell EMC Networking OS10 (an S4148F-ON on 10.5): the admin user lands at the privileged prompt (`OS10#`),
 * interfaces `ethernet1/1/1` (typed `interface ethernet 1/1/1`), sub-mode prompts such as `(conf-if-eth1/1/1)`,
 * `terminal length 0`, `copy running-configuration startup-configuration` saves, `% Error: …` messages.
 */
import { CliShell, interfaceCommands, newCliDevice, type CliDevice } from '../cli-shell.js';
import { globalConfig } from '../cisco-like.js';
import type { EmulatedPlatform } from '../platform.js';

function config(d: CliDevice): string {
  const out = [`hostname ${d.hostname}`, ...d.lines, '!'];
  for (const i of d.interfaces.values()) {
    out.push(`interface ${i.name}`);
    if (i.description) out.push(` description "${i.description}"`);
    out.push(i.shutdown ? ' shutdown' : ' no shutdown');
    if (i.ip) out.push(` ip address ${i.ip.address}/${i.ip.mask}`);
    out.push('!');
  }
  return out.join('\n');
}

function status(d: CliDevice): string[] {
  const rule = '-'.repeat(98);
  const row = (p: string, de: string, st: string, sp: string, du: string, mo: string, vl: string, tv: string): string =>
    `${p.padEnd(16)}${de.padEnd(16)}${st.padEnd(9)}${sp.padEnd(9)}${du.padEnd(9)}${mo.padEnd(5)}${vl.padEnd(5)}${tv}`;
  return [
    rule,
    row('Port', 'Description', 'Status', 'Speed', 'Duplex', 'Mode', 'Vlan', 'Tagged-Vlans'),
    rule,
    ...[...d.interfaces.values()]
      .filter((i) => i.name.startsWith('ethernet'))
      .map((i) => row(`Eth ${i.name.slice('ethernet'.length)}`, i.description.slice(0, 15), i.shutdown ? 'down' : 'up', i.shutdown ? '0' : '10G', i.shutdown ? '-' : 'full', 'A', '1', '-')),
  ];
}

export const dellOs10: EmulatedPlatform<CliDevice> = {
  name: 'dell_os10',
  sshIdent: 'SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u2',
  pager: { marker: '--more--', erase: '\r        \r' },
  defaultPageLength: 24,
  telnetPrompts: { username: 'OS10 login: ', password: 'Password: ', refused: 'Login incorrect' },
  createDevice: (opts) =>
    newCliDevice(
      opts.hostname ?? 'OS10',
      [
        { name: 'ethernet1/1/1', description: 'uplink' },
        { name: 'ethernet1/1/2', shutdown: true },
        { name: 'vlan1', ip: { address: '192.168.10.1', mask: '24' } },
      ],
      config,
    ),
  openShell: (device, io) =>
    new CliShell(
      device,
      io,
      {
        prompt: (d, mode, sub) =>
          mode === 'priv' || mode === 'user'
            ? `${d.hostname}#`
            : mode === 'config'
              ? `${d.hostname}(config)#`
              : `${d.hostname}(conf-if-${(sub ?? '').replace(/^ethernet/, 'eth').replace(/^vlan/, 'vl-')})#`,
        user: {
          'terminal length <n>': (ctx) => ((ctx.io.pageLength = Number(ctx.args[0])), []),
          'show version': () => [
            'Dell EMC Networking OS10 Enterprise',
            'Copyright (c) 1999-2023 by Dell Inc. All Rights Reserved.',
            'OS Version: 10.5.4.2',
            'Build Version: 10.5.4.2.35',
            'Build Time: 2023-02-10T04:23:16+0000',
            'System Type: S4148F-ON',
            'Architecture: x86_64',
            'Up Time: 3 weeks 2 days 05:17:00',
          ],
          'show interface status': (ctx) => status(ctx.device),
          'show running-configuration': (ctx) => config(ctx.device).split('\n'),
          'configure terminal': (ctx) => ((ctx.shell.mode = 'config'), []),
          'copy running-configuration startup-configuration': (ctx) => ((ctx.device.saves++, (ctx.device.dirty = false)), []),
        },
        priv: {},
        config: globalConfig({
          interfaceName: (typed) => {
            const m = /^(ethernet|vlan|loopback)\s*([\d/:]+)$/i.exec(typed.trim()) ?? /^(eth|vl|lo)\s*([\d/:]+)$/i.exec(typed.trim());
            if (!m) return null;
            const kind = (m[1] as string).toLowerCase();
            return `${kind.startsWith('e') ? 'ethernet' : kind.startsWith('v') ? 'vlan' : 'loopback'}${m[2]}`;
          },
          creatable: (n) => /^(vlan|loopback)/.test(n),
          accepted: ['ip', 'snmp-server', 'ntp', 'logging', 'username', 'router', 'spanning-tree'],
        }),
        sub: interfaceCommands({ ipAddress: 'prefix' }),
        errorLines: (err) => {
          if (err.kind === 'custom') return err.lines;
          if (err.kind === 'incomplete') return ['% Error: Incomplete command.'];
          if (err.kind === 'ambiguous') return ['% Error: Ambiguous command.'];
          return ['% Error: Unrecognized command.'];
        },
        logout: ['exit', 'logout'],
      },
      true,
    ),
};
