import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { closeClient, connectSsh, describeTarget, secretsOf } from './connection.js';
import type { CommandCallOptions, DeviceSession, DriverResult, SshConnectOptions } from './connection.js';
import { CommandTimeoutError, SshConnectionError, redactSecrets } from './errors.js';

/**
 * The generic SSH driver (`paramiko`, alias `ssh`): a login on any SSH server, Linux hosts first of all.
 * Commands run in their own exec channel, so each has a clean output and an exit status; configuration lines run
 * one after the other in a single shell, so `cd`, variables and the like carry over from line to line.
 */

export interface ParamikoOptions extends SshConnectOptions {
  /** Default seconds per command when a call does not say. Default 60. */
  commandTimeout?: number;
  /** Allocate a pseudo-terminal for exec channels (some tools insist on one; stderr then arrives on stdout). */
  pty?: boolean;
  /**
   * Delimit each config line's output with printf markers so every line gets its own output and exit status.
   * Needs a POSIX shell on the far side; with false, the whole shell session is one entry keyed by all lines.
   * Default true.
   */
  shellMarkers?: boolean;
}

export interface ExecResult {
  command: string;
  /** stdout and stderr in arrival order. */
  output: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Set when the remote process died of a signal (`SIGTERM`, ...); `exitCode` is then null. */
  signal: string | null;
}

export interface ParamikoResult extends DriverResult {
  exitCodes: Record<string, number | null>;
  results: ExecResult[];
}

const DEFAULT_COMMAND_TIMEOUT_S = 60;

export class ParamikoDriver implements DeviceSession {
  readonly driver = 'paramiko' as const;
  readonly target: string;
  private closed = false;

  private constructor(
    private readonly client: Client,
    private readonly opts: ParamikoOptions,
  ) {
    this.target = describeTarget(opts);
    client.on('close', () => {
      this.closed = true;
    });
    client.on('end', () => {
      this.closed = true;
    });
  }

  static async connect(opts: ParamikoOptions): Promise<ParamikoDriver> {
    const client = await connectSsh(opts);
    return new ParamikoDriver(client, opts);
  }

  isAlive(): boolean {
    return !this.closed;
  }

  /** Runs one command in its own exec channel and resolves with its output and exit status (any status). */
  exec(command: string, opts: CommandCallOptions = {}): Promise<ExecResult> {
    const timeoutS = opts.timeout ?? this.opts.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_S;
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.closed) {
        reject(this.closedError());
        return;
      }
      const execOpts = this.opts.pty ? { pty: { term: 'vt100', cols: 511, rows: 1000 } } : {};
      this.client.exec(command, execOpts, (err, stream) => {
        if (err) {
          reject(this.channelError(err));
          return;
        }
        const result: ExecResult = { command, output: '', stdout: '', stderr: '', exitCode: null, signal: null };
        let done = false;
        const timer = setTimeout(() => {
          if (done) return;
          done = true;
          abortChannel(stream);
          reject(
            new CommandTimeoutError(`command '${this.redact(command)}' on ${this.target} did not finish within ${timeoutS}s`, {
              host: this.opts.host,
              command: this.redact(command),
              timeoutSeconds: timeoutS,
            }),
          );
        }, timeoutS * 1000);
        stream.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          result.stdout += text;
          result.output += text;
        });
        stream.stderr.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          result.stderr += text;
          result.output += text;
        });
        stream.on('exit', (code: number | null, signal?: string) => {
          result.exitCode = typeof code === 'number' ? code : null;
          result.signal = signal ?? null;
        });
        stream.on('close', () => {
          clearTimeout(timer);
          if (done) return;
          done = true;
          resolve(result);
        });
      });
    });
  }

  /** Runs the commands one after the other; a non-zero exit status is a result, not an error. */
  async sendCommands(commands: readonly string[], opts: CommandCallOptions = {}): Promise<ParamikoResult> {
    const out: ParamikoResult = { output: {}, exitCodes: {}, results: [] };
    for (const command of commands) {
      const r = await this.exec(command, opts);
      out.output[command] = r.output;
      out.exitCodes[command] = r.exitCode;
      out.results.push(r);
    }
    return out;
  }

  /**
   * Feeds the lines to one non-interactive login shell (no PTY: no echo, no prompt to strip). `timeout` bounds the
   * whole shell session.
   */
  async sendConfig(lines: readonly string[], opts: CommandCallOptions = {}): Promise<ParamikoResult> {
    const timeoutS = opts.timeout ?? this.opts.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_S;
    const stream = await this.openShell();
    const markers = this.opts.shellMarkers ?? true;
    const nonce = randomBytes(6).toString('hex');
    const mark = (i: number | 'start'): string => `__SY_${nonce}_${i}__`;

    let script = '';
    if (markers) {
      // Whatever the login scripts print comes before this marker and is dropped.
      script += `printf '\\n%s\\n' '${mark('start')}'; printf '\\n%s\\n' '${mark('start')}' >&2\n`;
      lines.forEach((line, i) => {
        // Keep `$?` as the line left it, so a later line can still test it.
        script += `${line}\n__sy_rc=$?; printf '\\n%s %d\\n' '${mark(i)}' "$__sy_rc"; printf '\\n%s\\n' '${mark(i)}' >&2; (exit $__sy_rc)\n`;
      });
    } else {
      script += lines.map((l) => `${l}\n`).join('');
    }
    script += 'exit\n';

    const collected = { stdout: '', stderr: '', exitCode: null as number | null, signal: null as string | null };
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        abortChannel(stream);
        const pending = markers ? (lines[countMarkers(collected.stdout, nonce)] ?? lines.join('\n')) : lines.join('\n');
        reject(
          new CommandTimeoutError(`shell on ${this.target} did not finish within ${timeoutS}s (at '${this.redact(pending)}')`, {
            host: this.opts.host,
            command: this.redact(pending),
            timeoutSeconds: timeoutS,
          }),
        );
      }, timeoutS * 1000);
      stream.on('data', (chunk: Buffer) => {
        collected.stdout += chunk.toString('utf8');
      });
      stream.stderr.on('data', (chunk: Buffer) => {
        collected.stderr += chunk.toString('utf8');
      });
      stream.on('exit', (code: number | null, signal?: string) => {
        collected.exitCode = typeof code === 'number' ? code : null;
        collected.signal = signal ?? null;
      });
      stream.on('close', () => {
        clearTimeout(timer);
        if (done) return;
        done = true;
        resolve();
      });
      stream.end(script);
    });

    const out: ParamikoResult = { output: {}, exitCodes: {}, results: [] };
    if (!markers) {
      const key = lines.join('\n');
      const r: ExecResult = {
        command: key,
        output: collected.stdout + collected.stderr,
        stdout: collected.stdout,
        stderr: collected.stderr,
        exitCode: collected.exitCode,
        signal: collected.signal,
      };
      out.output[key] = r.output;
      out.exitCodes[key] = r.exitCode;
      out.results.push(r);
      return out;
    }
    const stdoutParts = splitByMarkers(collected.stdout, nonce, lines.length, true);
    const stderrParts = splitByMarkers(collected.stderr, nonce, lines.length, false);
    lines.forEach((line, i) => {
      const so = stdoutParts[i];
      const se = stderrParts[i];
      // A line never reached (an earlier `exit`, a shell that died) has no marker: its output is unknown.
      const r: ExecResult = {
        command: line,
        stdout: so?.text ?? '',
        stderr: se?.text ?? '',
        output: (so?.text ?? '') + (se?.text ?? ''),
        exitCode: so?.code ?? null,
        signal: null,
      };
      out.output[line] = r.output;
      out.exitCodes[line] = r.exitCode;
      out.results.push(r);
    });
    return out;
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await closeClient(this.client);
  }

  private openShell(): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(this.closedError());
        return;
      }
      this.client.shell(false, (err, stream) => {
        if (err) reject(this.channelError(err));
        else resolve(stream);
      });
    });
  }

  private redact(text: string): string {
    return redactSecrets(text, secretsOf(this.opts));
  }

  private closedError(): SshConnectionError {
    return new SshConnectionError(`SSH session to ${this.target} is closed`, { host: this.opts.host, notSent: true });
  }

  /** A channel that never opened ran nothing, whatever the reason. */
  private channelError(err: Error): SshConnectionError {
    this.closed = this.closed || /not connected|no response/i.test(err.message);
    return new SshConnectionError(`cannot open a channel on ${this.target}: ${this.redact(err.message)}`, {
      host: this.opts.host,
      cause: err,
      notSent: true,
    });
  }
}

function abortChannel(stream: ClientChannel): void {
  try {
    // OpenSSH >= 7.9 delivers the signal to the remote process; older servers ignore it and the close suffices.
    stream.signal('KILL');
  } catch {
    // the channel may already be gone
  }
  stream.close();
}

function countMarkers(text: string, nonce: string): number {
  const re = new RegExp(`__SY_${nonce}_\\d+__`, 'g');
  return (text.match(re) ?? []).length;
}

/**
 * Splits a marked stream into per-line parts. Each marker was printed as `\n<marker>[ rc]\n`; the leading
 * newline is ours, so exactly one is removed from the text before it.
 */
function splitByMarkers(
  text: string,
  nonce: string,
  count: number,
  withCode: boolean,
): Array<{ text: string; code: number | null } | undefined> {
  const parts: Array<{ text: string; code: number | null } | undefined> = new Array(count).fill(undefined);
  const startRe = new RegExp(`\\n__SY_${nonce}_start__\\n`);
  const start = startRe.exec(text);
  let rest = start ? text.slice(start.index + start[0].length) : text;
  const re = withCode ? new RegExp(`\\n__SY_${nonce}_(\\d+)__ (\\d+)\\n`) : new RegExp(`\\n__SY_${nonce}_(\\d+)__\\n`);
  for (;;) {
    const m = re.exec(rest);
    if (!m) break;
    const idx = Number(m[1]);
    if (idx < count) parts[idx] = { text: rest.slice(0, m.index), code: withCode ? Number(m[2]) : null };
    rest = rest.slice(m.index + m[0].length);
  }
  return parts;
}
