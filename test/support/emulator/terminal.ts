/**
 * The terminal side of an emulated CLI session, the same for every platform: typed characters are echoed, lines end
 * in CRLF, CR LF counts as one RETURN, backspace erases, hidden input (passwords) is not echoed, output longer than
 * the terminal length stops at the platform's pager marker (space: next page, RETURN: next line, anything else:
 * stop) and the marker is erased when a key is pressed. What a line does is the platform shell's business.
 */
import type { DeviceBase, EmulatedPlatform, Shell, ShellIO } from './platform.js';

export const CRLF = '\r\n';

/** A byte stream with an end: an SSH session channel, or a telnet connection. */
export interface TerminalStream {
  write(text: string): unknown;
  on(event: 'data', listener: (d: Buffer) => void): unknown;
  on(event: 'close' | 'error', listener: () => void): unknown;
  /** Ends the session from the device side (SSH: exit status 0, then EOF). */
  hangUp(): void;
}

export interface TerminalOptions {
  platform: EmulatedPlatform<DeviceBase>;
  device: DeviceBase;
  username: string;
  password: string;
  enableSecret: string;
  pageLength: number;
  banner?: string | undefined;
  startPrivileged: boolean;
  delayFor: (cmd: string) => number;
  onCommand: (cmd: string) => void;
  onPagerStop: () => void;
}

type Pending = { kind: 'hidden' | 'question'; then: (answer: string) => string[] };

export class Terminal implements ShellIO {
  pageLength: number;
  width = 80;
  private readonly shell: Shell;
  private line = '';
  private input = '';
  private busy = false;
  private lastWasCR = false;
  private gated: boolean;
  private pending: Pending | null = null;
  /** Set when the shell asked a question while handling an answer (a retried password). */
  private asked: { prompt: string } | null = null;
  private pager: { lines: string[]; pos: number } | null = null;
  private closed = false;

  constructor(
    private readonly stream: TerminalStream,
    private readonly opts: TerminalOptions,
  ) {
    this.pageLength = opts.pageLength;
    this.gated = opts.platform.gate !== undefined;
    this.shell = opts.platform.openShell(opts.device, this, { privileged: opts.startPrivileged });
  }

  get username(): string {
    return this.opts.username;
  }

  get enableSecret(): string {
    return this.opts.enableSecret;
  }

  get password(): string {
    return this.opts.password;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  start(): void {
    this.stream.on('data', (d: Buffer) => {
      this.input += d.toString('latin1');
      this.pump();
    });
    this.stream.on('close', () => {
      this.closed = true;
    });
    this.stream.on('error', () => {
      this.closed = true;
    });
    const { platform } = this.opts;
    const banner = this.opts.banner ? this.opts.banner.replace(/\r?\n/g, CRLF) + CRLF : '';
    const greeting = platform.greeting ? platform.greeting.replace(/\r?\n/g, CRLF) + CRLF : '';
    if (platform.gate !== undefined) this.write(CRLF + greeting + banner + platform.gate);
    else this.write(CRLF + greeting + banner + CRLF + this.shell.prompt());
  }

  /** One command without a shell around it (an SSH `exec` request): its output and whether it was accepted. */
  runOnce(cmd: string): string[] {
    return this.shell.run(cmd.trim(), 0);
  }

  // ----- ShellIO ------------------------------------------------------------------------------------------------

  askHidden(prompt: string, then: (answer: string) => string[]): void {
    this.pending = { kind: 'hidden', then };
    this.asked = { prompt };
  }

  ask(prompt: string, then: (answer: string) => string[]): void {
    this.pending = { kind: 'question', then };
    this.asked = { prompt };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.hangUp();
  }

  // ----- line discipline ----------------------------------------------------------------------------------------

  private write(text: string): void {
    if (!this.closed) this.stream.write(text);
  }

  private pump(): void {
    let echo = '';
    const flush = (): void => {
      if (echo) this.write(echo);
      echo = '';
    };
    while (!this.busy && !this.closed && this.input.length > 0) {
      const ch = this.input[0] as string;
      this.input = this.input.slice(1);
      if (this.gated) {
        this.gated = false;
        // A line end pressed as the key may come as CR LF: the LF is part of the same key press.
        this.lastWasCR = ch === '\r';
        this.write(CRLF + this.shell.prompt());
        continue;
      }
      if (this.pager) {
        flush();
        this.pagerKey(ch);
        continue;
      }
      if (ch === '\n' && this.lastWasCR) {
        this.lastWasCR = false;
        continue;
      }
      this.lastWasCR = ch === '\r';
      const hidden = this.pending?.kind === 'hidden';
      if (ch === '\r' || ch === '\n') {
        const line = this.line;
        this.line = '';
        echo += CRLF;
        flush();
        this.enter(line);
        continue;
      }
      if (ch === '\x1a' || ch === '\x03') {
        if (this.pending) continue;
        if (this.shell.interrupt?.()) {
          echo += '^Z' + CRLF;
          flush();
          this.line = '';
          this.write(this.shell.prompt());
        }
        continue;
      }
      if (ch === '\x7f' || ch === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          if (!hidden) echo += '\b \b';
        }
        continue;
      }
      if (ch < ' ') continue;
      this.line += ch;
      if (!hidden) echo += ch;
    }
    flush();
  }

  private enter(raw: string): void {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      this.asked = null;
      this.respond(p.then(raw.trim()));
      return;
    }
    const line = raw.trim();
    if (!line) {
      this.write(this.shell.prompt());
      return;
    }
    this.opts.onCommand(line);
    const delay = this.opts.delayFor(line);
    if (delay > 0) {
      this.busy = true;
      setTimeout(() => {
        this.busy = false;
        this.run(raw);
        this.pump();
      }, delay);
      return;
    }
    this.run(raw);
  }

  private run(raw: string): void {
    const out = this.shell.run(raw.trim(), raw.length - raw.trimStart().length);
    this.respond(out);
  }

  private respond(lines: string[]): void {
    if (this.closed) return;
    if (this.asked) {
      // The shell asked something: print what it said, then the question (no prompt until it is answered).
      this.write(lines.map((l) => l + CRLF).join('') + this.asked.prompt);
      return;
    }
    if (this.pageLength > 0 && lines.length > this.pageLength - 1) {
      this.pager = { lines, pos: 0 };
      this.showPage(this.pageLength - 1);
      return;
    }
    this.write(lines.map((l) => l + CRLF).join('') + this.shell.prompt());
  }

  private showPage(count: number): void {
    const p = this.pager;
    if (!p) return;
    const chunk = p.lines.slice(p.pos, p.pos + count);
    p.pos += chunk.length;
    if (p.pos >= p.lines.length) {
      this.pager = null;
      this.write(chunk.map((l) => l + CRLF).join('') + this.shell.prompt());
      return;
    }
    this.opts.onPagerStop();
    const { marker } = this.opts.platform.pager;
    this.write(chunk.map((l) => l + CRLF).join('') + (typeof marker === 'string' ? marker : marker(p.pos, p.lines.length)));
  }

  private pagerKey(ch: string): void {
    this.write(this.opts.platform.pager.erase);
    if (ch === ' ') this.showPage(this.pageLength - 1);
    else if (ch === '\r' || ch === '\n') this.showPage(1);
    else {
      this.pager = null;
      this.write(this.shell.prompt());
    }
  }
}
