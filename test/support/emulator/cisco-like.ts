/**
 * Pieces the Cisco-shaped platforms (Ruijie, ZTE, Dell OS10, ASA, ProCurve) share in the emulator: the enable
 * dialogue, global configuration commands (hostname, interface, exit, end, lines kept as typed), and error text
 * with a caret under the failing word. Each platform passes its own words and texts.
 */
import { acceptAll, CliError, type CliContext, type CliShellSpec, type Handler } from './cli-shell.js';

/** `host>`, `host#`, `host(config)#` and the sub-mode's `host(<sub>)#` (`sub` names the sub-mode's prompt part). */
export function ciscoPrompt(subPart: (sub: string) => string): CliShellSpec['prompt'] {
  return (d, mode, sub) => {
    if (mode === 'user') return `${d.hostname}>`;
    if (mode === 'priv') return `${d.hostname}#`;
    return mode === 'config' ? `${d.hostname}(config)#` : `${d.hostname}(${subPart(sub ?? '')})#`;
  };
}

/** `enable`: a password prompt (three tries), or a user name and then a password (ProCurve). */
export function enableHandler(opts: { askUsername?: boolean; refused: string[] } = { refused: ['% Access denied', ''] }): Handler {
  return (ctx) => {
    if (ctx.shell.mode === 'priv') return [];
    const askPassword = (attempt: number): void => {
      ctx.io.askHidden('Password: ', (secret) => {
        if (secret === ctx.io.enableSecret) {
          ctx.shell.mode = 'priv';
          return [];
        }
        if (attempt < 3 && !opts.askUsername) {
          askPassword(attempt + 1);
          return [];
        }
        return opts.refused;
      });
    };
    if (opts.askUsername) ctx.io.ask('Username: ', () => (askPassword(1), []));
    else askPassword(1);
    return [];
  };
}

/** Error lines with a caret under the failing word (IOS style), in the platform's words. */
export function caretErrors(texts: { invalid: string; incomplete: string[]; ambiguous: (line: string) => string[] }): CliShellSpec['errorLines'] {
  return (err, line, promptLength) => {
    if (err.kind === 'custom') return err.lines;
    if (err.kind === 'incomplete') return texts.incomplete;
    if (err.kind === 'ambiguous') return texts.ambiguous(line);
    return [' '.repeat(promptLength + (err.at?.offset ?? 0)) + '^', texts.invalid, ''];
  };
}

export interface GlobalConfigOptions {
  /** The interface name a typed name stands for, or null when it names none. */
  interfaceName(typed: string): string | null;
  /** Whether `interface X` may create X (loopbacks, VLAN interfaces). */
  creatable?(name: string): boolean;
  /** First words of global lines kept as typed. */
  accepted: string[];
}

export function globalConfig(opts: GlobalConfigOptions): Record<string, Handler> {
  const table: Record<string, Handler> = {
    'hostname <name>': (ctx) => {
      const name = ctx.args[0] as string;
      if (!/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(name)) throw new CliError('invalid', ctx.words[1] ?? null);
      ctx.device.hostname = name;
      ctx.device.dirty = true;
      return [];
    },
    'interface <name...>': (ctx) => {
      const typed = ctx.args.join(' ');
      const name = opts.interfaceName(typed);
      if (!name) throw new CliError('invalid', ctx.words[1] ?? null);
      if (!ctx.device.interfaces.has(name)) {
        if (!opts.creatable?.(name)) throw new CliError('invalid', ctx.words[1] ?? null);
        ctx.device.interfaces.set(name, { name, ip: null, description: '', shutdown: false, extra: [] });
        ctx.device.dirty = true;
      }
      ctx.shell.mode = 'sub';
      ctx.shell.sub = name;
      return [];
    },
    exit: (ctx: CliContext) => {
      if (ctx.shell.mode === 'sub') ctx.shell.mode = 'config';
      else ctx.shell.mode = 'priv';
      ctx.shell.sub = null;
      return [];
    },
    end: (ctx: CliContext) => {
      ctx.shell.mode = 'priv';
      ctx.shell.sub = null;
      return [];
    },
  };
  for (const word of opts.accepted) table[`${word} <args...>`] = acceptAll();
  return table;
}

/** The first-letters-and-number form of an interface name (`gi0/1`, `GigabitEthernet 0/1`) resolved against `kinds`. */
export function interfaceResolver(kinds: string[], format: (kind: string, num: string) => string): (typed: string) => string | null {
  return (typed) => {
    const m = /^([A-Za-z-]+)\s*(\d+(?:[/:]\d+)*)$/.exec(typed.trim());
    if (!m) return null;
    const [, kind, num] = m as unknown as [string, string, string];
    const k = kinds.filter((x) => x.toLowerCase().startsWith(kind.toLowerCase()));
    if (k.length !== 1) return null;
    return format(k[0] as string, num);
  };
}
