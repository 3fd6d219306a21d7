/**
 * A Cisco-IOS-like network device on ssh2's Server, for tests and benchmarks of the `netmiko` driver.
 *
 * It behaves like a PTY on a real router where that matters to a driver: typed characters are echoed, lines end in
 * CRLF, output longer than the terminal length stops at ` --More-- ` (space: next page, RETURN: next line, anything
 * else: stop) and the marker is erased with backspaces, `enable` asks `Password: ` without echo and gives up after
 * three tries, commands may be abbreviated (`sh ver`, `conf t`, `wr mem`), unknown input gets the caret and
 * `% Invalid input detected at '^' marker.`, and a `hostname` line changes the prompt at once. The real Python
 * netmiko drives it in test/integration/netmiko-python.test.ts; that test is what makes it trustworthy.
 */
import ssh2 from 'ssh2';
import type { Algorithms, Connection, ServerChannel } from 'ssh2';
import type { AddressInfo } from 'node:net';

// ssh2 is CommonJS and Node's ESM loader only sees some of its named exports (Client, not Server or utils).
const { Server, utils } = ssh2;

export interface DeviceEmulatorOptions {
  username?: string;
  password?: string;
  /** Enable secret; `enable` asks for it. */
  enableSecret?: string;
  hostname?: string;
  /** Printed once before the first prompt of a shell (a MOTD banner). */
  banner?: string;
  /** Terminal length of a new shell (IOS default 24); 0 disables paging from the start. */
  pageLength?: number;
  /** Milliseconds before a command's answer; a function can slow down chosen commands only. */
  commandDelayMs?: number | ((command: string) => number);
  /** Log in at the privileged prompt (`Router#`), as a privilege-15 user does. */
  startPrivileged?: boolean;
  /** Restrict the transport algorithms, e.g. to what an old IOS offers (SHA-1 key exchange, CBC ciphers). */
  algorithms?: Algorithms;
  /** Loopback address to listen on (default 127.0.0.1); other 127.x addresses make distinct pinned hosts. */
  listenHost?: string;
}

export interface DeviceEmulator {
  host: string;
  port: number;
  username: string;
  password: string;
  enableSecret: string;
  /** Successful logins so far. */
  readonly logins: number;
  /** Failed password attempts so far. */
  readonly failedLogins: number;
  /** Sessions connected now. */
  readonly activeSessions: number;
  /** Every non-empty command line received (shell and exec), in order; passwords are never recorded. */
  readonly commandsReceived: string[];
  /** How many times a shell stopped at ` --More-- `. */
  readonly pagerStops: number;
  /** `write memory` / `copy running-config startup-config` count. */
  readonly saves: number;
  readonly hostname: string;
  /** The running configuration as `show running-config` prints it. */
  runningConfig(): string;
  /** Ends every SSH connection (the device side of an `exec-timeout` or a reload); `abrupt` resets the TCP socket. */
  dropSessions(opts?: { abrupt?: boolean }): void;
  close(): Promise<void>;
}

interface Interface {
  name: string;
  ip: { address: string; mask: string } | null;
  method: 'NVRAM' | 'manual' | 'unset';
  shutdown: boolean;
  description?: string;
  extra: string[];
}

interface DeviceState {
  hostname: string;
  interfaces: Map<string, Interface>;
  globalLines: string[];
  bootedAt: number;
  lastChange: Date | null;
  saves: number;
}

type Mode = 'user' | 'priv' | 'config' | 'config-if' | 'config-sub';

const CRLF = '\r\n';
const MORE = ' --More-- ';
const MORE_ERASE = '\b'.repeat(MORE.length) + ' '.repeat(MORE.length) + '\b'.repeat(MORE.length);

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
  const username = opts.username ?? 'admin';
  const password = opts.password ?? 'emulator-password';
  const enableSecret = opts.enableSecret ?? 'emulator-secret';
  const hostKey = newHostKey();
  const device: DeviceState = {
    hostname: opts.hostname ?? 'Router',
    interfaces: new Map(),
    globalLines: ['service timestamps debug datetime msec', 'service timestamps log datetime msec', 'no ip domain lookup'],
    bootedAt: Date.now() - ((12 * 7 + 3) * 24 * 3600 + 4 * 3600 + 41 * 60) * 1000,
    lastChange: null,
    saves: 0,
  };
  for (const i of [
    { name: 'GigabitEthernet0/0', ip: { address: '10.0.0.1', mask: '255.255.255.0' }, shutdown: false },
    { name: 'GigabitEthernet0/1', ip: null, shutdown: true },
    { name: 'GigabitEthernet0/2', ip: { address: '192.168.1.1', mask: '255.255.255.0' }, shutdown: false },
    { name: 'Loopback0', ip: { address: '1.1.1.1', mask: '255.255.255.255' }, shutdown: false },
  ]) {
    device.interfaces.set(i.name, { ...i, method: i.ip ? 'NVRAM' : 'unset', extra: [] });
  }

  const stats = { logins: 0, failedLogins: 0, pagerStops: 0 };
  const commandsReceived: string[] = [];
  const connections = new Set<Connection>();
  const delayFor = (cmd: string): number =>
    typeof opts.commandDelayMs === 'function' ? opts.commandDelayMs(cmd) : (opts.commandDelayMs ?? 0);

  const server = new Server({ hostKeys: [hostKey], ident: 'SSH-2.0-Cisco-1.25', ...(opts.algorithms ? { algorithms: opts.algorithms } : {}) }, (conn) => {
    connections.add(conn);
    // A router's SSH server answers keystrokes at once; without this Nagle delays every prompt.
    (conn as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => connections.delete(conn));
    conn.on('authentication', (ctx) => {
      if (ctx.method === 'password' && ctx.username === username && ctx.password === password) {
        ctx.accept();
        return;
      }
      if (ctx.method === 'password') stats.failedLogins++;
      ctx.reject(['password']);
    });
    conn.on('ready', () => {
      stats.logins++;
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('pty', (accept) => accept?.());
        session.on('window-change', (accept) => accept?.());
        session.on('env', (accept) => accept?.());
        session.on('shell', (accept) => {
          const stream = accept();
          new CliSession(stream, device, {
            enableSecret,
            pageLength: opts.pageLength ?? 24,
            banner: opts.banner,
            startPrivileged: opts.startPrivileged ?? false,
            delayFor,
            onCommand: (c) => commandsReceived.push(c),
            onPagerStop: () => stats.pagerStops++,
          }).start();
        });
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          const cmd = info.command.trim();
          commandsReceived.push(cmd);
          const cli = new CliSession(stream, device, {
            enableSecret,
            pageLength: 0,
            startPrivileged: true,
            delayFor,
            onCommand: () => undefined,
            onPagerStop: () => undefined,
          });
          setTimeout(() => {
            const { output, ok } = cli.runForExec(cmd);
            if (cli.isClosed) return;
            stream.write(output);
            stream.exit(ok ? 0 : 1);
            stream.end();
          }, delayFor(cmd));
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.listenHost ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const dropSessions = ({ abrupt = false } = {}): void => {
    for (const c of connections) {
      if (abrupt) (c as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
      else c.end();
    }
  };

  return {
    host: opts.listenHost ?? '127.0.0.1',
    port,
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
      return connections.size;
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
    runningConfig: () => renderRunningConfig(device).join('\n'),
    dropSessions,
    close: async () => {
      dropSessions({ abrupt: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One CLI session (a shell, or a single exec command)
// ---------------------------------------------------------------------------------------------------------------

interface CliOptions {
  enableSecret: string;
  pageLength: number;
  banner?: string | undefined;
  startPrivileged: boolean;
  delayFor: (cmd: string) => number;
  onCommand: (cmd: string) => void;
  onPagerStop: () => void;
}

type Result = { output: string[]; error?: { offset: number; kind: 'invalid' | 'incomplete' | 'ambiguous'; text?: string } };

class CliSession {
  private mode: Mode;
  private currentInterface: string | null = null;
  private line = '';
  private input = '';
  private busy = false;
  private lastWasCR = false;
  private pageLength: number;
  private width = 80;
  private password: { attempts: number; then: 'enable' } | null = null;
  private confirm: { prompt: string; onAnswer: (answer: string) => string[] } | null = null;
  private pager: { lines: string[]; pos: number } | null = null;
  private closed = false;

  constructor(
    private readonly stream: ServerChannel,
    private readonly device: DeviceState,
    private readonly opts: CliOptions,
  ) {
    this.mode = opts.startPrivileged ? 'priv' : 'user';
    this.pageLength = opts.pageLength;
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
    const banner = this.opts.banner ? this.opts.banner.replace(/\r?\n/g, CRLF) + CRLF : '';
    this.write(CRLF + banner + CRLF + this.prompt());
  }

  /** An exec request: privileged, no paging, no echo; output with CRLF line ends like a PTY-less IOS exec. */
  runForExec(cmd: string): { output: string; ok: boolean } {
    const r = this.execute(cmd);
    if (r.error) return { output: this.errorText(cmd, r.error, 0).join(CRLF) + CRLF, ok: false };
    return { output: r.output.length ? r.output.join(CRLF) + CRLF : '', ok: true };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private write(text: string): void {
    if (!this.closed) this.stream.write(text);
  }

  prompt(): string {
    const h = this.device.hostname;
    switch (this.mode) {
      case 'user':
        return `${h}>`;
      case 'priv':
        return `${h}#`;
      case 'config':
        return `${h}(config)#`;
      case 'config-if':
        return `${h}(config-if)#`;
      case 'config-sub':
        return `${h}(config-line)#`;
    }
  }

  /** Consumes typed input one character at a time, the way a terminal line discipline does. */
  private pump(): void {
    let echo = '';
    const flush = (): void => {
      if (echo) this.write(echo);
      echo = '';
    };
    while (!this.busy && !this.closed && this.input.length > 0) {
      const ch = this.input[0] as string;
      this.input = this.input.slice(1);
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
      if (ch === '\r' || ch === '\n') {
        const line = this.line;
        this.line = '';
        if (this.password) {
          flush();
          this.passwordEntered(line);
        } else {
          echo += CRLF;
          flush();
          this.enter(line);
        }
        continue;
      }
      if (ch === '\x1a' || ch === '\x03') {
        // Ctrl-Z (and Ctrl-C) leave configuration mode at once.
        if (this.mode !== 'user' && this.mode !== 'priv') {
          echo += '^Z' + CRLF;
          flush();
          this.line = '';
          this.mode = 'priv';
          this.currentInterface = null;
          this.write(this.prompt());
        }
        continue;
      }
      if (ch === '\x7f' || ch === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          if (!this.password) echo += '\b \b';
        }
        continue;
      }
      if (ch < ' ') continue;
      this.line += ch;
      if (!this.password) echo += ch;
    }
    flush();
  }

  private passwordEntered(secret: string): void {
    const p = this.password;
    if (!p) return;
    if (secret === this.opts.enableSecret) {
      this.password = null;
      this.mode = 'priv';
      this.write(CRLF + this.prompt());
      return;
    }
    p.attempts++;
    if (p.attempts < 3) {
      this.write(CRLF + 'Password: ');
      return;
    }
    this.password = null;
    this.write(CRLF + '% Bad secrets' + CRLF + CRLF + this.prompt());
  }

  private enter(raw: string): void {
    if (this.confirm) {
      const c = this.confirm;
      this.confirm = null;
      this.respond(raw, c.onAnswer(raw.trim()));
      return;
    }
    const line = raw.trim();
    if (!line) {
      this.write(this.prompt());
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
    const promptBefore = this.prompt();
    const r = this.execute(raw.trim(), raw.length - raw.trimStart().length);
    if (this.closed) return;
    if (r.error) {
      this.respond(raw, this.errorText(raw, r.error, promptBefore.length));
      return;
    }
    this.respond(raw, r.output);
  }

  private respond(_raw: string, lines: string[]): void {
    // `enable` has already written `Password: `; the prompt comes once the secret is in.
    if (this.closed || this.password) return;
    if (this.confirm) {
      this.write(lines.map((l) => l + CRLF).join('') + this.confirm.prompt);
      return;
    }
    if (this.pageLength > 0 && lines.length > this.pageLength - 1) {
      this.pager = { lines, pos: 0 };
      this.showPage(this.pageLength - 1);
      return;
    }
    this.write(lines.map((l) => l + CRLF).join('') + this.prompt());
  }

  private showPage(count: number): void {
    const p = this.pager;
    if (!p) return;
    const chunk = p.lines.slice(p.pos, p.pos + count);
    p.pos += chunk.length;
    if (p.pos >= p.lines.length) {
      this.pager = null;
      this.write(chunk.map((l) => l + CRLF).join('') + this.prompt());
      return;
    }
    this.opts.onPagerStop();
    this.write(chunk.map((l) => l + CRLF).join('') + MORE);
  }

  private pagerKey(ch: string): void {
    this.write(MORE_ERASE);
    if (ch === ' ') this.showPage(this.pageLength - 1);
    else if (ch === '\r' || ch === '\n') this.showPage(1);
    else {
      this.pager = null;
      this.write(this.prompt());
    }
  }

  private errorText(raw: string, err: NonNullable<Result['error']>, promptLen: number): string[] {
    if (err.kind === 'incomplete') return ['% Incomplete command.', ''];
    if (err.kind === 'ambiguous') return [`% Ambiguous command:  "${raw.trim()}"`];
    return [' '.repeat(promptLen + err.offset) + '^', "% Invalid input detected at '^' marker.", ''];
  }

  // ----- command interpreter ----------------------------------------------------------------------------------

  /** Runs one command line; `lead` is the indentation the user typed, so the caret lands under the right column. */
  private execute(line: string, lead = 0): Result {
    const words = tokenize(line, lead);
    if (words.length === 0) return { output: [] };
    if (this.mode === 'user' || this.mode === 'priv') return this.execExec(words);
    return this.execConfig(words, line);
  }

  private execExec(words: Word[]): Result {
    const priv = this.mode === 'priv';
    const top = ['enable', 'exit', 'logout', 'quit', 'show', 'terminal', ...(priv ? ['configure', 'write', 'copy', 'disable'] : [])];
    const w0 = words[0] as Word;
    const k = resolve(w0.text, top);
    if (k.kind !== 'ok') return fail(w0, k.kind);
    switch (k.word) {
      case 'enable':
        if (priv) return { output: [] };
        this.password = { attempts: 0, then: 'enable' };
        this.write('Password: ');
        return { output: [] };
      case 'disable':
        this.mode = 'user';
        return { output: [] };
      case 'exit':
      case 'logout':
      case 'quit':
        this.closed = true;
        this.stream.exit(0);
        this.stream.end();
        return { output: [] };
      case 'terminal':
        return this.terminal(words.slice(1), w0);
      case 'show':
        return this.show(words.slice(1), w0);
      case 'configure': {
        const w1 = words[1];
        if (w1) {
          const t = resolve(w1.text, ['terminal', 'memory', 'network']);
          if (t.kind !== 'ok' || t.word !== 'terminal') return fail(w1, t.kind === 'ok' ? 'invalid' : t.kind);
        }
        this.mode = 'config';
        return { output: ['Enter configuration commands, one per line.  End with CNTL/Z.'] };
      }
      case 'write': {
        const w1 = words[1];
        if (w1) {
          const t = resolve(w1.text, ['memory', 'terminal', 'erase']);
          if (t.kind !== 'ok') return fail(w1, t.kind);
          if (t.word === 'terminal') return { output: renderRunningConfig(this.device) };
          if (t.word === 'erase') return fail(w1, 'invalid');
        }
        return { output: this.save() };
      }
      case 'copy': {
        const [a, b] = [words[1], words[2]];
        if (!a || !b) return { output: [], error: { offset: (words[words.length - 1] as Word).end, kind: 'incomplete' } };
        const ra = resolve(a.text, ['running-config', 'startup-config']);
        if (ra.kind !== 'ok' || ra.word !== 'running-config') return fail(a, 'invalid');
        const rb = resolve(b.text, ['startup-config', 'running-config']);
        if (rb.kind !== 'ok' || rb.word !== 'startup-config') return fail(b, 'invalid');
        this.confirm = { prompt: 'Destination filename [startup-config]? ', onAnswer: () => this.save() };
        return { output: [] };
      }
    }
    return fail(w0, 'invalid');
  }

  private save(): string[] {
    this.device.saves++;
    return ['Building configuration...', '[OK]'];
  }

  private terminal(words: Word[], prev: Word): Result {
    const w = words[0];
    if (!w) return { output: [], error: { offset: prev.end, kind: 'incomplete' } };
    const k = resolve(w.text, ['length', 'width', 'monitor', 'no']);
    if (k.kind !== 'ok') return fail(w, k.kind);
    if (k.word === 'monitor') return { output: [] };
    if (k.word === 'no') return { output: [] };
    const n = words[1];
    if (!n) return { output: [], error: { offset: w.end, kind: 'incomplete' } };
    const v = Number(n.text);
    const max = 512;
    if (!/^\d+$/.test(n.text) || v > max || (k.word === 'width' && v < 0)) return fail(n, 'invalid');
    if (k.word === 'length') this.pageLength = v;
    else this.width = v;
    return { output: [] };
  }

  private show(words: Word[], prev: Word): Result {
    const w = words[0];
    if (!w) return { output: [], error: { offset: prev.end, kind: 'incomplete' } };
    const priv = this.mode !== 'user';
    const subs = ['version', 'clock', 'ip', 'users', 'terminal', ...(priv ? ['running-config', 'startup-config'] : [])];
    const k = resolve(w.text, subs);
    if (k.kind !== 'ok') return fail(w, k.kind);
    switch (k.word) {
      case 'version':
        return { output: renderShowVersion(this.device) };
      case 'clock':
        return { output: [formatClock(new Date())] };
      case 'users':
        return { output: ['    Line       User       Host(s)              Idle       Location', '*  2 vty 0     admin      idle                 00:00:00 127.0.0.1', ''] };
      case 'terminal':
        return { output: [`Line 2, Location: "", Type: "vt100"`, `Length: ${this.pageLength} lines, Width: ${this.width} columns`] };
      case 'running-config':
        return { output: ['Building configuration...', '', ...renderRunningConfig(this.device)] };
      case 'startup-config':
        return { output: ['Using 1268 out of 262136 bytes', ...renderRunningConfig(this.device)] };
      case 'ip': {
        const a = words[1];
        if (!a) return { output: [], error: { offset: w.end, kind: 'incomplete' } };
        const ka = resolve(a.text, ['interface', 'route']);
        if (ka.kind !== 'ok') return fail(a, ka.kind);
        if (ka.word === 'route') return { output: renderIpRoute(this.device) };
        const b = words[1 + 1];
        if (!b) return fail(a, 'invalid');
        const kb = resolve(b.text, ['brief']);
        if (kb.kind !== 'ok') return fail(b, kb.kind);
        return { output: renderIpInterfaceBrief(this.device) };
      }
    }
    return fail(w, 'invalid');
  }

  private execConfig(words: Word[], line: string): Result {
    const w0 = words[0] as Word;
    const common = resolve(w0.text, ['end', 'exit', 'do']);
    if (common.kind === 'ok') {
      if (common.word === 'end') {
        this.mode = 'priv';
        this.currentInterface = null;
        this.touch();
        return { output: [] };
      }
      if (common.word === 'exit') {
        this.mode = this.mode === 'config' ? 'priv' : 'config';
        this.currentInterface = null;
        return { output: [] };
      }
      const saved = this.mode;
      this.mode = 'priv';
      const r = this.execExec(words.slice(1));
      if ((this.mode as Mode) === 'priv') this.mode = saved;
      return r;
    }
    if (this.mode === 'config-if') {
      const r = this.interfaceCommand(words, line);
      if (r) return r;
    }
    if (this.mode === 'config-sub') {
      const sub = resolve(w0.text, LINE_COMMANDS);
      if (sub.kind === 'ok') {
        this.device.globalLines.push(' ' + line);
        return { output: [] };
      }
    }
    return this.globalConfig(words, line);
  }

  private globalConfig(words: Word[], line: string): Result {
    const w0 = words[0] as Word;
    const k = resolve(w0.text, GLOBAL_COMMANDS);
    if (k.kind !== 'ok') return fail(w0, k.kind);
    const w1 = words[1];
    switch (k.word) {
      case 'hostname': {
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        if (!/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(w1.text)) return fail(w1, 'invalid');
        this.device.hostname = w1.text;
        this.touch();
        return { output: [] };
      }
      case 'interface': {
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        const name = expandInterface(w1.text + (words[2]?.text ?? ''));
        if (!name) return fail(w1, 'invalid');
        if (!this.device.interfaces.has(name)) {
          if (!/^(Loopback|Vlan|Tunnel|Port-channel)/.test(name)) return fail(w1, 'invalid');
          this.device.interfaces.set(name, { name, ip: null, method: 'unset', shutdown: false, extra: [] });
        }
        this.mode = 'config-if';
        this.currentInterface = name;
        return { output: [] };
      }
      case 'line':
        this.mode = 'config-sub';
        this.device.globalLines.push(line);
        return { output: [] };
      case 'no':
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        if (resolve(w1.text, GLOBAL_COMMANDS).kind !== 'ok') return fail(w1, 'invalid');
        this.device.globalLines = this.device.globalLines.filter((l) => l !== line.slice(line.indexOf(w1.text)));
        this.touch();
        return { output: [] };
      default:
        if (!w1) return { output: [], error: { offset: w0.end, kind: 'incomplete' } };
        this.device.globalLines.push(line);
        this.touch();
        return { output: [] };
    }
  }

  /** Returns null when the word is not an interface command, so it is tried as a global one (as IOS does). */
  private interfaceCommand(words: Word[], line: string): Result | null {
    const iface = this.device.interfaces.get(this.currentInterface ?? '');
    if (!iface) return null;
    const w0 = words[0] as Word;
    let negate = false;
    let rest = words;
    if (resolve(w0.text, ['no']).kind === 'ok' && words.length > 1) {
      negate = true;
      rest = words.slice(1);
    }
    const head = rest[0] as Word;
    const k = resolve(head.text, INTERFACE_COMMANDS);
    if (k.kind !== 'ok') return negate ? fail(head, k.kind) : null;
    const arg = rest[1];
    switch (k.word) {
      case 'shutdown':
        iface.shutdown = !negate;
        break;
      case 'description':
        if (negate) delete iface.description;
        else {
          if (!arg) return { output: [], error: { offset: head.end, kind: 'incomplete' } };
          iface.description = line.slice(line.indexOf(arg.text));
        }
        break;
      case 'ip': {
        if (!arg) return { output: [], error: { offset: head.end, kind: 'incomplete' } };
        const sub = resolve(arg.text, ['address', 'helper-address', 'ospf', 'mtu', 'nat', 'access-group']);
        if (sub.kind !== 'ok') return fail(arg, sub.kind);
        if (sub.word === 'address') {
          if (negate) {
            iface.ip = null;
            iface.method = 'unset';
            break;
          }
          const [a, m] = [rest[2], rest[3]];
          if (!a || !m) return { output: [], error: { offset: (rest[rest.length - 1] as Word).end, kind: 'incomplete' } };
          if (!isIPv4(a.text)) return fail(a, 'invalid');
          if (!isIPv4(m.text)) return fail(m, 'invalid');
          iface.ip = { address: a.text, mask: m.text };
          iface.method = 'manual';
        } else iface.extra.push(line);
        break;
      }
      default:
        if (negate) iface.extra = iface.extra.filter((l) => l !== line.replace(/^\s*no\s+/, ''));
        else iface.extra.push(line);
    }
    this.touch();
    return { output: [] };
  }

  private touch(): void {
    this.device.lastChange = new Date();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing helpers
// ---------------------------------------------------------------------------------------------------------------

interface Word {
  text: string;
  offset: number;
  end: number;
}

function tokenize(line: string, lead: number): Word[] {
  const out: Word[] = [];
  const re = /\S+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    out.push({ text: m[0], offset: lead + m.index, end: lead + m.index + m[0].length });
  }
  return out;
}

/** IOS keyword matching: any unique prefix, or an exact keyword. */
function resolve(word: string, keywords: readonly string[]): { kind: 'ok'; word: string } | { kind: 'invalid' | 'ambiguous' } {
  const w = word.toLowerCase();
  if (keywords.includes(w)) return { kind: 'ok', word: w };
  const hits = keywords.filter((k) => k.startsWith(w));
  if (hits.length === 1) return { kind: 'ok', word: hits[0] as string };
  return { kind: hits.length === 0 ? 'invalid' : 'ambiguous' };
}

function fail(w: Word, kind: 'invalid' | 'ambiguous' | 'incomplete'): Result {
  return { output: [], error: { offset: w.offset, kind } };
}

const GLOBAL_COMMANDS = [
  'hostname', 'interface', 'ip', 'no', 'line', 'username', 'logging', 'ntp', 'snmp-server', 'service', 'router',
  'access-list', 'vlan', 'spanning-tree', 'enable', 'aaa', 'clock', 'cdp', 'lldp', 'banner', 'boot', 'crypto',
  'archive', 'errdisable', 'vtp', 'license', 'version',
];
const INTERFACE_COMMANDS = [
  'shutdown', 'description', 'ip', 'duplex', 'speed', 'switchport', 'mtu', 'standby', 'vrrp', 'bandwidth',
  'channel-group', 'spanning-tree', 'cdp', 'negotiation', 'load-interval', 'encapsulation', 'ipv6',
];
const LINE_COMMANDS = ['login', 'password', 'transport', 'exec-timeout', 'logging', 'privilege', 'access-class', 'stopbits'];

function expandInterface(name: string): string | null {
  const m = /^([A-Za-z-]+)\s*(\d+(?:\/\d+)*)$/.exec(name);
  if (!m) return null;
  const [, kind, num] = m as unknown as [string, string, string];
  const kinds = ['GigabitEthernet', 'FastEthernet', 'TenGigabitEthernet', 'Loopback', 'Vlan', 'Tunnel', 'Port-channel'];
  const k = kinds.filter((x) => x.toLowerCase().startsWith(kind.toLowerCase()));
  if (k.length !== 1) return null;
  return `${k[0]}${num}`;
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

// ---------------------------------------------------------------------------------------------------------------
// Output renderers
// ---------------------------------------------------------------------------------------------------------------

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `*10:21:33.123 UTC Tue Jan 14 2025`: the asterisk means "not NTP-synchronised", as on a lab router. */
function formatClock(d: Date): string {
  return `*${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} UTC ${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${d.getUTCFullYear()}`;
}

function uptime(since: number): string {
  let s = Math.floor((Date.now() - since) / 1000);
  const weeks = Math.floor(s / 604800);
  s -= weeks * 604800;
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(weeks, 'week')}, ${plural(days, 'day')}, ${plural(hours, 'hour')}, ${plural(minutes, 'minute')}`;
}

function renderShowVersion(d: DeviceState): string[] {
  const boot = new Date(d.bootedAt);
  return [
    'Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.2(4)M7, RELEASE SOFTWARE (fc2)',
    'Technical Support: http://www.cisco.com/techsupport',
    'Copyright (c) 1986-2014 by Cisco Systems, Inc.',
    'Compiled Thu 25-Sep-14 10:36 by prod_rel_team',
    '',
    'ROM: System Bootstrap, Version 15.0(1r)M15, RELEASE SOFTWARE (fc1)',
    '',
    `${d.hostname} uptime is ${uptime(d.bootedAt)}`,
    'System returned to ROM by power-on',
    `System restarted at ${formatClock(boot).slice(1)}`,
    'System image file is "flash0:c2900-universalk9-mz.SPA.152-4.M7.bin"',
    'Last reload type: Normal Reload',
    'Last reload reason: power-on',
    '',
    '',
    '',
    'This product contains cryptographic features and is subject to United',
    'States and local country laws governing import, export, transfer and',
    'use. Delivery of Cisco cryptographic products does not imply',
    'third-party authority to import, export, distribute or use encryption.',
    'Importers, exporters, distributors and users are responsible for',
    'compliance with U.S. and local country laws. By using this product you',
    'agree to comply with applicable laws and regulations. If you are unable',
    'to comply with U.S. and local laws, return this product immediately.',
    '',
    'A summary of U.S. laws governing Cisco cryptographic products may be found at:',
    'http://www.cisco.com/wwl/export/crypto/tool/stqrg.html',
    '',
    'If you require further assistance please contact us by sending email to',
    'export@cisco.com.',
    '',
    'Cisco CISCO2911/K9 (revision 1.0) with 483328K/40960K bytes of memory.',
    'Processor board ID FTX1840ALBQ',
    `${[...d.interfaces.keys()].filter((n) => n.startsWith('Gigabit')).length} Gigabit Ethernet interfaces`,
    '1 terminal line',
    'DRAM configuration is 64 bits wide with parity enabled.',
    '255K bytes of non-volatile configuration memory.',
    '250880K bytes of ATA System CompactFlash 0 (Read/Write)',
    '',
    '',
    'License Info:',
    '',
    'License UDI:',
    '',
    '-------------------------------------------------',
    'Device#   PID                   SN',
    '-------------------------------------------------',
    '*0        CISCO2911/K9          FTX1840ALBQ',
    '',
    '',
    '',
    "Technology Package License Information for Module:'c2900'",
    '',
    '-----------------------------------------------------------------',
    'Technology    Technology-package           Technology-package',
    '              Current       Type           Next reboot',
    '------------------------------------------------------------------',
    'ipbase        ipbasek9      Permanent      ipbasek9',
    'security      securityk9    Permanent      securityk9',
    'uc            None          None           None',
    'data          None          None           None',
    '',
    'Configuration register is 0x2102',
    '',
  ];
}

function renderIpInterfaceBrief(d: DeviceState): string[] {
  const row = (a: string, b: string, c: string, m: string, s: string, p: string): string =>
    `${a.padEnd(27)}${b.padEnd(16)}${c.padEnd(4)}${m.padEnd(7)}${s.padEnd(22)}${p}`;
  const out = [row('Interface', 'IP-Address', 'OK?', 'Method', 'Status', 'Protocol')];
  for (const i of sortedInterfaces(d)) {
    const status = i.shutdown ? 'administratively down' : 'up';
    out.push(row(i.name, i.ip?.address ?? 'unassigned', 'YES', i.method, status, i.shutdown ? 'down' : 'up'));
  }
  return out;
}

function renderIpRoute(d: DeviceState): string[] {
  const out = [
    'Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP',
    '       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area',
    '',
    'Gateway of last resort is not set',
    '',
  ];
  for (const i of sortedInterfaces(d)) {
    if (!i.ip || i.shutdown) continue;
    out.push(`C        ${i.ip.address}/${maskBits(i.ip.mask)} is directly connected, ${i.name}`);
  }
  return out;
}

function maskBits(mask: string): number {
  return mask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).replace(/0/g, '').length, 0);
}

function sortedInterfaces(d: DeviceState): Interface[] {
  return [...d.interfaces.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

function renderRunningConfig(d: DeviceState): string[] {
  const lines: string[] = [];
  const body: string[] = [
    '!',
    ...(d.lastChange ? [`! Last configuration change at ${formatClock(d.lastChange).slice(1)} by admin`, '!'] : []),
    'version 15.2',
    ...d.globalLines.filter((l) => l.startsWith('service')),
    '!',
    `hostname ${d.hostname}`,
    '!',
    'boot-start-marker',
    'boot-end-marker',
    '!',
    ...d.globalLines.filter((l) => !l.startsWith('service') && !l.startsWith('line') && !l.startsWith(' ')),
    '!',
  ];
  for (const i of sortedInterfaces(d)) {
    body.push(`interface ${i.name}`);
    if (i.description) body.push(` description ${i.description}`);
    body.push(i.ip ? ` ip address ${i.ip.address} ${i.ip.mask}` : ' no ip address');
    for (const e of i.extra) body.push(` ${e.trim()}`);
    if (i.shutdown) body.push(' shutdown');
    body.push('!');
  }
  body.push('line con 0', 'line vty 0 4', ' login local', ' transport input ssh', '!', 'end', '');
  const size = body.join('\n').length;
  lines.push(`Current configuration : ${size} bytes`, ...body);
  return lines;
}
