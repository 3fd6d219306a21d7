/**
 * HPE ProCurve / Aruba-OS switch (a 2920 on WB.16.10): a copyright banner and `Press any key to continue` before the
 * first prompt, VT100 codes around the prompt, `enable` asking a user name and a password, `no page` only when
 * privileged, ports named by number, `write memory` saving without a word, `Invalid input: …` errors, the
 * `-- MORE --, next page: Space, next line: Enter, quit: Control-C` pager, and `logout` asking
 * `Do you want to log out [y/n]?` (first `Do you want to save the current configuration [y/n/^C]?` when unsaved).
 */
import type { CliError} from '../cli-shell.js';
import { CliShell, interfaceCommands, newCliDevice, type CliContext, type CliDevice, type Handler } from '../cli-shell.js';
import { enableHandler, globalConfig } from '../cisco-like.js';
import type { EmulatedPlatform } from '../platform.js';

function config(d: CliDevice): string {
  const out = ['; J9726A Configuration Editor; Created on release #WB.16.10.0023', '; Ver #14:01.4f.f8.1d.9b.3f.bf.bb.ef.7c.59.fc.6b.fb.9f.fc.ff.ff.37.ef:05', `hostname "${d.hostname}"`, ...d.lines];
  for (const i of d.interfaces.values()) {
    if (!i.description && !i.ip && !i.shutdown) continue;
    out.push(`interface ${i.name}`);
    if (i.description) out.push(`   name "${i.description}"`);
    if (i.ip) out.push(`   ip address ${i.ip.address} ${i.ip.mask}`);
    if (i.shutdown) out.push('   disable');
    out.push('   exit');
  }
  return out.join('\n');
}

function interfacesBrief(d: CliDevice): string[] {
  const row = (p: string, t: string, a: string, e: string, s: string, m: string, mdi: string, f: string): string =>
    `  ${p.padEnd(12)} ${t.padEnd(10)} | ${a.padEnd(9)} ${e.padEnd(7)} ${s.padEnd(6)} ${m.padEnd(10)} ${mdi.padEnd(4)} ${f}`;
  return [
    '',
    ' Status and Counters - Port Status',
    '',
    '                          | Intrusion                           MDI  Flow',
    '  Port         Type       | Alert     Enabled Status Mode       Mode Ctrl',
    '  ------------ ---------- + --------- ------- ------ ---------- ---- ----',
    ...[...d.interfaces.values()].map((i) => row(i.name, '100/1000T', 'No', i.shutdown ? 'No' : 'Yes', i.name === '1' ? 'Up' : 'Down', '1000FDx', i.name === '1' ? 'MDIX' : 'Auto', 'off')),
  ];
}

const version: Handler = () => [
  'Image stamp:    /ws/swbuildm/rel_ukiah_qaoff/code/build/bom(swbuildm_rel_ukiah_qaoff_rel_ukiah)',
  '                Dec  5 2022 11:20:30',
  '                WB.16.10.0023',
  '                1148',
  'Boot Image:     Primary',
  '',
  'Build Options:',
];

const save: Handler = (ctx) => {
  ctx.device.saves++;
  ctx.device.dirty = false;
  return [];
};

/** ProCurve's logout: confirm, and first offer to save unsaved changes. */
function logout(ctx: CliContext): string[] {
  const confirm = (): void =>
    ctx.io.ask('Do you want to log out [y/n]? ', (a) => {
      if (/^y/i.test(a)) ctx.io.close();
      return [];
    });
  if (ctx.device.dirty) {
    ctx.io.ask('Do you want to save the current configuration [y/n/^C]? ', (a) => {
      if (/^y/i.test(a)) save(ctx);
      confirm();
      return [];
    });
  } else confirm();
  return [];
}

export const hpProcurve: EmulatedPlatform<CliDevice> = {
  name: 'hp_procurve',
  sshIdent: 'SSH-2.0-Mocana SSH 6.3',
  pager: { marker: '-- MORE --, next page: Space, next line: Enter, quit: Control-C', erase: '\x1b[2K\r' },
  defaultPageLength: 24,
  telnetPrompts: { username: 'Username: ', password: 'Password: ', refused: 'Invalid password' },
  greeting: 'HP J9726A 2920-24G Switch\nSoftware revision WB.16.10.0023\n\n(C) Copyright 2022 Hewlett Packard Enterprise Development LP\n\n                   RESTRICTED RIGHTS LEGEND\n Confidential computer software.',
  gate: 'Press any key to continue',
  createDevice: (opts) =>
    newCliDevice(
      opts.hostname ?? 'HP-2920-24G',
      [{ name: '1', description: 'uplink' }, { name: '2' }, { name: '3', shutdown: true }],
      config,
    ),
  openShell: (device, io, opts) =>
    new CliShell(
      device,
      io,
      {
        // The cursor is shown again after each prompt (the sequence netmiko and the driver both strip).
        prompt: (d, mode, sub) =>
          `${d.hostname}${mode === 'user' ? '>' : mode === 'priv' ? '#' : mode === 'config' ? '(config)#' : `(eth-${sub})#`} \x1b[?25h`,
        user: {
          enable: enableHandler({ askUsername: true, refused: ['Invalid password', ''] }),
          'terminal width <n>': (ctx) => ((ctx.io.width = Number(ctx.args[0])), []),
          'show version': version,
          'show interfaces brief': (ctx) => interfacesBrief(ctx.device),
          logout,
          exit: logout,
        },
        priv: {
          'no page': (ctx) => ((ctx.io.pageLength = 0), []),
          page: (ctx) => ((ctx.io.pageLength = 24), []),
          'show running-config': (ctx) => ['', 'Running configuration:', '', ...config(ctx.device).split('\n')],
          'configure terminal': (ctx) => ((ctx.shell.mode = 'config'), []),
          configure: (ctx) => ((ctx.shell.mode = 'config'), []),
          'write memory': save,
        },
        config: {
          ...globalConfig({
            interfaceName: (typed) => (/^\d{1,2}$/.test(typed.trim()) && Number(typed) <= 28 ? typed.trim() : null),
            accepted: ['vlan', 'ip', 'snmp-server', 'sntp', 'logging', 'spanning-tree', 'timesync'],
          }),
          'write memory': save,
        },
        sub: {
          ...interfaceCommands(),
          'name <text...>': (ctx) => {
            const i = ctx.device.interfaces.get(ctx.shell.sub ?? '');
            if (i) i.description = ctx.line.slice(ctx.line.indexOf(ctx.args[0] as string)).replace(/^"|"$/g, '');
            ctx.device.dirty = true;
            return [];
          },
          disable: (ctx) => (((ctx.device.interfaces.get(ctx.shell.sub ?? '') ?? { shutdown: false }).shutdown = true), (ctx.device.dirty = true), []),
          enable: (ctx) => (((ctx.device.interfaces.get(ctx.shell.sub ?? '') ?? { shutdown: false }).shutdown = false), (ctx.device.dirty = true), []),
        },
        errorLines: (err: CliError, line: string) => {
          if (err.kind === 'custom') return err.lines;
          if (err.kind === 'incomplete') return [`Incomplete input: ${line}`];
          if (err.kind === 'ambiguous') return [`Ambiguous input: ${err.at?.text ?? line}`];
          return [`Invalid input: ${err.at?.text ?? line}`];
        },
        logout: [],
      },
      opts.privileged,
    ),
};
