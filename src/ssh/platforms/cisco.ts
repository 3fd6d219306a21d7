/**
 * Cisco IOS/IOS-XE, NX-OS and IOS-XR. Sources: netmiko/cisco/cisco_ios.py (`terminal width 511`,
 * `terminal length 0`, enable, `configure terminal`/`end`), netmiko/cisco/cisco_nxos.py
 * (`copy running-config startup-config`), netmiko/cisco/cisco_xr.py (no enable, commit in configuration mode),
 * netmiko/cisco_base_connection.py for the shared prompts and modes.
 */
import { ciscoShaped, type DeviceProfile, type SaveSpec } from './profile.js';

function ciscoFamily(
  names: string[],
  opts: { source: string; width: string; truncate?: number; save?: SaveSpec; enable?: boolean; telnet: string[] },
): DeviceProfile {
  return {
    names,
    telnet: opts.telnet,
    source: opts.source,
    sessionCommands: [opts.width, 'terminal length 0'],
    pagingCommands: ['terminal length 0'],
    ...ciscoShaped(opts.truncate === undefined ? {} : { truncate: opts.truncate }),
    ...(opts.enable === false ? { enable: undefined } : {}),
    save: opts.save ?? { command: 'write memory' },
  };
}

export const CISCO_IOS = ciscoFamily(['cisco_ios', 'cisco_xe'], {
  source: 'netmiko/cisco/cisco_ios.py (CiscoIosBase)',
  width: 'terminal width 511',
  truncate: 16,
  telnet: ['cisco_ios', 'cisco_xe'],
});

export const CISCO_NXOS = ciscoFamily(['cisco_nxos'], {
  source: 'netmiko/cisco/cisco_nxos.py (CiscoNxosSSH)',
  width: 'terminal width 511',
  save: { command: 'copy running-config startup-config' },
  telnet: ['cisco_nxos'],
});

export const CISCO_XR = ciscoFamily(['cisco_xr'], {
  source: 'netmiko/cisco/cisco_xr.py (CiscoXrSSH)',
  width: 'terminal width 511',
  enable: false,
  save: { command: 'commit', inConfigMode: true },
  telnet: ['cisco_xr'],
});

/**
 * Cisco ASA. Source: netmiko/cisco/cisco_asa_ssh.py (CiscoAsaSSH): `show curpriv` to make sure the CLI is ready,
 * enable (with a secret; the `login` command otherwise), `terminal pager 0`, then `terminal width 511` inside
 * configuration mode; `write mem` saves; the prompt may carry `(config…)` after a context change, which the base
 * prompt drops.
 */
export const CISCO_ASA: DeviceProfile = {
  names: ['cisco_asa'],
  telnet: [],
  source: 'netmiko/cisco/cisco_asa_ssh.py (CiscoAsaSSH)',
  sessionCommands: ['terminal pager 0'],
  pagingCommands: ['terminal pager 0'],
  ...ciscoShaped(),
  save: { command: 'write mem' },
  async prepare(s) {
    await s.sendCommand('show curpriv');
    if (s.secret !== undefined) await s.enable();
    if (s.disablePaging) await s.sendCommand('terminal pager 0');
    // netmiko ignores a refused width (allow_auto_change): an ASA without the command still works.
    await s.sendConfigLines(['terminal width 511']).catch(() => undefined);
  },
};
