import { AUTODETECT, resolveDeviceType, SUPPORTED_DEVICE_TYPES, type ResolvedDeviceType } from './platforms/index.js';
import type { DeviceProfile, ProfileSession } from './platforms/profile.js';
import { detectDeviceType } from './autodetect.js';
import { ChannelReader, type Matcher } from './channel-reader.js';
import { describeTarget, secretsOf } from './connection.js';
import { openSshTransport, openTelnetTransport, type Transport } from './cli-transport.js';
import type { ConfigCallOptions, DeviceConnection, DeviceSession, DriverResult } from './connection.js';
import {
  CommandTimeoutError,
  DeviceCommandError,
  PromptNotFoundError,
  SshAuthError,
  SshConnectionError,
  SshError,
  UnsupportedDeviceTypeError,
  UnsupportedOperationError,
  redactSecrets,
} from './errors.js';
import { cleanTerminalText, DEFAULT_PAGER, lastLine, MORE_SENTINEL } from './terminal-text.js';

export { cleanTerminalText } from './terminal-text.js';
export type { DeviceProfile } from './platforms/profile.js';

/**
 * The network-CLI driver (`netmiko`): one interactive shell per session, driven the way netmiko drives it
 * (session preparation, base prompt, enable, config mode, command echo verification, prompt stripping), with one
 * difference that matters for throughput: it never sleeps. Every read waits for an event — the command echo, the
 * prompt pattern, a pager marker, a password prompt — and returns the moment it arrives; a timeout only bounds how
 * long it may take. What differs between platforms is data in src/ssh/platforms/ (one module per family).
 *
 * Longer than 400 lines on purpose: the session's steps (login, preparation, enable, config mode, send and
 * read, teardown) share one channel reader and one prompt state, and follow netmiko's BaseConnection in order so
 * the two can be read side by side.
 */

export interface NetmikoOptions extends DeviceConnection {
  /** netmiko device_type (`cisco_ios`, `hp_comware_telnet`, `autodetect`, ...). Default `cisco_ios`. */
  deviceType?: string;
  /** Seconds a command may take before `CommandTimeoutError` (netmiko's read_timeout). Default 10. */
  readTimeout?: number;
  /** Send the paging-off command during session preparation. Default true; pager markers are answered either way. */
  disablePaging?: boolean;
  /** Enter enable mode right after login when a `secret` is given. Default true. */
  autoEnable?: boolean;
  /** Wait for the command echo before looking for the prompt (netmiko's cmd_verify). Default: the platform's. */
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
  /** Accept any prompt of the family at the end (the prompt may change with the command, as on EXOS). */
  anyPrompt?: boolean;
}

export interface SendConfigSetOptions {
  /** Seconds per line. Default 15, as netmiko. */
  timeout?: number;
  exitConfigMode?: boolean;
  /** Send the lines at the current prompt, without entering configuration mode first (netmiko's enter_config_mode). */
  enterConfigMode?: boolean;
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

export class NetmikoDriver implements DeviceSession, ProfileSession {
  readonly driver = 'netmiko' as const;
  readonly target: string;
  readonly profile: DeviceProfile;
  /** The device_type in use (the detected one after `autodetect`). */
  readonly deviceType: string;
  /** The family name the ntc-templates index knows the platform by (`cisco_ios` for `cisco_ios_telnet`). */
  readonly platform: string;
  readonly notes = new Map<string, unknown>();
  private base = '';
  private promptRe: RegExp = /$^/;
  private lastPrompt = '';
  private broken = false;
  private transportClosed = false;
  private readonly secrets: Array<string | Buffer | undefined>;
  private readonly newline: string;
  private readonly pager: RegExp;

  private constructor(
    private readonly transport: Transport,
    private readonly reader: ChannelReader,
    private readonly opts: NetmikoOptions,
    resolved: ResolvedDeviceType,
  ) {
    this.profile = resolved.profile;
    this.deviceType = resolved.deviceType;
    this.platform = resolved.platform;
    this.target = describeTarget({ ...opts, port: opts.port ?? (resolved.transport === 'telnet' ? 23 : 22) });
    this.secrets = secretsOf(opts);
    this.newline = this.profile.newline ?? (resolved.transport === 'telnet' ? '\r\n' : '\n');
    this.pager = this.profile.pager ?? DEFAULT_PAGER;
    transport.onClose(() => {
      this.transportClosed = true;
    });
  }

  /**
   * Logs in (SSH, or telnet for `*_telnet` types), prepares the session and (with a secret) enters enable mode.
   * `autodetect` first finds the device type with SSHDetect's probes on a session of its own.
   */
  static async connect(opts: NetmikoOptions): Promise<NetmikoDriver> {
    let name = opts.deviceType ?? 'cisco_ios';
    if (name.trim().toLowerCase() === AUTODETECT) {
      name = await detectDeviceType(opts, (o) => NetmikoDriver.connect(o));
    }
    const resolved = resolveDeviceType(name);
    if (!resolved) {
      throw new UnsupportedDeviceTypeError(`unsupported device_type '${name}'; supported: ${SUPPORTED_DEVICE_TYPES.join(', ')}`, SUPPORTED_DEVICE_TYPES, {
        host: opts.host,
      });
    }
    const target = describeTarget(opts);
    const transport = resolved.transport === 'telnet' ? await openTelnetTransport(opts, resolved.profile, opts.timeout ?? DEFAULT_READ_TIMEOUT_S) : await openSshTransport(opts, resolved.profile);
    try {
      const secrets = secretsOf(opts);
      const log = opts.sessionLog
        ? (dir: 'in' | 'out', text: string) => opts.sessionLog?.(dir, redactSecrets(text, secrets))
        : undefined;
      const reader = new ChannelReader(
        transport.channel,
        () => new SshConnectionError(`session to ${target} was closed by the device`, { host: opts.host }),
        log,
      );
      const driver = new NetmikoDriver(transport, reader, opts, resolved);
      await driver.sessionPreparation();
      const autoEnable = (opts.autoEnable ?? true) && (resolved.profile.autoEnable ?? true);
      if (opts.secret !== undefined && autoEnable) await driver.enable();
      return driver;
    } catch (err) {
      await transport.close();
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

  get secret(): string | undefined {
    return this.opts.secret;
  }

  get disablePaging(): boolean {
    return this.opts.disablePaging ?? true;
  }

  isAlive(): boolean {
    return !this.broken && !this.transportClosed && !this.reader.closed;
  }

  // ----- session preparation ----------------------------------------------------------------------------------

  private async sessionPreparation(): Promise<void> {
    const timeoutS = this.opts.timeout ?? 10;
    await this.waitForFirstPrompt(timeoutS);
    this.setBasePrompt(await this.findPrompt(timeoutS));
    if (this.profile.prepare) {
      await this.profile.prepare(this);
      return;
    }
    if (this.profile.enableFirst && this.opts.secret !== undefined) await this.enable();
    for (const cmd of this.profile.sessionCommands) {
      if (!this.disablePaging && this.profile.pagingCommands.includes(cmd)) continue;
      // An old platform without `terminal width` answers with an error; that must not fail the login.
      await this.sendCommand(cmd, { timeout: timeoutS });
    }
  }

  /**
   * Login banners and MOTDs come before the first prompt; some ask a question first (a banner to accept, a key to
   * press), which the profile's prelude answers. Wait for a prompt-looking last line; if the device says nothing
   * (some want a keypress), send RETURN, as netmiko's _test_channel_read does, with a growing delay.
   */
  private async waitForFirstPrompt(timeoutS: number): Promise<void> {
    const deadline = Date.now() + timeoutS * 1000;
    const prelude = this.profile.prelude ?? [];
    let nudge = 500;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new PromptNotFoundError(
          `no prompt from ${this.target} within ${timeoutS}s after login (last line: ${JSON.stringify(this.redact(lastLine(this.reader.peek())))}); is device_type '${this.deviceType}' right?`,
          { host: this.opts.host },
        );
      }
      let answer: string | null = null;
      const matcher: Matcher = (buf) => {
        const ll = lastLine(buf);
        if (this.profile.anyPrompt.test(ll)) return buf.length;
        for (const p of prelude) {
          if (p.pattern.test(ll)) {
            answer = p.answer;
            return buf.length;
          }
        }
        return -1;
      };
      try {
        await this.reader.waitFor(matcher, Math.min(nudge, left), () => new Error('nudge'));
        if (answer === null) return;
        this.reader.write(answer);
      } catch (err) {
        if (err instanceof SshError) throw err;
        this.reader.write(this.newline);
        nudge = Math.min(nudge * 2, 4000);
      }
    }
  }

  /** netmiko's find_prompt: drop what is buffered, send RETURN, the last line of the answer is the prompt. */
  async findPrompt(timeoutS = this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S): Promise<string> {
    this.assertUsable();
    this.reader.clear();
    this.reader.write(this.newline);
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
        if (this.pager.test(buf.slice(-200))) {
          state.matched = 'more';
          return buf.length;
        }
        return -1;
      };
      const left = deadline - Date.now();
      const chunk = await this.reader.waitFor(matcher, Math.max(1, left), (buf) => this.timeoutError(command, timeoutS, text + buf));
      if (state.matched === 'more') {
        // Tag the marker so cleanTerminalText can remove it together with the erase sequence that follows.
        const m = this.pager.exec(chunk);
        const at = m ? m.index + (m[0].startsWith('\n') ? 1 : 0) : chunk.length;
        text += chunk.slice(0, at).replace(/[ \t]*$/, '') + MORE_SENTINEL;
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

  private get verifyEcho(): boolean {
    return this.opts.cmdVerify ?? this.profile.cmdVerify ?? true;
  }

  // ----- public API ---------------------------------------------------------------------------------------------

  /** netmiko's send_command: write, verify the echo, read to the prompt, strip echo and prompt. */
  async sendCommand(command: string, opts: SendCommandOptions = {}): Promise<string> {
    this.assertUsable();
    const timeoutS = opts.timeout ?? this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S;
    const started = Date.now();
    this.reader.write(command.trimEnd() + this.newline);
    const verify = opts.cmdVerify ?? this.verifyEcho;
    let echo = '';
    if (verify) echo = await this.readEcho(command, timeoutS);
    const left = timeoutS - (Date.now() - started) / 1000;
    const { text } = await this.readUntilPrompt(command, Math.max(0.001, left), {
      ...(opts.expect ? { expect: opts.expect } : {}),
      ...(opts.anyPrompt ? { anyPrompt: true } : {}),
    });
    let out = cleanTerminalText(verify ? echo.slice(echo.lastIndexOf(command.trim())) + text : text);
    if (opts.stripCommand ?? true) out = stripCommandEcho(out, command);
    if (opts.stripPrompt ?? true) {
      out = this.stripPrompt(out);
      if (this.profile.stripOutput) out = this.profile.stripOutput(out, this.base);
    }
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

  /**
   * Enters privileged mode, answering the user-name question (ProCurve) with the login name and `Password:` with
   * the secret. A refused secret is an `SshAuthError`.
   */
  async enable(): Promise<string> {
    this.assertUsable();
    const spec = this.profile.enable;
    if (!spec || this.checkEnableMode()) return '';
    const timeoutS = this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S;
    this.reader.write(spec.command + this.newline);
    let out = this.verifyEcho ? await this.readEcho(spec.command, timeoutS) : '';
    const question = spec.usernamePrompt ? new RegExp(`${spec.usernamePrompt.source}|${spec.passwordPrompt.source}`, 'i') : spec.passwordPrompt;
    let r = await this.readUntilPrompt(spec.command, timeoutS, { extra: question });
    out += r.text;
    if (r.matched === 'extra' && spec.usernamePrompt?.test(lastLine(r.text))) {
      this.reader.write(this.opts.username + this.newline);
      r = await this.readUntilPrompt(spec.command, timeoutS, { extra: spec.passwordPrompt });
      out += r.text;
    }
    if (r.matched === 'extra') {
      if (this.opts.secret === undefined) {
        await this.escapePasswordPrompt(spec.passwordPrompt, timeoutS);
        throw new SshAuthError(`${this.target} asks for an enable password but no secret was given`, { host: this.opts.host });
      }
      this.reader.write(this.opts.secret + this.newline, '********' + this.newline);
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
      this.reader.write(this.newline);
      const r = await this.readUntilPrompt('enable', timeoutS, { extra: passwordPrompt });
      if (r.matched === 'prompt') return;
    }
  }

  async configMode(timeoutS = this.opts.readTimeout ?? DEFAULT_READ_TIMEOUT_S): Promise<string> {
    this.assertUsable();
    const spec = this.profile.configMode;
    if (!spec || this.checkConfigMode()) return '';
    this.reader.write(spec.enter + this.newline);
    let out = this.verifyEcho ? await this.readEcho(spec.enter, timeoutS) : '';
    const r = await this.readUntilPrompt(spec.enter, timeoutS, { anyPrompt: true, ...(spec.passwordPrompt ? { extra: spec.passwordPrompt } : {}) });
    out += r.text;
    if (r.matched === 'extra') {
      // Linux `sudo -s`: the password is the secret.
      if (this.opts.secret === undefined) {
        this.reader.write('\x03');
        await this.readUntilPrompt(spec.enter, timeoutS, { anyPrompt: true });
        throw new SshAuthError(`'${spec.enter}' on ${this.target} asks for a password but no secret was given`, { host: this.opts.host });
      }
      this.reader.write(this.opts.secret + this.newline, '********' + this.newline);
      const second = await this.readUntilPrompt(spec.enter, timeoutS, { anyPrompt: true, extra: spec.passwordPrompt });
      out += second.text;
      if (second.matched === 'extra') {
        this.reader.write('\x03');
        await this.readUntilPrompt(spec.enter, timeoutS, { anyPrompt: true });
        throw new SshAuthError(`'${spec.enter}' on ${this.target} failed: the device refused the secret`, { host: this.opts.host });
      }
    }
    const clean = this.redact(cleanTerminalText(out));
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
    this.reader.write(spec.exit + this.newline);
    let out = this.verifyEcho ? await this.readEcho(spec.exit, timeoutS) : '';
    const r = await this.readUntilPrompt(spec.exit, timeoutS, {
      anyPrompt: true,
      ...(spec.exitConfirm ? { extra: spec.exitConfirm } : {}),
    });
    out += r.text;
    if (r.matched === 'extra') {
      this.reader.write((spec.exitResponse ?? 'yes') + this.newline);
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
   * A platform without a configuration mode gets the lines at its prompt.
   */
  async sendConfigSet(lines: readonly string[], opts: SendConfigSetOptions = {}): Promise<ConfigSetResult> {
    this.assertUsable();
    const timeoutS = opts.timeout ?? CONFIG_LINE_TIMEOUT_S;
    const errorPattern = opts.errorPattern === undefined ? this.profile.errorPattern : opts.errorPattern;
    const result: ConfigSetResult = { lines: {}, transcript: '' };
    if (opts.enterConfigMode ?? true) result.transcript += await this.configMode(timeoutS);
    for (const line of lines) {
      if (!line.trim()) continue;
      this.reader.write(line.trimEnd() + this.newline);
      const echo = this.verifyEcho ? await this.readEcho(line, timeoutS) : '';
      const { text } = await this.readUntilPrompt(line, timeoutS, { anyPrompt: true });
      const answer = this.stripPrompt(cleanTerminalText(this.verifyEcho ? text : stripCommandEcho(text, line)))
        .replace(this.verifyEcho ? /^[^\n]*\n?/ : /^/, '')
        .replace(/\n+$/, '');
      result.lines[line] = this.profile.stripOutput ? this.profile.stripOutput(answer, this.base) : answer;
      result.transcript += cleanTerminalText(echo.slice(echo.lastIndexOf(line.trim())) + text);
      const m = errorPattern?.exec(answer);
      if (m) {
        const err = this.deviceError(line, m[0], result.transcript);
        if (this.checkConfigMode() && (opts.exitConfigMode ?? true)) await this.exitConfigMode(timeoutS).catch(() => undefined);
        if (this.profile.leaveAfterError) await this.profile.leaveAfterError(this).catch(() => undefined);
        throw err;
      }
    }
    if (opts.exitConfigMode ?? true) result.transcript += await this.exitConfigMode(timeoutS);
    return result;
  }

  /** ProfileSession: configuration lines, each line's answer. */
  async sendConfigLines(lines: readonly string[]): Promise<Record<string, string>> {
    return (await this.sendConfigSet(lines)).lines;
  }

  /** Saves the configuration (`write memory` on IOS). Junos, XR and PAN-OS commit instead, inside config mode. */
  async saveConfig(timeoutS = SAVE_TIMEOUT_S): Promise<string> {
    this.assertUsable();
    const spec = this.profile.save;
    if (!spec) throw new UnsupportedOperationError(`device_type '${this.deviceType}' has nothing to save: the device applies changes at once`, { host: this.opts.host });
    if (spec.inConfigMode) await this.configMode();
    else {
      await this.exitConfigMode();
      if (this.opts.secret !== undefined && this.profile.autoEnable !== false) await this.enable();
    }
    this.reader.write(spec.command + this.newline);
    let raw = this.verifyEcho ? await this.readEcho(spec.command, timeoutS) : '';
    raw = raw.slice(raw.lastIndexOf(spec.command));
    const r = await this.readUntilPrompt(spec.command, timeoutS, { anyPrompt: true, ...(spec.confirm ? { extra: spec.confirm } : {}) });
    raw += r.text;
    if (r.matched === 'extra') {
      this.reader.write((spec.response ?? 'y') + this.newline);
      raw += (await this.readUntilPrompt(spec.command, timeoutS, { anyPrompt: true })).text;
    }
    let out = this.stripPrompt(stripCommandEcho(cleanTerminalText(raw), spec.command));
    if (this.profile.stripOutput) out = this.profile.stripOutput(out, this.base);
    const m = this.profile.errorPattern.exec(out);
    if (m) throw this.deviceError(spec.command, m[0], out);
    if (spec.success && !spec.success.test(out)) throw this.deviceError(spec.command, `no ${spec.success.source} in the answer`, out);
    if (spec.inConfigMode) await this.exitConfigMode();
    return out;
  }

  /** DeviceSession: config lines (each line's answer keyed by the line), then optionally the save command. */
  async sendConfig(lines: readonly string[], opts: ConfigCallOptions = {}): Promise<DriverResult> {
    if (opts.save && !this.profile.save) {
      throw new UnsupportedOperationError(`device_type '${this.deviceType}' has nothing to save: the device applies changes at once`, { host: this.opts.host });
    }
    const r = await this.sendConfigSet(lines, {
      ...(opts.timeout === undefined ? {} : { timeout: opts.timeout }),
      ...(opts.exitConfigMode === undefined ? {} : { exitConfigMode: opts.exitConfigMode }),
      ...(opts.enterConfigMode === undefined ? {} : { enterConfigMode: opts.enterConfigMode }),
    });
    const output: Record<string, string> = { ...r.lines };
    if (opts.save && this.profile.save) output[this.profile.save.command] = await this.saveConfig();
    return { output };
  }

  /** Runs the profile's cleanup, leaves config mode if needed, logs out, closes the transport. Never throws. */
  async disconnect(): Promise<void> {
    if (!this.transportClosed && !this.reader.closed) {
      try {
        if (!this.broken && this.profile.cleanup) await this.profile.cleanup(this);
      } catch {
        // best effort: the session is going away
      }
      try {
        if (!this.broken && this.checkConfigMode() && this.profile.configMode) {
          this.reader.write(this.profile.configMode.exit + this.newline);
        }
        const exit = this.profile.exit ?? { command: 'exit' };
        this.reader.write(exit.command + this.newline);
        if (!this.broken && exit.confirms?.length) await this.answerLogout(exit.confirms);
      } catch {
        // the channel is going away anyway
      }
    }
    this.broken = true;
    await this.transport.close();
  }

  /** Answers the questions some platforms ask on logout, until the device hangs up (or half a second passes). */
  private async answerLogout(confirms: NonNullable<DeviceProfile['exit']>['confirms'] & object): Promise<void> {
    for (let i = 0; i < confirms.length + 1; i++) {
      let answer: string | null = null;
      const matcher: Matcher = (buf) => {
        const ll = lastLine(buf);
        const c = confirms.find((q) => q.pattern.test(ll));
        if (!c) return -1;
        answer = c.answer;
        return buf.length;
      };
      try {
        await this.reader.waitFor(matcher, 500, () => new Error('no question'));
      } catch {
        return;
      }
      if (answer === null) return;
      this.reader.write(answer + this.newline);
    }
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
      throw new SshConnectionError(`session to ${this.target} is closed`, { host: this.opts.host, notSent: true });
    }
    if (this.broken) {
      throw new SshConnectionError(`session to ${this.target} is in an unknown state after an earlier failure`, {
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
