import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { closeClient, connectSsh, describeTarget, secretsOf } from './connection.js';
import type { ConfigCallOptions, DeviceConnection, DeviceSession, DriverResult } from './connection.js';
import {
  CommandTimeoutError,
  DeviceCommandError,
  PromptNotFoundError,
  SshAuthError,
  SshConnectionError,
  SshError,
  redactSecrets,
} from './errors.js';

/**
 * The network-CLI driver (`netmiko`): one interactive shell per session, driven the way netmiko drives it
 * (session preparation, base prompt, enable, config mode, command echo verification, prompt stripping), with one
 * difference that matters for throughput: it never sleeps. Every read waits for an event — the command echo, the
 * prompt pattern, a `--More--` pager, a password prompt — and returns the moment it arrives; a timeout only bounds
 * how long it may take.
 */

// ---------------------------------------------------------------------------------------------------------------
// Device families
// ---------------------------------------------------------------------------------------------------------------

interface SaveSpec {
  command: string;
  /** Some platforms ask before saving; answer with `response`. */
  confirm?: RegExp;
  response?: string;
  /** Junos commits inside configuration mode. */
  inConfigMode?: boolean;
}

export interface DeviceProfile {
  /** netmiko device_type names served by this profile. */
  readonly names: readonly string[];
  /** Commands sent once after login (terminal width, paging off). */
  readonly sessionCommands: readonly string[];
  /** Commands that only disable paging (left out when the caller keeps paging on). */
  readonly pagingCommands: readonly string[];
  /** Any line that looks like a prompt of this family, hostname unknown. */
  readonly anyPrompt: RegExp;
  basePrompt(prompt: string): string;
  /** The prompt of this host in any mode, for the last line of output. */
  promptPattern(base: string): RegExp;
  isPrivileged(prompt: string): boolean;
  isConfigMode(prompt: string): boolean;
  readonly enable?: { command: string; passwordPrompt: RegExp };
  readonly configMode?: { enter: string; exit: string; exitConfirm?: RegExp; exitResponse?: string };
  readonly save?: SaveSpec;
  /** Output lines that mean the device rejected a command. */
  readonly errorPattern: RegExp;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CISCO_ERRORS = /^\s*%\s?(?:Invalid|Incomplete|Ambiguous|Unknown|Unrecognized|Bad|Error|Access denied|Command rejected)[^\n]*|^\s*%Error[^\n]*|^\s*ERROR:[^\n]*|^\s*Syntax error[^\n]*/im;

function ciscoProfile(
  names: string[],
  opts: { width: string; truncate?: number; save?: SaveSpec; enable?: boolean },
): DeviceProfile {
  return {
    names,
    sessionCommands: [opts.width, 'terminal length 0'],
    pagingCommands: ['terminal length 0'],
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
    ...(opts.enable === false ? {} : { enable: { command: 'enable', passwordPrompt: /(?:^|\n)[^\n]*ssword:?\s*$/i } }),
    configMode: { enter: 'configure terminal', exit: 'end' },
    save: opts.save ?? { command: 'write memory' },
    errorPattern: CISCO_ERRORS,
  };
}

const PROFILES: DeviceProfile[] = [
  ciscoProfile(['cisco_ios', 'cisco_xe', 'cisco_ios_ssh', 'cisco_xe_ssh', 'cisco_ios_telnet'], {
    width: 'terminal width 511',
    truncate: 16,
  }),
  ciscoProfile(['cisco_nxos', 'cisco_nxos_ssh'], {
    width: 'terminal width 511',
    save: { command: 'copy running-config startup-config' },
  }),
  ciscoProfile(['arista_eos', 'arista_eos_ssh'], { width: 'terminal width 32767' }),
  ciscoProfile(['cisco_xr', 'cisco_xr_ssh'], {
    width: 'terminal width 511',
    enable: false,
    save: { command: 'commit', inConfigMode: true },
  }),
  {
    names: ['huawei', 'huawei_ssh', 'huawei_vrp', 'huawei_vrpv8'],
    sessionCommands: ['screen-length 0 temporary'],
    pagingCommands: ['screen-length 0 temporary'],
    anyPrompt: /^(?:<[^\s<>]{1,80}>|\[[~*]?[^\s[\]]{1,120}\])\s*$/,
    basePrompt(prompt) {
      const p = prompt.trim();
      const inner = p.replace(/^[<[][~*]?/, '').replace(/[>\]]\s*$/, '');
      // In system view the prompt is `[host-interface]`; `<host>` (user view) has the hostname alone.
      return p.startsWith('[') ? inner.replace(/-.*$/, '') : inner;
    },
    promptPattern(base) {
      return new RegExp(`^[<\\[][~*]?${esc(base)}[^\\]>\\n]*[>\\]]\\s*$`);
    },
    isPrivileged: () => true,
    isConfigMode: (p) => /\]\s*$/.test(p),
    configMode: { enter: 'system-view', exit: 'return' },
    save: { command: 'save', confirm: /\[Y\/N\]:?\s*$/i, response: 'y' },
    errorPattern: /^\s*Error:[^\n]*/im,
  },
  {
    names: ['juniper_junos', 'juniper', 'juniper_junos_ssh'],
    sessionCommands: ['set cli screen-length 0', 'set cli screen-width 511'],
    pagingCommands: ['set cli screen-length 0'],
    anyPrompt: /^[^\s#>%]{1,80}[>#%]\s*$/,
    basePrompt: (prompt) => prompt.trim().replace(/[>#%]\s*$/, ''),
    promptPattern: (base) => new RegExp(`^${esc(base)}[>#%]\\s*$`),
    isPrivileged: () => true,
    isConfigMode: (p) => /#\s*$/.test(p),
    configMode: {
      enter: 'configure',
      exit: 'exit configuration-mode',
      exitConfirm: /uncommitted changes\?[^\n]*$/i,
      exitResponse: 'yes',
    },
    save: { command: 'commit', inConfigMode: true },
    errorPattern: /^\s*(?:error:|syntax error|unknown command)[^\n]*/im,
  },
];

/** Anything with a prompt ending in >, #, $, % or ]: no paging command, no enable, no config mode of its own. */
const GENERIC_PROFILE: DeviceProfile = {
  names: ['generic', 'generic_termserver', 'autodetect'],
  sessionCommands: [],
  pagingCommands: [],
  anyPrompt: /^[^\n]{0,120}?[>#$%\]]\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/[>#$%\]]\s*$/, ''),
  promptPattern: (base) => new RegExp(`^${esc(base)}[^\\n]*[>#$%\\]]\\s*$`),
  isPrivileged: () => true,
  isConfigMode: () => false,
  errorPattern: /^\s*%\s?(?:Invalid|Incomplete|Unknown|Error)[^\n]*|^\s*Error:[^\n]*/im,
};

export const NETMIKO_DEVICE_TYPES: readonly string[] = PROFILES.flatMap((p) => p.names);

export function profileFor(deviceType: string | undefined): DeviceProfile {
  const dt = (deviceType ?? 'cisco_ios').toLowerCase();
  return PROFILES.find((p) => p.names.includes(dt)) ?? GENERIC_PROFILE;
}

// ---------------------------------------------------------------------------------------------------------------
// Terminal text
// ---------------------------------------------------------------------------------------------------------------

// Pager markers of IOS/NX-OS/EOS (--More--), Huawei (---- More ----), Junos (---(more 45%)---), ASA (<--- More --->).
const MORE_RE = /(?:^|\n)[^\n]*?(?:<)?-{2,}\s*\(?\s*more(?:\s+\d+%)?\s*\)?\s*-{2,}(?:>)?[ \t]*$/i;
const MORE_SENTINEL = '\u0000MORE\u0000';
const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[A-Z=>]/g;

function applyBackspaces(line: string): string {
  if (!line.includes('\b')) return line;
  const out: string[] = [];
  for (const ch of line) {
    if (ch === '\b') out.pop();
    else out.push(ch);
  }
  return out.join('');
}

/** What a terminal would show for one line: ANSI codes dropped, carriage returns overwrite, backspaces erase. */
function renderLine(line: string): string {
  let l = line.replace(ANSI_RE, '');
  const cr = l.lastIndexOf('\r');
  if (cr >= 0) {
    const after = l.slice(cr + 1);
    l = after.trim() === '' ? l.slice(0, cr).replace(/\r/g, '') : after;
  }
  return applyBackspaces(l);
}

function lastLine(buf: string): string {
  return renderLine(buf.slice(buf.lastIndexOf('\n') + 1));
}

/**
 * Turns raw channel text into plain lines: pager markers and the sequence that erases them go away (IOS erases
 * with backspaces, others with CR + spaces or ANSI), line endings become `\n`.
 */
export function cleanTerminalText(raw: string): string {
  const withoutPager = raw.replace(/\u0000MORE\u0000(?:\x1b\[[0-9;?]*[A-Za-z])*(?:\x08+ *\x08+|\r *\r)?/g, '');
  return withoutPager
    .replace(/\r+\n|\n\r/g, '\n')
    .split('\n')
    .map(renderLine)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Channel reader: event-driven waits, no polling
// ---------------------------------------------------------------------------------------------------------------

type Matcher = (buf: string) => number;

interface Waiter {
  match: Matcher;
  resolve: (text: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

class ChannelReader {
  private buf = '';
  private waiter: Waiter | null = null;
  private closedError: Error | null = null;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly stream: ClientChannel,
    private readonly onClosed: () => Error,
    private readonly log?: (dir: 'in' | 'out', text: string) => void,
  ) {
    const onData = (chunk: Buffer): void => {
      const text = this.decoder.write(chunk);
      this.log?.('in', text);
      this.buf += text;
      this.check();
    };
    stream.on('data', onData);
    stream.stderr.on('data', onData);
    stream.on('close', () => {
      this.closedError = this.onClosed();
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        clearTimeout(w.timer);
        w.reject(this.closedError);
      }
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Unconsumed text, for diagnostics. */
  peek(): string {
    return this.buf;
  }

  write(text: string, logged: string = text): void {
    if (this.closedError) throw this.closedError;
    this.log?.('out', logged);
    this.stream.write(text);
  }

  /** Drops everything received so far. */
  clear(): string {
    const b = this.buf;
    this.buf = '';
    return b;
  }

  /** Mutates the unconsumed text (used to tag a pager marker before more output arrives). */
  rewrite(fn: (buf: string) => string): void {
    this.buf = fn(this.buf);
  }

  /** Resolves with the text up to the matcher's end index, as soon as it matches; the rest stays buffered. */
  waitFor(match: Matcher, timeoutMs: number, onTimeout: (buf: string) => Error): Promise<string> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.waiter) return Promise.reject(new Error('ChannelReader: concurrent reads are not allowed'));
    const end = match(this.buf);
    if (end >= 0) return Promise.resolve(this.take(end));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(onTimeout(this.buf));
      }, timeoutMs);
      this.waiter = { match, resolve, reject, timer };
    });
  }

  private take(end: number): string {
    const out = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    return out;
  }

  private check(): void {
    const w = this.waiter;
    if (!w) return;
    const end = w.match(this.buf);
    if (end < 0) return;
    this.waiter = null;
    clearTimeout(w.timer);
    w.resolve(this.take(end));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------------------------

export interface NetmikoOptions extends DeviceConnection {
  /** netmiko device_type; unknown names get the generic profile. Default `cisco_ios`. */
  deviceType?: string;
  /** Seconds a command may take before `CommandTimeoutError` (netmiko's read_timeout). Default 10. */
  readTimeout?: number;
  /** Send the paging-off command during session preparation. Default true; `--More--` is answered either way. */
  disablePaging?: boolean;
  /** Enter enable mode right after login when a `secret` is given. Default true. */
  autoEnable?: boolean;
  /** Wait for the command echo before looking for the prompt (netmiko's cmd_verify). Default true. */
  cmdVerify?: boolean;
  /** Receives the raw transcript with secrets masked; for debugging only. */
  sessionLog?: (direction: 'in' | 'out', text: string) => void;
}

export interface SendCommandOptions {
  /** Seconds; default the session's `readTimeout`. */
  timeout?: number;
  /** Regular expression that ends the output instead of the prompt (netmiko's expect_string). */
  expect?: RegExp;
  stripPrompt?: boolean;
  stripCommand?: boolean;
  cmdVerify?: boolean;
  /** Throw `DeviceCommandError` when the output matches the profile's error pattern. Default false, as netmiko. */
  raiseOnError?: boolean;
}

export interface SendConfigSetOptions {
  /** Seconds per line. Default 15, as netmiko. */
  timeout?: number;
  exitConfigMode?: boolean;
  /** Overrides the profile's error pattern; `null` disables error detection. */
  errorPattern?: RegExp | null;
}

export interface ConfigSetResult {
  /** Line → the device's answer to it (usually empty). */
  lines: Record<string, string>;
  /** Everything, echo and prompts included, like netmiko's send_config_set return value. */
  transcript: string;
}

const DEFAULT_READ_TIMEOUT_S = 10;
const CONFIG_LINE_TIMEOUT_S = 15;
const SAVE_TIMEOUT_S = 100;
const RETURN = '\n';

export class NetmikoDriver implements DeviceSession {
  readonly driver = 'netmiko' as const;
  readonly target: string;
  readonly profile: DeviceProfile;
  private base = '';
  private promptRe: RegExp = /$^/;
  private lastPrompt = '';
  private broken = false;
  private transportClosed = false;
  private readonly secrets: Array<string | Buffer | undefined>;

  private constructor(
    private readonly client: Client,
    private readonly reader: ChannelReader,
    private readonly opts: NetmikoOptions,
  ) {
    this.target = describeTarget(opts);
    this.profile = profileFor(opts.deviceType);
    this.secrets = secretsOf(opts);
    client.on('close', () => {
      this.transportClosed = true;
    });
  }

  /** Logs in, opens the shell, prepares the session and (with a secret) enters enable mode. */
  static async connect(opts: NetmikoOptions): Promise<NetmikoDriver> {
    const client = await connectSsh(opts);
    const target = describeTarget(opts);
    let driver: NetmikoDriver | undefined;
    try {
      const stream = await new Promise<ClientChannel>((resolve, reject) => {
        // Same terminal as netmiko asks for: wide enough that IOS never wraps a command line.
        client.shell({ term: 'vt100', cols: 511, rows: 1000 }, (err, ch) => {
          if (err) reject(new SshConnectionError(`cannot open a shell on ${target}: ${err.message}`, { host: opts.host }));
          else resolve(ch);
        });
      });
      const secrets = secretsOf(opts);
      const log = opts.sessionLog
        ? (dir: 'in' | 'out', text: string) => opts.sessionLog?.(dir, redactSecrets(text, secrets))
        : undefined;
      const reader = new ChannelReader(
        stream,
        () => new SshConnectionError(`SSH session to ${target} was closed by the device`, { host: opts.host }),
        log,
      );
      driver = new NetmikoDriver(client, reader, opts);
      await driver.sessionPreparation();
      if (opts.secret !== undefined && (opts.autoEnable ?? true)) await driver.enable();
      return driver;
    } catch (err) {
      await closeClient(client);
      throw err;
    }
  }

  get basePrompt(): string {
    return this.base;
  }

  /** The last prompt seen (e.g. `Router(config-if)#`). */
  get currentPrompt(): string {
    return this.lastPrompt;
  }

  isAlive(): boolean {
    return !this.broken && !this.transportClosed && !this.reader.closed;
  }

  // ----- session preparation ----------------------------------------------------------------------------------

  private async sessionPreparation(): Promise<void> {
    const timeoutS = this.opts.timeout ?? 10;
    await this.waitForFirstPrompt(timeoutS);
    this.setBasePrompt(await this.findPrompt(timeoutS));
    const disablePaging = this.opts.disablePaging ?? true;
    for (const cmd of this.profile.sessionCommands) {
      if (!disablePaging && this.profile.pagingCommands.includes(cmd)) continue;
      // An old platform without `terminal width` answers with an error; that must not fail the login.
      await this.sendCommand(cmd, { timeout: timeoutS });
    }
  }

  /**
   * Login banners and MOTDs come before the first prompt. Wait for a prompt-looking last line; if the device says
   * nothing (some want a keypress), send RETURN, as netmiko's _test_channel_read does, with a growing delay.
   */
  private async waitForFirstPrompt(timeoutS: number): Promise<void> {
    const deadline = Date.now() + timeoutS * 1000;
    let nudge = 500;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new PromptNotFoundError(
          `no prompt from ${this.target} within ${timeoutS}s after login (last line: ${JSON.stringify(this.redact(lastLine(this.reader.peek())))}); is device_type '${this.opts.deviceType ?? 'cisco_ios'}' right?`,
          { host: this.opts.host },
        );
      }
      try {
        await this.reader.waitFor(this.matchAnyPrompt(), Math.min(nudge, left), () => new Error('nudge'));
        return;
      } catch (err) {
        if (err instanceof SshError) throw err;
        this.reader.write(RETURN);
        nudge = Math.min(nudge * 2, 4000);
      }
    }
  }

  /** netmiko's find_prompt: drop what is buffered, send RETURN, the last line of the answer is the prompt. */
  async findPrompt(timeoutS = this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S): Promise<string> {
    this.assertUsable();
    this.reader.clear();
    this.reader.write(RETURN);
    const text = await this.reader.waitFor(this.matchAnyPrompt(), timeoutS * 1000, (buf) => {
      this.broken = true;
      return new PromptNotFoundError(
        `no prompt from ${this.target} within ${timeoutS}s (last line: ${JSON.stringify(this.redact(lastLine(buf)))})`,
        { host: this.opts.host },
      );
    });
    const prompt = lastLine(text).trim();
    this.lastPrompt = prompt;
    return prompt;
  }

  private setBasePrompt(prompt: string): void {
    const base = this.profile.basePrompt(prompt);
    if (!base) throw new PromptNotFoundError(`cannot derive a base prompt from ${JSON.stringify(prompt)} on ${this.target}`, { host: this.opts.host });
    this.base = base;
    this.promptRe = this.profile.promptPattern(base);
    this.lastPrompt = prompt.trim();
  }

  // ----- matchers ---------------------------------------------------------------------------------------------

  private matchAnyPrompt(): Matcher {
    return (buf) => (this.profile.anyPrompt.test(lastLine(buf)) ? buf.length : -1);
  }

  // ----- reading a command's answer ---------------------------------------------------------------------------

  /**
   * Reads until the prompt (or `expect`) is the last line, answering pagers on the way. `anyPrompt` accepts any
   * prompt of the family and re-derives the base prompt from it: a `hostname` line changes the prompt mid-session.
   */
  private async readUntilPrompt(
    command: string,
    timeoutS: number,
    opts: { expect?: RegExp; anyPrompt?: boolean; extra?: RegExp } = {},
  ): Promise<{ text: string; matched: 'prompt' | 'expect' | 'extra' }> {
    const deadline = Date.now() + timeoutS * 1000;
    let text = '';
    for (;;) {
      const state: { matched: 'prompt' | 'expect' | 'extra' | 'more' } = { matched: 'prompt' };
      const matcher: Matcher = (buf) => {
        if (opts.expect) {
          const m = opts.expect.exec(cleanTerminalText(buf));
          if (m) {
            state.matched = 'expect';
            return buf.length;
          }
        }
        const ll = lastLine(buf);
        if (this.promptRe.test(ll) || (opts.anyPrompt && this.profile.anyPrompt.test(ll))) {
          state.matched = 'prompt';
          return buf.length;
        }
        if (opts.extra?.test(buf)) {
          state.matched = 'extra';
          return buf.length;
        }
        if (MORE_RE.test(buf.slice(-200))) {
          state.matched = 'more';
          return buf.length;
        }
        return -1;
      };
      const left = deadline - Date.now();
      const chunk = await this.reader.waitFor(matcher, Math.max(1, left), (buf) => this.timeoutError(command, timeoutS, text + buf));
      if (state.matched === 'more') {
        // Tag the marker so cleanTerminalText can remove it together with the erase sequence that follows.
        text += chunk.replace(/[ \t]*<?-{2,}\s*\(?\s*more(?:\s+\d+%)?\s*\)?\s*-{2,}>?[ \t]*$/i, MORE_SENTINEL);
        this.reader.write(' ');
        continue;
      }
      text += chunk;
      if (state.matched === 'prompt') {
        const prompt = lastLine(text).trim();
        this.lastPrompt = prompt;
        if (!this.promptRe.test(prompt)) this.setBasePrompt(prompt);
      }
      return { text, matched: state.matched };
    }
  }

  private async readEcho(command: string, timeoutS: number): Promise<string> {
    const cmd = command.trim();
    if (!cmd) return '';
    return this.reader.waitFor(
      (buf) => {
        const i = buf.indexOf(cmd);
        return i < 0 ? -1 : i + cmd.length;
      },
      timeoutS * 1000,
      (buf) => this.timeoutError(command, timeoutS, buf, 'the command echo never came back'),
    );
  }

  private timeoutError(command: string, timeoutS: number, buf: string, what = 'no prompt'): CommandTimeoutError {
    // The answer may still arrive later and would be read as the next command's output.
    this.broken = true;
    const tail = this.redact(cleanTerminalText(buf).slice(-120));
    return new CommandTimeoutError(
      `'${this.redact(command)}' on ${this.target}: ${what} within ${timeoutS}s (last output: ${JSON.stringify(tail)})`,
      { host: this.opts.host, command: this.redact(command), timeoutSeconds: timeoutS },
    );
  }

  // ----- public API ---------------------------------------------------------------------------------------------

  /** netmiko's send_command: write, verify the echo, read to the prompt, strip echo and prompt. */
  async sendCommand(command: string, opts: SendCommandOptions = {}): Promise<string> {
    this.assertUsable();
    const timeoutS = opts.timeout ?? this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S;
    const started = Date.now();
    this.reader.write(command.trimEnd() + RETURN);
    const verify = opts.cmdVerify ?? this.opts.cmdVerify ?? true;
    let echo = '';
    if (verify) echo = await this.readEcho(command, timeoutS);
    const left = timeoutS - (Date.now() - started) / 1000;
    const { text } = await this.readUntilPrompt(command, Math.max(0.001, left), opts.expect ? { expect: opts.expect } : {});
    let out = cleanTerminalText(verify ? echo.slice(echo.lastIndexOf(command.trim())) + text : text);
    if (opts.stripCommand ?? true) out = stripCommandEcho(out, command);
    if (opts.stripPrompt ?? true) out = this.stripPrompt(out);
    if (opts.raiseOnError) {
      const m = this.profile.errorPattern.exec(out);
      if (m) throw this.deviceError(command, m[0], out);
    }
    return out;
  }

  /** DeviceSession: each command's output keyed by the command, as NetPulse's retval. */
  async sendCommands(commands: readonly string[], opts: SendCommandOptions = {}): Promise<DriverResult> {
    const output: Record<string, string> = {};
    for (const c of commands) output[c] = await this.sendCommand(c, opts);
    return { output };
  }

  checkEnableMode(): boolean {
    return this.profile.isPrivileged(this.lastPrompt);
  }

  checkConfigMode(): boolean {
    return this.profile.isConfigMode(this.lastPrompt);
  }

  /** Enters privileged mode, answering `Password:` with the secret. A refused secret is an `SshAuthError`. */
  async enable(): Promise<string> {
    this.assertUsable();
    const spec = this.profile.enable;
    if (!spec || this.checkEnableMode()) return '';
    const timeoutS = this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S;
    this.reader.write(spec.command + RETURN);
    let out = await this.readEcho(spec.command, timeoutS);
    const first = await this.readUntilPrompt(spec.command, timeoutS, { extra: spec.passwordPrompt });
    out += first.text;
    if (first.matched === 'extra') {
      if (this.opts.secret === undefined) {
        await this.escapePasswordPrompt(spec.passwordPrompt, timeoutS);
        throw new SshAuthError(`${this.target} asks for an enable password but no secret was given`, { host: this.opts.host });
      }
      this.reader.write(this.opts.secret + RETURN, '********' + RETURN);
      const second = await this.readUntilPrompt(spec.command, timeoutS, { extra: spec.passwordPrompt });
      out += second.text;
      if (second.matched === 'extra') {
        await this.escapePasswordPrompt(spec.passwordPrompt, timeoutS);
        throw new SshAuthError(`enable on ${this.target} failed: the device refused the secret`, { host: this.opts.host });
      }
    }
    if (!this.checkEnableMode()) {
      throw new SshAuthError(`enable on ${this.target} failed (prompt is ${JSON.stringify(this.lastPrompt)})`, { host: this.opts.host });
    }
    return this.redact(cleanTerminalText(out));
  }

  /** After a refused secret IOS asks again (three times in all); empty answers get back to the prompt. */
  private async escapePasswordPrompt(passwordPrompt: RegExp, timeoutS: number): Promise<void> {
    for (let i = 0; i < 3; i++) {
      this.reader.write(RETURN);
      const r = await this.readUntilPrompt('enable', timeoutS, { extra: passwordPrompt });
      if (r.matched === 'prompt') return;
    }
  }

  async configMode(timeoutS = this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S): Promise<string> {
    this.assertUsable();
    const spec = this.profile.configMode;
    if (!spec || this.checkConfigMode()) return '';
    this.reader.write(spec.enter + RETURN);
    let out = await this.readEcho(spec.enter, timeoutS);
    out += (await this.readUntilPrompt(spec.enter, timeoutS, { anyPrompt: true })).text;
    const clean = cleanTerminalText(out);
    if (!this.checkConfigMode()) {
      const m = this.profile.errorPattern.exec(clean);
      throw this.deviceError(spec.enter, m?.[0] ?? `still at ${JSON.stringify(this.lastPrompt)}`, clean);
    }
    return clean;
  }

  async exitConfigMode(timeoutS = this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S): Promise<string> {
    this.assertUsable();
    const spec = this.profile.configMode;
    if (!spec || !this.checkConfigMode()) return '';
    this.reader.write(spec.exit + RETURN);
    let out = await this.readEcho(spec.exit, timeoutS);
    const r = await this.readUntilPrompt(spec.exit, timeoutS, {
      anyPrompt: true,
      ...(spec.exitConfirm ? { extra: spec.exitConfirm } : {}),
    });
    out += r.text;
    if (r.matched === 'extra') {
      this.reader.write((spec.exitResponse ?? 'yes') + RETURN);
      out += (await this.readUntilPrompt(spec.exit, timeoutS, { anyPrompt: true })).text;
    }
    if (this.checkConfigMode()) {
      throw this.deviceError(spec.exit, `still in configuration mode at ${JSON.stringify(this.lastPrompt)}`, cleanTerminalText(out));
    }
    return cleanTerminalText(out);
  }

  /**
   * netmiko's send_config_set: config mode, one line at a time (echo, then the next prompt), error pattern checked
   * after every line. On the first error the session leaves config mode and `DeviceCommandError` names the line.
   */
  async sendConfigSet(lines: readonly string[], opts: SendConfigSetOptions = {}): Promise<ConfigSetResult> {
    this.assertUsable();
    const timeoutS = opts.timeout ?? CONFIG_LINE_TIMEOUT_S;
    const errorPattern = opts.errorPattern === undefined ? this.profile.errorPattern : opts.errorPattern;
    const result: ConfigSetResult = { lines: {}, transcript: '' };
    result.transcript += await this.configMode(timeoutS);
    for (const line of lines) {
      if (!line.trim()) continue;
      this.reader.write(line.trimEnd() + RETURN);
      const echo = await this.readEcho(line, timeoutS);
      const { text } = await this.readUntilPrompt(line, timeoutS, { anyPrompt: true });
      const answer = this.stripPrompt(cleanTerminalText(text))
        .replace(/^[^\n]*\n?/, '')
        .replace(/\n+$/, '');
      result.lines[line] = answer;
      result.transcript += cleanTerminalText(echo.slice(echo.lastIndexOf(line.trim())) + text);
      const m = errorPattern?.exec(answer);
      if (m) {
        const err = this.deviceError(line, m[0], result.transcript);
        if (this.checkConfigMode() && (opts.exitConfigMode ?? true)) await this.exitConfigMode(timeoutS).catch(() => undefined);
        throw err;
      }
    }
    if (opts.exitConfigMode ?? true) result.transcript += await this.exitConfigMode(timeoutS);
    return result;
  }

  /** Saves the configuration (`write memory` on IOS). Junos and XR commit instead, inside config mode. */
  async saveConfig(timeoutS = SAVE_TIMEOUT_S): Promise<string> {
    this.assertUsable();
    const spec = this.profile.save;
    if (!spec) return '';
    if (spec.inConfigMode) await this.configMode();
    else {
      await this.exitConfigMode();
      if (this.opts.secret !== undefined) await this.enable();
    }
    this.reader.write(spec.command + RETURN);
    let raw = await this.readEcho(spec.command, timeoutS);
    raw = raw.slice(raw.lastIndexOf(spec.command));
    const r = await this.readUntilPrompt(spec.command, timeoutS, { anyPrompt: true, ...(spec.confirm ? { extra: spec.confirm } : {}) });
    raw += r.text;
    if (r.matched === 'extra') {
      this.reader.write((spec.response ?? 'y') + RETURN);
      raw += (await this.readUntilPrompt(spec.command, timeoutS, { anyPrompt: true })).text;
    }
    const out = this.stripPrompt(stripCommandEcho(cleanTerminalText(raw), spec.command));
    const m = this.profile.errorPattern.exec(out);
    if (m) throw this.deviceError(spec.command, m[0], out);
    if (spec.inConfigMode) await this.exitConfigMode();
    return out;
  }

  /** DeviceSession: config lines (each line's answer keyed by the line), then optionally the save command. */
  async sendConfig(lines: readonly string[], opts: ConfigCallOptions = {}): Promise<DriverResult> {
    const r = await this.sendConfigSet(lines, opts.timeout === undefined ? {} : { timeout: opts.timeout });
    const output: Record<string, string> = { ...r.lines };
    if (opts.save && this.profile.save) output[this.profile.save.command] = await this.saveConfig();
    return { output };
  }

  /** Leaves config mode if needed, says `exit`, closes the transport. Never throws. */
  async disconnect(): Promise<void> {
    if (!this.transportClosed && !this.reader.closed) {
      try {
        if (!this.broken && this.checkConfigMode() && this.profile.configMode) {
          this.reader.write(this.profile.configMode.exit + RETURN);
        }
        this.reader.write('exit' + RETURN);
      } catch {
        // the channel is going away anyway
      }
    }
    this.broken = true;
    await closeClient(this.client);
  }

  // ----- helpers ----------------------------------------------------------------------------------------------

  /** netmiko's strip_prompt: drop the last line if it holds the base prompt. */
  stripPrompt(text: string): string {
    const i = text.lastIndexOf('\n');
    const last = text.slice(i + 1);
    if (last.includes(this.base) || this.profile.anyPrompt.test(last.trim())) return i < 0 ? '' : text.slice(0, i);
    return text;
  }

  private assertUsable(): void {
    if (this.transportClosed || this.reader.closed) {
      throw new SshConnectionError(`SSH session to ${this.target} is closed`, { host: this.opts.host, notSent: true });
    }
    if (this.broken) {
      throw new SshConnectionError(`SSH session to ${this.target} is in an unknown state after an earlier failure`, {
        host: this.opts.host,
        notSent: true,
      });
    }
  }

  private deviceError(command: string, deviceMessage: string, output: string): DeviceCommandError {
    const cmd = this.redact(command);
    const msg = this.redact(deviceMessage.trim());
    return new DeviceCommandError(`${this.target} rejected '${cmd}': ${msg}`, {
      host: this.opts.host,
      command: cmd,
      deviceMessage: msg,
      output: this.redact(output),
    });
  }

  private redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }
}

/** netmiko's strip_command: the first line is the echo when it starts with the command. */
function stripCommandEcho(text: string, command: string): string {
  const cmd = command.trim();
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (first.trim().startsWith(cmd) || first.trim().endsWith(cmd)) return nl < 0 ? '' : text.slice(nl + 1);
  return text;
}
