/**
 * HPE Comware 7 (a FlexNetwork 5130): user view `<HPE>`, system view `[HPE]`, interface view
 * `[HPE-GigabitEthernet1/0/1]`; `screen-length disable`, `system-view`, `quit` (one view up; logs out from user view),
 * `return` (to user view), `undo` for negation, `save force`, and `% Unrecognized command found at '^' position.`
 * under a caret. `display` commands work in every view.
 */
import { acceptAll, CliShell, interfaceCommands, newCliDevice, type CliDevice, type Handler } from '../cli-shell.js';
import { caretErrors } from '../cisco-like.js';
import type { EmulatedPlatform } from '../platform.js';
import { dayName, pad, uptimeText } from '../words.js';

function config(d: CliDevice): string {
  const out = ['#', ' version 7.1.070, Release 3208P22', '#', ` sysname ${d.hostname}`, '#', ...d.lines.map((l) => ` ${l}`)];
  for (const i of d.interfaces.values()) {
    out.push('#', `interface ${i.name}`);
    if (i.description) out.push(` description ${i.description}`);
    if (i.ip) out.push(` ip address ${i.ip.address} ${i.ip.mask}`);
    if (i.shutdown) out.push(' shutdown');
  }
  return [...out, '#', 'return'].join('\n');
}

function brief(d: CliDevice): string[] {
  const routed = [...d.interfaces.values()].filter((i) => !i.name.startsWith('GigabitEthernet'));
  const bridged = [...d.interfaces.values()].filter((i) => i.name.startsWith('GigabitEthernet'));
  const short = (n: string): string => n.replace(/^GigabitEthernet/, 'GE').replace(/^Vlan-interface/, 'Vlan');
  return [
    'Brief information on interfaces in route mode:',
    'Link: ADM - administratively down; Stby - standby',
    'Protocol: (s) - spoofing',
    'Interface            Link Protocol Primary IP      Description',
    ...routed.map((i) => `${short(i.name).padEnd(21)}${(i.shutdown ? 'ADM' : 'UP').padEnd(5)}${(i.shutdown ? 'DOWN' : 'UP').padEnd(9)}${(i.ip?.address ?? '--').padEnd(16)}${i.description}`.trimEnd()),
    '',
    'Brief information on interfaces in bridge mode:',
    'Link: ADM - administratively down; Stby - standby',
    'Speed: (a) - auto',
    'Duplex: (a)/A - auto; H - half; F - full',
    'Type: A - access; T - trunk; H - hybrid',
    'Interface            Link Speed   Duplex Type PVID Description',
    ...bridged.map((i) =>
      `${short(i.name).padEnd(21)}${(i.shutdown ? 'ADM' : i.description ? 'UP' : 'DOWN').padEnd(5)}${(i.description && !i.shutdown ? '1G(a)' : 'auto').padEnd(8)}${(i.description && !i.shutdown ? 'F(a)' : 'A').padEnd(7)}${'A'.padEnd(5)}${'1'.padEnd(5)}${i.description}`.trimEnd(),
    ),
  ];
}

const display: Record<string, Handler> = {
  'display version': (ctx) => [
    'HPE Comware Software, Version 7.1.070, Release 3208P22',
    'Copyright (c) 2010-2022 Hewlett Packard Enterprise Development LP',
    `HPE 5130-24G-4SFP+ EI Switch uptime is ${uptimeText(ctx.device.bootedAt)}`,
    'Last reboot reason : Cold reboot',
    '',
    'Boot image: flash:/5130ei-cmw710-boot-r3208p22.bin',
    'System image: flash:/5130ei-cmw710-system-r3208p22.bin',
  ],
  'display interface brief': (ctx) => brief(ctx.device),
  'display clock': () => {
    const d = new Date();
    return [`${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} UTC ${dayName(d)} ${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()}`];
  },
  'display current-configuration': (ctx) => config(ctx.device).split('\n'),
};

const save: Handler = (ctx) => {
  ctx.device.saves++;
  ctx.device.dirty = false;
  return [
    'Validating file. Please wait...',
    'Saved the current configuration to mainboard device successfully.',
  ];
};

export const hpComware: EmulatedPlatform<CliDevice> = {
  name: 'hp_comware',
  sshIdent: 'SSH-2.0-Comware-7.1.070',
  pager: { marker: '  ---- More ----', erase: '\x1b[16D                \x1b[16D' },
  defaultPageLength: 24,
  telnetPrompts: { username: 'login: ', password: 'Password: ', refused: '%Wrong password.' },
  createDevice: (opts) =>
    newCliDevice(
      opts.hostname ?? 'HPE',
      [
        { name: 'Vlan-interface1', ip: { address: '192.168.0.233', mask: '255.255.255.0' } },
        { name: 'GigabitEthernet1/0/1', description: 'uplink' },
        { name: 'GigabitEthernet1/0/2' },
      ],
      config,
    ),
  openShell: (device, io, opts) =>
    new CliShell(
      device,
      io,
      {
        prompt: (d, mode, sub) => (mode === 'user' || mode === 'priv' ? `<${d.hostname}>` : mode === 'config' ? `[${d.hostname}]` : `[${d.hostname}-${sub}]`),
        user: {
          ...display,
          'screen-length disable': (ctx) => ((ctx.io.pageLength = 0), []),
          'system-view': (ctx) => ((ctx.shell.mode = 'config'), ['System View: return to User View with Ctrl+Z.']),
          save: (ctx) => {
            ctx.io.ask('The current configuration will be written to the device. Are you sure? [Y/N]:', (a) => (/^y/i.test(a) ? save(ctx) : []));
            return [];
          },
          'save force': save,
        },
        priv: {},
        config: {
          ...display,
          'sysname <name>': (ctx) => ((ctx.device.hostname = ctx.args[0] as string), (ctx.device.dirty = true), []),
          'interface <name...>': (ctx) => {
            const typed = ctx.args.join('');
            const m = /^(GigabitEthernet|Vlan-interface|LoopBack|GE|Vlan|Loop)\s*([\d/]+)$/i.exec(typed);
            if (!m) return [' '.repeat(ctx.shell.prompt().length + (ctx.words[1]?.offset ?? 0)) + '^', "% Wrong parameter found at '^' position."];
            const kind = (m[1] as string).toLowerCase();
            const name = `${kind.startsWith('g') ? 'GigabitEthernet' : kind.startsWith('v') ? 'Vlan-interface' : 'LoopBack'}${m[2]}`;
            if (!ctx.device.interfaces.has(name)) {
              if (name.startsWith('GigabitEthernet')) return [' '.repeat(ctx.shell.prompt().length + (ctx.words[1]?.offset ?? 0)) + '^', "% Wrong parameter found at '^' position."];
              ctx.device.interfaces.set(name, { name, ip: null, description: '', shutdown: false, extra: [] });
            }
            ctx.shell.mode = 'sub';
            ctx.shell.sub = name;
            return [];
          },
          quit: (ctx) => ((ctx.shell.mode = ctx.shell.mode === 'sub' ? 'config' : 'user'), (ctx.shell.sub = null), []),
          return: (ctx) => ((ctx.shell.mode = 'user'), (ctx.shell.sub = null), []),
          'save force': save,
          'vlan <args...>': acceptAll(),
          'ip <args...>': acceptAll(),
          'ntp-service <args...>': acceptAll(),
          'snmp-agent <args...>': acceptAll(),
          'local-user <args...>': acceptAll(),
        },
        sub: {
          ...interfaceCommands(),
          'undo shutdown': (ctx) => {
            const i = ctx.device.interfaces.get(ctx.shell.sub ?? '');
            if (i) i.shutdown = false;
            return [];
          },
        },
        errorLines: caretErrors({
          invalid: "% Unrecognized command found at '^' position.",
          incomplete: ["% Incomplete command found at '^' position."],
          ambiguous: () => ["% Ambiguous command found at '^' position."],
        }),
        logout: ['quit'],
      },
      opts.privileged,
    ),
};
