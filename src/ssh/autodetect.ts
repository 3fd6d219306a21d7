import { UnsupportedDeviceTypeError } from './errors.js';

/**
 * `device_type: autodetect`, the way netmiko's SSHDetect finds a device type (netmiko/ssh_autodetect.py): log in
 * with no preparation, send probe commands, and search each answer for the patterns of each candidate type (case
 * insensitive). An answer that contains a CLI error is no match. Each match scores the candidate's priority; 99 ends
 * the search at once, otherwise the best score wins after the last probe; a command is sent only once however many
 * candidates share it.
 *
 * The probe list is SSHDetect's, in SSHDetect's order (commands shared by most candidates first), restricted to the
 * device types this driver serves: a device that SSHDetect would call something else is not detected here (the
 * job fails with UnsupportedDeviceTypeError naming the probes) rather than driven with a wrong profile. One
 * difference: pager markers are answered, where SSHDetect reads only the first page.
 */

interface Probe {
  deviceType: string;
  command: string;
  patterns: readonly RegExp[];
  priority: number;
}

export const DETECT_PROBES: readonly Probe[] = [
  { deviceType: 'extreme_exos', command: 'show version', patterns: [/ExtremeXOS/i, /EXOS/i], priority: 99 },
  {
    deviceType: 'juniper_junos',
    command: 'show version',
    patterns: [/JUNOS Software Release/i, /JUNOS .+ Software/i, /JUNOS OS Kernel/i, /JUNOS Base Version/i],
    priority: 99,
  },
  { deviceType: 'hp_procurve', command: 'show version', patterns: [/Image stamp.*\/code\/build/i], priority: 99 },
  { deviceType: 'dell_os10', command: 'show version', patterns: [/Dell EMC Networking OS10.Enterprise/i, /Dell SmartFabric OS10[\s*|-]Enterprise/i], priority: 99 },
  { deviceType: 'cisco_xr', command: 'show version', patterns: [/Cisco IOS XR/i], priority: 99 },
  { deviceType: 'cisco_nxos', command: 'show version', patterns: [/Cisco Nexus Operating System/i, /NX-OS/i], priority: 99 },
  { deviceType: 'cisco_xe', command: 'show version', patterns: [/Cisco IOS XE Software/i], priority: 99 },
  { deviceType: 'cisco_ios', command: 'show version', patterns: [/Cisco IOS Software/i, /Cisco Internetwork Operating System Software/i], priority: 95 },
  { deviceType: 'cisco_asa', command: 'show version', patterns: [/Cisco Adaptive Security Appliance/i, /Cisco ASA/i], priority: 99 },
  { deviceType: 'arista_eos', command: 'show version', patterns: [/Arista/i, /vEOS/i], priority: 99 },
  { deviceType: 'huawei', command: 'display version', patterns: [/Huawei Technologies/i, /Huawei Versatile Routing Platform Software/i], priority: 99 },
  { deviceType: 'hp_comware', command: 'display version', patterns: [/HPE Comware/i, /HP Comware/i], priority: 99 },
  { deviceType: 'paloalto_panos', command: 'show system info', patterns: [/model:\s+PA/i], priority: 99 },
  { deviceType: 'linux', command: 'uname -a', patterns: [/Linux/i], priority: 95 },
  { deviceType: 'fortinet', command: 'get system status', patterns: [/FortiOS/i, /FortiGate/i], priority: 99 },
  { deviceType: 'cisco_xr', command: 'show version brief', patterns: [/Cisco IOS XR/i], priority: 99 },
];

/** SSHDetect's `invalid_responses`: an answer with one of these says nothing about the platform. */
const INVALID_RESPONSES = [
  /% Invalid input detected/i,
  /syntax error, expecting/i,
  /Error: Unrecognized command/i,
  /%Error/i,
  /command not found/i,
  /Syntax Error: unexpected argument/i,
  /% Unrecognized command found at/i,
  /% Unknown command, the error locates at/i,
];

/** Scores every probe against the answers `send` gives (one call per distinct command); the best device type or null. */
export async function runProbes(send: (command: string) => Promise<string>): Promise<{ deviceType: string | null; scores: Record<string, number> }> {
  const answers = new Map<string, string>();
  const scores: Record<string, number> = {};
  for (const probe of DETECT_PROBES) {
    let answer = answers.get(probe.command);
    if (answer === undefined) {
      answer = await send(probe.command);
      answers.set(probe.command, answer);
    }
    if (INVALID_RESPONSES.some((re) => re.test(answer))) continue;
    if (!probe.patterns.some((re) => re.test(answer))) continue;
    // The first candidate to reach a score keeps it (SSHDetect sorts by score, stably).
    if (scores[probe.deviceType] === undefined) scores[probe.deviceType] = probe.priority;
    if (probe.priority >= 99) return { deviceType: probe.deviceType, scores };
  }
  let best: string | null = null;
  for (const [type, score] of Object.entries(scores)) if (best === null || score > (scores[best] as number)) best = type;
  return { deviceType: best, scores };
}

/** What detection needs of a logged-in session: the driver's own session satisfies it. */
export interface ProbeSession {
  readonly target: string;
  sendCommand(command: string, opts: { stripPrompt: boolean; stripCommand: boolean; anyPrompt: boolean }): Promise<string>;
  disconnect(): Promise<void>;
}

/** What detection needs of the connection options: where it goes, and the switches it overrides. */
export interface ProbeOptions {
  host: string;
  deviceType?: string;
  autoEnable?: boolean;
  disablePaging?: boolean;
}

/**
 * Logs in with the generic profile (nothing prepared, paging left as it is), runs the probes, logs out. `connect` is
 * NetmikoDriver.connect, passed in and typed structurally so this module and the driver that calls it do not import
 * each other.
 */
export async function detectDeviceType<O extends ProbeOptions>(opts: O, connect: (opts: O) => Promise<ProbeSession>): Promise<string> {
  const session = await connect({ ...opts, deviceType: 'generic', autoEnable: false, disablePaging: false });
  try {
    const { deviceType } = await runProbes((command) => session.sendCommand(command, { stripPrompt: false, stripCommand: false, anyPrompt: true }));
    if (!deviceType) {
      const commands = [...new Set(DETECT_PROBES.map((p) => p.command))];
      throw new UnsupportedDeviceTypeError(
        `autodetect recognised no supported device type on ${session.target} (probes: ${commands.join('; ')})`,
        [...new Set(DETECT_PROBES.map((p) => p.deviceType))],
        { host: opts.host },
      );
    }
    return deviceType;
  } finally {
    await session.disconnect();
  }
}
