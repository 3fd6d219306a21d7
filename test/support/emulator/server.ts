/**
 * The device emulator's servers: ssh2's SSH server (password or keyboard-interactive login, a shell per session,
 * `exec` requests) and, on request, a telnet server on a port of its own (the `User Access Verification` dialogue,
 * then the same shell). Which platform it plays comes from platforms/*.ts.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { emulatedPlatform } from './platforms/index.js';
import type { DeviceBase, DeviceEmulatorOptions, EmulatedPlatform } from './platform.js';
import { CRLF, Terminal, type TerminalStream } from './terminal.js';

// ssh2 is CommonJS and Node's ESM loader only sees some of its named exports (Client, not Server or utils).
const { Server, utils } = ssh2;

export interface DeviceEmulator {
  /** The platform played (`cisco_ios`, `hp_comware`, ...). */
  platform: string;
  host: string;
  port: number;
  /** The telnet port, with `telnet: true`. */
  telnetPort: number | null;
  username: string;
  password: string;
  enableSecret: string;
  /** Successful logins so far (SSH and telnet). */
  readonly logins: number;
  /** Failed password attempts so far. */
  readonly failedLogins: number;
  /** Sessions connected now. */
  readonly activeSessions: number;
  /** Every non-empty command line received (shell and exec), in order; passwords are never recorded. */
  readonly commandsReceived: string[];
  /** How many times a shell stopped at the pager marker. */
  readonly pagerStops: number;
  /** Configuration saves. */
  readonly saves: number;
  readonly hostname: string;
  /** The running configuration as the device shows it. */
  runningConfig(): string;
  /** Ends every connection (the device side of an `exec-timeout` or a reload); `abrupt` resets the TCP socket. */
  dropSessions(opts?: { abrupt?: boolean }): void;
  close(): Promise<void>;
}

/**
 * An ed25519 host key ssh2's server accepts. ssh2's own generator now and then writes a key its parser calls
 * malformed (about 1 key in 270, measured), so a key is checked before use and made again if need be.
 */
function newHostKey(): string {
  for (let i = 0; i < 10; i++) {
    const key = utils.generateKeyPairSync('ed25519').private;
    if (!(utils.parseKey(key) instanceof Error)) return key;
  }
  throw new Error('ssh2 generated no usable ed25519 host key in 10 tries');
}

export async function startDeviceEmulator(opts: DeviceEmulatorOptions = {}): Promise<DeviceEmulator> {
  const platform = emulatedPlatform(opts.platform ?? 'cisco_ios') as EmulatedPlatform<DeviceBase>;
  const username = opts.username ?? 'admin';
  const password = opts.password ?? 'emulator-password';
  const enableSecret = opts.enableSecret ?? 'emulator-secret';
  const loginName = (sent: string): string => (platform.loginName ? platform.loginName(sent) : sent);
  const device = platform.createDevice(opts);
  const stats = { logins: 0, failedLogins: 0, pagerStops: 0 };
  const commandsReceived: string[] = [];
  const connections = new Set<Connection>();
  const sockets = new Set<Socket>();
  const delayFor = (cmd: string): number =>
    typeof opts.commandDelayMs === 'function' ? opts.commandDelayMs(cmd) : (opts.commandDelayMs ?? 0);
  const terminalOptions = (privileged: boolean, pageLength: number) => ({
    platform,
    device,
    username,
    password,
    enableSecret,
    pageLength,
    banner: opts.banner,
    startPrivileged: privileged,
    delayFor,
    onCommand: (c: string) => commandsReceived.push(c),
    onPagerStop: () => stats.pagerStops++,
  });

  const server = new Server(
    { hostKeys: [newHostKey()], ident: platform.sshIdent, ...(opts.algorithms ? { algorithms: opts.algorithms } : {}) },
    (conn) => {
      connections.add(conn);
      // A router's SSH server answers keystrokes at once; without this Nagle delays every prompt.
      (conn as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
      conn.on('close', () => connections.delete(conn));
      conn.on('error', () => connections.delete(conn));
      conn.on('authentication', (ctx) => {
        const user = loginName(ctx.username);
        if (ctx.method === 'password') {
          if (user === username && ctx.password === password) return ctx.accept();
          stats.failedLogins++;
          return ctx.reject(['password', ...(platform.keyboardInteractive ? ['keyboard-interactive' as const] : [])]);
        }
        if (ctx.method === 'keyboard-interactive' && platform.keyboardInteractive) {
          ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
            if (user === username && answers[0] === password) ctx.accept();
            else {
              stats.failedLogins++;
              ctx.reject();
            }
          });
          return;
        }
        ctx.reject(platform.keyboardInteractive ? ['password', 'keyboard-interactive'] : ['password']);
      });
      conn.on('ready', () => {
        stats.logins++;
        conn.on('session', (acceptSession) => {
          const session = acceptSession();
          session.on('pty', (accept) => accept?.());
          session.on('window-change', (accept) => accept?.());
          session.on('env', (accept) => accept?.());
          session.on('shell', (accept) => {
            const channel = accept();
            const stream: TerminalStream = {
              write: (t) => channel.write(t),
              on: (ev: string, l: (...a: never[]) => void) => channel.on(ev, l as (...a: unknown[]) => void),
              hangUp: () => {
                channel.exit(0);
                channel.end();
              },
            };
            new Terminal(stream, terminalOptions(opts.startPrivileged ?? false, opts.pageLength ?? platform.defaultPageLength)).start();
          });
          session.on('exec', (accept, _reject, info) => {
            const channel = accept();
            const cmd = info.command.trim();
            commandsReceived.push(cmd);
            let closed = false;
            channel.on('close', () => (closed = true));
            const stream: TerminalStream = { write: () => true, on: () => undefined, hangUp: () => undefined };
            const term = new Terminal(stream, { ...terminalOptions(true, 0), onCommand: () => undefined, onPagerStop: () => undefined });
            setTimeout(() => {
              const lines = term.runOnce(cmd);
              if (closed) return;
              const failed = lines.some((l) => /^\s*%|^\s*Error|invalid/i.test(l));
              channel.write(lines.length ? lines.join(CRLF) + CRLF : '');
              channel.exit(failed ? 1 : 0);
              channel.end();
            }, delayFor(cmd));
          });
        });
      });
    },
  );

  const host = opts.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let telnet: NetServer | null = null;
  if (opts.telnet) {
    telnet = createServer((socket) => {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => sockets.delete(socket));
      telnetLogin(socket, platform.telnetPrompts, (user, pass) => {
        const ok = loginName(user) === username && pass === password;
        if (ok) stats.logins++;
        else stats.failedLogins++;
        return ok;
      }, (stream) => new Terminal(stream, terminalOptions(opts.startPrivileged ?? false, opts.pageLength ?? platform.defaultPageLength)).start());
    });
    await new Promise<void>((resolve, reject) => {
      telnet!.once('error', reject);
      telnet!.listen(0, host, () => resolve());
    });
  }

  const dropSessions = ({ abrupt = false } = {}): void => {
    for (const c of connections) {
      if (abrupt) (c as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
      else c.end();
    }
    for (const s of sockets) {
      if (abrupt) s.destroy();
      else s.end();
    }
  };

  return {
    platform: platform.name,
    host,
    port,
    telnetPort: telnet ? (telnet.address() as AddressInfo).port : null,
    username,
    password,
    enableSecret,
    get logins() {
      return stats.logins;
    },
    get failedLogins() {
      return stats.failedLogins;
    },
    get activeSessions() {
      return connections.size + sockets.size;
    },
    commandsReceived,
    get pagerStops() {
      return stats.pagerStops;
    },
    get saves() {
      return device.saves;
    },
    get hostname() {
      return device.hostname;
    },
    runningConfig: () => device.runningConfig(),
    dropSessions,
    close: async () => {
      dropSessions({ abrupt: true });
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        telnet ? new Promise<void>((resolve) => telnet!.close(() => resolve())) : Promise.resolve(),
      ]);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Telnet
// ---------------------------------------------------------------------------------------------------------------

const IAC = 255;
const WILL = 251;
const ECHO = 1;
const SGA = 3;

/** Input bytes without telnet commands (the client's option answers) and without the NUL of `CR NUL`. */
function telnetInputFilter(): (chunk: Buffer) => Buffer {
  let state: 'data' | 'iac' | 'opt' | 'sb' | 'sb-iac' | 'cr' = 'data';
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (state === 'cr') {
        state = 'data';
        if (b === 0) continue;
      }
      if (state === 'data') {
        if (b === IAC) state = 'iac';
        else {
          out.push(b);
          if (b === 13) state = 'cr';
        }
      } else if (state === 'iac') {
        if (b === IAC) {
          out.push(b);
          state = 'data';
        } else if (b >= 251 && b <= 254) state = 'opt';
        else if (b === 250) state = 'sb';
        else state = 'data';
      } else if (state === 'opt') state = 'data';
      else if (state === 'sb') {
        if (b === IAC) state = 'sb-iac';
      } else if (state === 'sb-iac') state = b === 240 ? 'data' : 'sb';
    }
    return Buffer.from(out);
  };
}

/**
 * A vty's telnet login: the server offers to echo and to suppress go-ahead (as IOS does), asks the username
 * (echoed) and the password (not echoed), three tries, then hands the connection to a terminal.
 */
function telnetLogin(
  socket: Socket,
  prompts: EmulatedPlatform['telnetPrompts'],
  check: (user: string, pass: string) => boolean,
  start: (stream: TerminalStream) => void,
): void {
  const filter = telnetInputFilter();
  const listeners: Array<(d: Buffer) => void> = [];
  let stage: 'user' | 'pass' | 'shell' = 'user';
  let line = '';
  let user = '';
  let tries = 0;
  let lastWasCR = false;
  socket.write(Buffer.from([IAC, WILL, ECHO, IAC, WILL, SGA]));
  socket.write(`${CRLF}User Access Verification${CRLF}${CRLF}${prompts.username}`);
  socket.on('data', (chunk: Buffer) => {
    const data = filter(chunk);
    if (stage === 'shell') {
      for (const l of listeners) l(data);
      return;
    }
    for (let i = 0; i < data.length; i++) {
      const ch = String.fromCharCode(data[i] as number);
      if (ch === '\n' && lastWasCR) {
        lastWasCR = false;
        continue;
      }
      lastWasCR = ch === '\r';
      if (ch !== '\r' && ch !== '\n') {
        if (ch >= ' ') {
          line += ch;
          if (stage === 'user') socket.write(ch);
        }
        continue;
      }
      socket.write(CRLF);
      if (stage === 'user') {
        user = line;
        line = '';
        stage = 'pass';
        socket.write(prompts.password);
        continue;
      }
      const pass = line;
      line = '';
      if (check(user, pass)) {
        stage = 'shell';
        const rest = data.subarray(i + 1);
        start({
          write: (t) => socket.write(t),
          on: (ev: string, l: (...a: never[]) => void) => {
            if (ev === 'data') listeners.push(l as (d: Buffer) => void);
            else socket.on(ev, l as (...a: unknown[]) => void);
          },
          hangUp: () => socket.end(),
        });
        if (rest.length) for (const l of listeners) l(rest);
        return;
      }
      tries++;
      if (tries >= 3) {
        socket.end(`${prompts.refused}${CRLF}`);
        return;
      }
      stage = 'user';
      socket.write(`${prompts.refused}${CRLF}${CRLF}${prompts.username}`);
    }
  });
}
