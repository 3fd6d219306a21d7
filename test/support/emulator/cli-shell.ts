/**
 * A table-driven shell for the platforms whose CLI has Cisco's shape: a user and a privileged level, a global
 * configuration mode and sub-modes (interface), keywords abbreviated to any unique prefix, and errors that point at
 * the word that failed. Each platform module gives its prompts, commands, outputs and error texts; nothing of one
 * platform is assumed for another.
 */
import type { DeviceBase, ShellIO, Shell } from './platform.js';
import { pickCommand, tokenize, type Word } from './words.js';

export interface CliInterface {
  name: string;
  ip: { address: string; mask: string } | null;
  description: string;
  shutdown: boolean;
  /** Other lines typed in the interface's mode. */
  extra: string[];
}

export interface CliDevice extends DeviceBase {
  interfaces: Map<string, CliInterface>;
  /** Global configuration lines typed so far (beyond hostname and interfaces). */
  lines: string[];
  bootedAt: number;
  /** Configuration changed since the last save. */
  dirty: boolean;
}

export type CliMode = 'user' | 'priv' | 'config' | 'sub';

/** What a command handler gets. */
export interface CliContext {
  args: string[];
  words: Word[];
  line: string;
  shell: CliShell;
  device: CliDevice;
  io: ShellIO;
}

/** A handler returns the output lines, or throws `CliError` for the platform's error message. */
export type Handler = (ctx: CliContext) => string[];

export class CliError extends Error {
  constructor(
    readonly kind: 'invalid' | 'incomplete' | 'ambiguous' | 'custom',
    /** The word that failed (its column is used for a caret). */
    readonly at: Word | null,
    /** With kind `custom`: the lines to print. */
    readonly lines: string[] = [],
  ) {
    super(kind);
  }
}

export interface CliShellSpec {
  prompt(device: CliDevice, mode: CliMode, sub: string | null): string;
  /** Commands by mode, as keyword specs (`show ip interface brief`, `<x>` for a free word). */
  user: Record<string, Handler>;
  /** Privileged mode adds these to `user`'s. */
  priv: Record<string, Handler>;
  config: Record<string, Handler>;
  /** Sub-mode (interface) commands; global configuration commands work there too, as on IOS. */
  sub: Record<string, Handler>;
  /** The platform's error text for a failed line; `promptLength` is where the typed line starts. */
  errorLines(err: CliError, line: string, promptLength: number): string[];
  /** Words that leave the session. */
  logout: string[];
}

/** Lines that start with one of these words are accepted as configuration without a handler of their own. */
export function acceptAll(handler?: Handler): Handler {
  return (ctx) => {
    ctx.device.lines.push(ctx.line);
    ctx.device.dirty = true;
    return handler ? handler(ctx) : [];
  };
}

export class CliShell implements Shell {
  mode: CliMode;
  /** The sub-mode's object (an interface name). */
  sub: string | null = null;

  constructor(
    readonly device: CliDevice,
    readonly io: ShellIO,
    private readonly spec: CliShellSpec,
    privileged: boolean,
  ) {
    this.mode = privileged ? 'priv' : 'user';
  }

  prompt(): string {
    return this.spec.prompt(this.device, this.mode, this.sub);
  }

  interrupt(): boolean {
    if (this.mode === 'user' || this.mode === 'priv') return false;
    this.mode = 'priv';
    this.sub = null;
    return true;
  }

  run(line: string, lead: number): string[] {
    const promptLength = this.prompt().length;
    const words = tokenize(line, lead);
    if (words.length === 0) return [];
    const table = this.table();
    if (this.spec.logout.includes((words[0] as Word).text.toLowerCase()) && (this.mode === 'user' || this.mode === 'priv')) {
      this.io.close();
      return [];
    }
    try {
      const picked = pickCommand(words, Object.keys(table));
      if (!picked.ok) {
        const at = words[Math.min(picked.at, words.length - 1)] ?? null;
        throw new CliError(picked.kind, picked.kind === 'incomplete' ? null : at);
      }
      return (table[picked.spec] as Handler)({ args: picked.args, words, line, shell: this, device: this.device, io: this.io });
    } catch (e) {
      if (e instanceof CliError) return this.spec.errorLines(e, line, promptLength);
      throw e;
    }
  }

  private table(): Record<string, Handler> {
    switch (this.mode) {
      case 'user':
        return this.spec.user;
      case 'priv':
        return { ...this.spec.user, ...this.spec.priv };
      case 'config':
        return this.spec.config;
      case 'sub':
        return { ...this.spec.config, ...this.spec.sub };
    }
  }
}

export function newCliDevice(hostname: string, interfaces: Array<Partial<CliInterface> & { name: string }>, render: (d: CliDevice) => string): CliDevice {
  const device: CliDevice = {
    hostname,
    saves: 0,
    interfaces: new Map(),
    lines: [],
    bootedAt: Date.now() - ((3 * 7 + 2) * 24 * 3600 + 5 * 3600 + 17 * 60) * 1000,
    dirty: false,
    runningConfig: () => render(device),
  };
  for (const i of interfaces) {
    device.interfaces.set(i.name, { ip: null, description: '', shutdown: false, extra: [], ...i });
  }
  return device;
}

/**
 * Interface sub-mode commands most platforms share: description, ip address, shutdown and its negation, and any
 * other line kept as is.
 */
export function interfaceCommands(opts: { ipAddress?: 'mask' | 'prefix' } = {}): Record<string, Handler> {
  const iface = (ctx: CliContext): CliInterface => {
    const i = ctx.device.interfaces.get(ctx.shell.sub ?? '');
    if (!i) throw new CliError('invalid', ctx.words[0] ?? null);
    ctx.device.dirty = true;
    return i;
  };
  const ip = (ctx: CliContext, a: string, m: string | undefined): string[] => {
    const i = iface(ctx);
    if (opts.ipAddress === 'prefix') {
      const [addr, bits] = a.split('/');
      if (!addr || !bits || !/^\d+$/.test(bits)) throw new CliError('invalid', ctx.words[2] ?? null);
      i.ip = { address: addr, mask: bits };
    } else {
      if (!m || !/^\d+\.\d+\.\d+\.\d+$/.test(a)) throw new CliError('invalid', ctx.words[2] ?? null);
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(m)) throw new CliError('invalid', ctx.words[3] ?? null);
      i.ip = { address: a, mask: m };
    }
    return [];
  };
  return {
    'description <text...>': (ctx) => {
      iface(ctx).description = ctx.line.slice(ctx.line.indexOf(ctx.args[0] as string));
      return [];
    },
    ...(opts.ipAddress === 'prefix'
      ? { 'ip address <a>': (ctx: CliContext) => ip(ctx, ctx.args[0] as string, undefined) }
      : { 'ip address <a> <m>': (ctx: CliContext) => ip(ctx, ctx.args[0] as string, ctx.args[1]) }),
    shutdown: (ctx) => {
      iface(ctx).shutdown = true;
      return [];
    },
    'no shutdown': (ctx) => {
      iface(ctx).shutdown = false;
      return [];
    },
  };
}
