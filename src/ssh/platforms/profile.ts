/**
 * A device family as the `netmiko` driver sees it: how its prompt looks, how paging is turned off, how privileged
 * and configuration modes are entered and left, how the configuration is saved, and what an error looks like.
 * Each family module says where its behaviour comes from in netmiko's own source (netmiko 4.8.0, the version the
 * tests drive as an oracle). Pure data and small functions: no I/O here.
 */
import { escapeRegExp } from '../terminal-text.js';

export interface SaveSpec {
  command: string;
  /** Some platforms ask before saving; answer with `response`. */
  confirm?: RegExp;
  response?: string;
  /** Junos, IOS-XR and PAN-OS commit inside configuration mode. */
  inConfigMode?: boolean;
  /** Text the answer must contain for the save to count (PAN-OS: `Configuration committed successfully`). */
  success?: RegExp;
}

export interface EnableSpec {
  command: string;
  passwordPrompt: RegExp;
  /** ProCurve asks for a user name before the password. */
  usernamePrompt?: RegExp;
}

export interface ConfigModeSpec {
  enter: string;
  exit: string;
  /** Linux `sudo -s` may ask for the password (the `secret`). */
  passwordPrompt?: RegExp;
  exitConfirm?: RegExp;
  exitResponse?: string;
}

/** What a profile's own preparation or cleanup steps may do on the session. */
export interface ProfileSession {
  readonly secret: string | undefined;
  /** False when the caller keeps paging on (`disable_paging: false`). */
  readonly disablePaging: boolean;
  /** Per-session notes of the profile (FortiOS: the console output mode found at login). */
  readonly notes: Map<string, unknown>;
  /** The last prompt seen. */
  readonly currentPrompt: string;
  sendCommand(command: string, opts?: { timeout?: number; cmdVerify?: boolean }): Promise<string>;
  /** Lines in configuration mode; returns each line's answer. */
  sendConfigLines(lines: readonly string[]): Promise<Record<string, string>>;
  enable(): Promise<string>;
}

export interface DeviceProfile {
  /** netmiko device_type names served by this profile; the first is the family. */
  readonly names: readonly string[];
  /** The names that netmiko also offers as `<name>_telnet`. */
  readonly telnet: readonly string[];
  /** Where the behaviour comes from in netmiko's source. */
  readonly source: string;
  /** What ends a line sent to the device. Default `\n`; MikroTik wants `\r\n`. */
  readonly newline?: string;
  /** Wait for the command echo before reading the answer (netmiko's cmd_verify). Default true. */
  readonly cmdVerify?: boolean;
  /** Questions some devices ask before the first prompt (a banner to accept, a key to press), and the answer. */
  readonly prelude?: ReadonlyArray<{ pattern: RegExp; answer: string }>;
  /** Enter privileged mode before the session commands (ProCurve and Ruijie need it to turn paging off). */
  readonly enableFirst?: boolean;
  /** Enter privileged mode after login when a secret is given. Default true when `enable` exists. */
  readonly autoEnable?: boolean;
  /** Commands sent once after login (terminal width, paging off). */
  readonly sessionCommands: readonly string[];
  /** The session commands that only disable paging (left out when the caller keeps paging on). */
  readonly pagingCommands: readonly string[];
  /** Any line that looks like a prompt of this family, hostname unknown. */
  readonly anyPrompt: RegExp;
  basePrompt(prompt: string): string;
  /** The prompt of this host in any mode, for the last line of output. */
  promptPattern(base: string): RegExp;
  isPrivileged(prompt: string): boolean;
  isConfigMode(prompt: string): boolean;
  readonly enable?: EnableSpec;
  /** Absent: the platform has no configuration mode, configuration lines are commands (FortiOS, RouterOS, EXOS). */
  readonly configMode?: ConfigModeSpec;
  /** Absent: the platform applies changes at once and has nothing to save; `save: true` is refused. */
  readonly save?: SaveSpec;
  /** Output lines that mean the device rejected a command. */
  readonly errorPattern: RegExp;
  /** The pager marker at the end of the output; default `DEFAULT_PAGER` (`--More--` and its relatives). */
  readonly pager?: RegExp;
  /** How to log out; `confirms` answers questions asked on the way (ProCurve: `Do you want to log out`). */
  readonly exit?: { command: string; confirms?: ReadonlyArray<{ pattern: RegExp; answer: string }> };
  /** Appended to the user name at login (MikroTik terminal options: no colours, 511 columns). */
  readonly usernameSuffix?: string;
  /** Telnet login prompts; default `Username:`/`login:` and `Password:`. */
  readonly telnetLogin?: { username: RegExp; password: RegExp };
  /** Replaces the default preparation after the base prompt is known (enable-first, then the session commands). */
  prepare?(s: ProfileSession): Promise<void>;
  /**
   * After a rejected configuration line on a platform without a configuration mode: gets back to the top level, so
   * the next job on a pooled session does not start inside a half-made block (FortiOS `abort`).
   */
  leaveAfterError?(s: ProfileSession): Promise<void>;
  /** Runs before logging out on a healthy session (FortiOS puts the console output mode back). */
  cleanup?(s: ProfileSession): Promise<void>;
  /** A last pass over a command's output, after echo and prompt are stripped (PAN-OS `[edit]` lines). */
  stripOutput?(text: string, base: string): string;
}

export const esc = escapeRegExp;

/** IOS-style error lines; most Cisco-like CLIs answer with one of these. */
export const CISCO_ERRORS =
  /^\s*%\s?(?:Invalid|Incomplete|Ambiguous|Unknown|Unrecognized|Bad|Error|Access denied|Command rejected)[^\n]*|^\s*%Error[^\n]*|^\s*ERROR:[^\n]*|^\s*Syntax error[^\n]*/im;

export const CISCO_PASSWORD_PROMPT = /(?:^|\n)[^\n]*ssword:?\s*$/i;

/** `Router>`, `Router#`, `Router(config-if)#`: the Cisco prompt shapes most families share. */
export function ciscoPrompts(opts: { truncate?: number } = {}): Pick<DeviceProfile, 'anyPrompt' | 'basePrompt' | 'promptPattern' | 'isPrivileged' | 'isConfigMode'> {
  return {
    anyPrompt: /^[^\s#>()]{1,80}(?:\([^)\n]{0,60}\))?[>#]\s*$/,
    basePrompt(prompt) {
      const base = prompt.trim().replace(/[>#]\s*$/, '').replace(/\([^)]*\)$/, '');
      // IOS abbreviates long hostnames in configuration prompts; netmiko keeps the first 16 characters for that reason.
      return opts.truncate ? base.slice(0, opts.truncate) : base;
    },
    promptPattern(base) {
      return new RegExp(`^${esc(base)}[^\\s()#>]*(?:\\([^)\\n]*\\))?[>#]\\s*$`);
    },
    isPrivileged: (p) => /#\s*$/.test(p),
    isConfigMode: (p) => /\)#\s*$/.test(p),
  };
}

/**
 * What Cisco-shaped CLIs share (netmiko's CiscoBaseConnection): the prompts above, `enable` answered with the
 * secret, `configure terminal` / `end`, IOS-style errors. Families spread it and add their own commands.
 */
export function ciscoShaped(opts: { truncate?: number; errorPattern?: RegExp } = {}): Pick<
  DeviceProfile,
  'anyPrompt' | 'basePrompt' | 'promptPattern' | 'isPrivileged' | 'isConfigMode' | 'enable' | 'configMode' | 'errorPattern'
> {
  return {
    ...ciscoPrompts(opts.truncate === undefined ? {} : { truncate: opts.truncate }),
    enable: { command: 'enable', passwordPrompt: CISCO_PASSWORD_PROMPT },
    configMode: { enter: 'configure terminal', exit: 'end' },
    errorPattern: opts.errorPattern ?? CISCO_ERRORS,
  };
}
