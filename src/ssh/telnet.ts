import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { SshAuthError, SshConnectionError } from './errors.js';

/**
 * Telnet (RFC 854) as netmiko speaks it for `*_telnet` device types: a plain TCP connection whose option
 * negotiation is refused in both directions (netmiko's telnetlib answers every DO with WONT and every WILL with
 * DONT), so the device stays in its default NVT mode and echoes what it is sent, as a vty does. Login is the
 * username/password dialogue netmiko's `telnet_login` answers; the session afterwards is the same CLI as over SSH.
 * Credentials cross the network in clear text: that is telnet, and the reason operators can switch it off.
 */

const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;

/** Strips telnet commands out of the byte stream and answers option requests; keeps state across chunks. */
export class TelnetDecoder {
  private state: 'data' | 'iac' | 'opt' | 'sb' | 'sb-iac' | 'cr' = 'data';
  private verb = 0;

  constructor(private readonly reply: (bytes: Buffer) => void) {}

  /** The data bytes of `chunk` (commands removed, `CR NUL` turned into `CR`). */
  decode(chunk: Buffer): Buffer {
    const out: number[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'data':
          if (b === IAC) this.state = 'iac';
          else {
            out.push(b);
            if (b === 13) this.state = 'cr';
          }
          break;
        case 'cr':
          // NVT: a bare carriage return travels as CR NUL.
          this.state = 'data';
          if (b === 0) break;
          if (b === IAC) this.state = 'iac';
          else {
            out.push(b);
            if (b === 13) this.state = 'cr';
          }
          break;
        case 'iac':
          if (b === IAC) {
            out.push(IAC);
            this.state = 'data';
          } else if (b === DO || b === DONT || b === WILL || b === WONT) {
            this.verb = b;
            this.state = 'opt';
          } else if (b === SB) this.state = 'sb';
          else this.state = 'data'; // NOP, GA, AYT and the like carry no data
          break;
        case 'opt':
          // Refuse everything, as netmiko does; a DONT or WONT needs no answer.
          if (this.verb === DO) this.reply(Buffer.from([IAC, WONT, b]));
          else if (this.verb === WILL) this.reply(Buffer.from([IAC, DONT, b]));
          this.state = 'data';
          break;
        case 'sb':
          if (b === IAC) this.state = 'sb-iac';
          break;
        case 'sb-iac':
          this.state = b === SE ? 'data' : 'sb';
          break;
      }
    }
    return Buffer.from(out);
  }
}

/** Doubles 0xFF data bytes, as the protocol wants. */
export function telnetEncode(text: string): Buffer {
  const raw = Buffer.from(text, 'utf8');
  if (!raw.includes(IAC)) return raw;
  const out: number[] = [];
  for (const b of raw) {
    out.push(b);
    if (b === IAC) out.push(IAC);
  }
  return Buffer.from(out);
}

export interface TelnetLoginOptions {
  host: string;
  port: number;
  username: string;
  password?: string;
  /** Seconds for TCP connect + login together. */
  timeoutS: number;
  /** The device's prompt (login is over when the last line looks like one). */
  prompt: RegExp;
  usernamePrompt: RegExp;
  passwordPrompt: RegExp;
  /** What the device says when it refuses the credentials. */
  refused: RegExp;
}

/** A logged-in telnet connection: the same `data`/`close` events and `write` as an SSH shell channel. */
export class TelnetChannel extends EventEmitter {
  private constructor(
    private readonly socket: Socket,
    private readonly decoder: TelnetDecoder,
    /** What arrived after the login dialogue (usually the first prompt), replayed to the first listener. */
    private pending: Buffer,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      const data = decoder.decode(chunk);
      if (data.length) this.emit('data', data);
    });
    socket.on('close', () => this.emit('close'));
    // A reset after login surfaces as `close`, like an SSH channel's.
    socket.on('error', () => undefined);
  }

  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    super.on(event, listener as (...args: unknown[]) => void);
    if (event === 'data' && this.pending.length) {
      const p = this.pending;
      this.pending = Buffer.alloc(0);
      queueMicrotask(() => this.emit('data', p));
    }
    return this;
  }

  write(text: string): boolean {
    return this.socket.write(telnetEncode(text));
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Closes the connection; resolves once the socket is gone (or after `graceMs`). */
  close(graceMs = 1000): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, graceMs);
      timer.unref?.();
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  /**
   * Connects and answers the login dialogue: a username prompt gets the username, a password prompt the password
   * (each ended by CR, as netmiko sends them); done when a prompt shows. A second username prompt, or the device's
   * refusal message, is an `SshAuthError`; anything else going wrong is an `SshConnectionError` (retryable).
   */
  static connect(opts: TelnetLoginOptions): Promise<TelnetChannel> {
    const target = `${opts.username}@${opts.host}:${opts.port} (telnet)`;
    return new Promise<TelnetChannel>((resolve, reject) => {
      const socket = new Socket();
      let text = '';
      let received = Buffer.alloc(0);
      let sentUser = false;
      let sentPassword = false;
      let settled = false;
      const decoder = new TelnetDecoder((bytes) => socket.write(bytes));
      const finish = (err: Error | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeListener('data', onData);
        if (err) {
          socket.destroy();
          reject(err);
          return;
        }
        resolve(new TelnetChannel(socket, decoder, received));
      };
      const timer = setTimeout(
        () => finish(new SshConnectionError(`telnet login to ${target} did not finish within ${opts.timeoutS}s`, { host: opts.host })),
        opts.timeoutS * 1000,
      );
      timer.unref?.();
      const onData = (chunk: Buffer): void => {
        const data = decoder.decode(chunk);
        received = Buffer.concat([received, data]);
        text += data.toString('utf8');
        const last = text.slice(text.lastIndexOf('\n') + 1).replace(/\r/g, '');
        if ((sentUser || sentPassword) && opts.refused.test(text)) {
          finish(new SshAuthError(`telnet login to ${target} refused`, { host: opts.host }));
        } else if (opts.passwordPrompt.test(last)) {
          if (sentPassword || opts.password === undefined) {
            finish(new SshAuthError(`telnet login to ${target} refused${opts.password === undefined ? ': the device asks for a password and none was given' : ''}`, { host: opts.host }));
            return;
          }
          sentPassword = true;
          text = '';
          received = Buffer.alloc(0);
          socket.write(telnetEncode(opts.password + '\r'));
        } else if (opts.usernamePrompt.test(last)) {
          if (sentUser) {
            finish(new SshAuthError(`telnet login to ${target} refused`, { host: opts.host }));
            return;
          }
          sentUser = true;
          text = '';
          received = Buffer.alloc(0);
          socket.write(telnetEncode(opts.username + '\r'));
        } else if (opts.prompt.test(last.trim())) {
          finish(null);
        }
      };
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      socket.on('data', onData);
      socket.once('error', (e: Error & { code?: string }) =>
        finish(new SshConnectionError(`telnet connection to ${target} failed${e.code ? ` (${e.code})` : ''}: ${e.message}`, { host: opts.host })),
      );
      socket.once('close', () => finish(new SshConnectionError(`telnet connection to ${target} closed during login`, { host: opts.host })));
      socket.connect(opts.port, opts.host);
    });
  }
}
