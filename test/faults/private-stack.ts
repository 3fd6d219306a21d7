/**
 * A private copy of the local stack (Temporal dev server, FerretDB, Kafka; or, with `engine: 'server'`, Temporal's
 * own server on PostgreSQL in place of the dev server) for the fault suite, which stops and
 * kills servers: its own SWITCHYARD_STATE directory and its own free ports, started and stopped with the project's
 * own scripts (scripts/stack/up.sh, down.sh). Only servers whose pid files live in that directory are ever
 * signalled, so the shared stack on the default ports (and other engineers' servers) is never touched.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type StackServer = 'temporal' | 'ferretdb' | 'kafka' | 'postgresql' | 'temporal-server';

/** `dev`: `temporal server start-dev`; `server`: Temporal's own server on PostgreSQL (up.sh --engine server). */
export type StackEngine = 'dev' | 'server';

/** The ports Temporal's own server takes besides its frontend's (lib.sh temporal_server_ports). */
export function temporalServerPorts(frontend: number): number[] {
  return [frontend + 1, frontend + 2, frontend + 6, frontend + 10, frontend - 300, frontend - 299, frontend - 298, frontend - 294];
}

export interface StackPorts {
  postgres: number;
  temporal: number;
  temporalUi: number;
  ferret: number;
  kafka: number;
  kafkaController: number;
}

export class StackScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackScriptError';
  }
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/**
 * A port nothing listens on right now, below the kernel's ephemeral range (32768 and up here): the servers of a
 * stack start side by side and the Temporal dev server binds ephemeral ports of its own, which could otherwise
 * take a port chosen for Kafka before Kafka binds it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!(await portTaken(port))) return port;
  }
}

async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

export interface PrivateStackOptions {
  /** Names the state directory: `<repo>/.stack-faults/<tag>` (git-ignored), removed by `destroy()`. */
  tag: string;
  /** Fixed ports; free ones are chosen otherwise. */
  ports?: Partial<StackPorts>;
  engine?: StackEngine;
  log?: (line: string) => void;
}

/** A frontend port whose derived ports (Temporal's own server binds nine) are free too. */
async function freeTemporalServerPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const p = await freePort();
    const all = [p, ...temporalServerPorts(p)];
    if (all.some((x) => taken.has(x))) continue;
    if ((await Promise.all(all.map(portTaken))).some(Boolean)) continue;
    return p;
  }
}

export class PrivateStack {
  readonly stateDir: string;
  private constructor(
    readonly ports: StackPorts,
    readonly tag: string,
    private readonly log: (line: string) => void,
    readonly engine: StackEngine,
  ) {
    this.stateDir = join(REPO_ROOT, '.stack-faults', tag);
  }

  static async create(opts: PrivateStackOptions): Promise<PrivateStack> {
    const [a, b, c, d, e, f] = await freePorts(6);
    const engine = opts.engine ?? 'dev';
    const temporal = opts.ports?.temporal ?? (engine === 'server' ? await freeTemporalServerPort(new Set([b!, c!, d!, e!, f!])) : a!);
    const ports: StackPorts = {
      postgres: opts.ports?.postgres ?? f!,
      temporal,
      temporalUi: opts.ports?.temporalUi ?? b!,
      ferret: opts.ports?.ferret ?? c!,
      kafka: opts.ports?.kafka ?? d!,
      kafkaController: opts.ports?.kafkaController ?? e!,
    };
    return new PrivateStack(ports, opts.tag, opts.log ?? (() => undefined), engine);
  }

  /** The servers this stack runs, in start order. */
  get servers(): StackServer[] {
    return this.engine === 'server' ? ['postgresql', 'temporal-server', 'ferretdb', 'kafka'] : ['temporal', 'ferretdb', 'kafka'];
  }

  /** What the stack scripts read: this stack's state directory and ports (and nothing of the caller's stack). */
  private scriptEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...(process.env.SWITCHYARD_CACHE ? { SWITCHYARD_CACHE: process.env.SWITCHYARD_CACHE } : {}),
      SWITCHYARD_STATE: this.stateDir,
      TEMPORAL_PORT: String(this.ports.temporal),
      TEMPORAL_UI_PORT: String(this.ports.temporalUi),
      FERRET_PORT: String(this.ports.ferret),
      KAFKA_PORT: String(this.ports.kafka),
      KAFKA_CONTROLLER_PORT: String(this.ports.kafkaController),
      POSTGRES_PORT: String(this.ports.postgres),
      SWITCHYARD_ENGINE: this.engine,
      STACK_WAIT_SECONDS: '120',
    };
  }

  /** Environment of a Switchyard process that uses this stack. */
  serviceEnv(): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: `127.0.0.1:${this.ports.temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${this.ports.temporalUi}`,
      MONGO_URL: `mongodb://127.0.0.1:${this.ports.ferret}`,
      KAFKA_BROKERS: `127.0.0.1:${this.ports.kafka}`,
    };
  }

  get brokers(): string {
    return `127.0.0.1:${this.ports.kafka}`;
  }

  private async script(name: 'up' | 'down', args: string[]): Promise<string> {
    try {
      const { stdout, stderr } = await execFileP('bash', [join(REPO_ROOT, 'scripts/stack', `${name}.sh`), ...args], {
        cwd: REPO_ROOT,
        env: this.scriptEnv(),
        timeout: 240_000,
        maxBuffer: 8 * 1024 * 1024,
      });
      return `${stdout}${stderr}`;
    } catch (e) {
      const err = e as Error & { stdout?: string; stderr?: string };
      throw new StackScriptError(`scripts/stack/${name}.sh ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
  }

  /** Brings every server up (or only `only`). */
  async up(only?: StackServer[]): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    // Who owns this directory: reapLeftovers() leaves it alone while this process lives.
    await writeFile(join(this.stateDir, 'harness.pid'), `${process.pid}\n`);
    const out = await this.script('up', only ? ['--only', only.join(',')] : ['--no-tools']);
    for (const line of out.split('\n')) if (/ready at|stack up|registered/.test(line)) this.log(line.trim());
  }

  /**
   * The pid of a server this stack started, from its own pid file, and only while that pid still runs that
   * server (the same check as lib.sh's read_pid), so a recycled pid is never signalled.
   */
  pidOf(server: StackServer): number | null {
    const file = join(this.stateDir, 'pids', `${server}.pid`);
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const signature = { temporal: 'start-dev', ferretdb: 'ferretdb', kafka: 'kafka.Kafka', postgresql: 'postgres', 'temporal-server': 'temporal-server' }[server];
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // Temporal's own server names no path of the state directory on its command line; up.sh gives it in its
      // environment (SWITCHYARD_STATE).
      if (server === 'temporal-server') cmdline += readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      return null;
    }
    return cmdline.includes(signature) && cmdline.includes(this.stateDir) ? pid : null;
  }

  private async waitGone(pid: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        return true;
      }
      // A zombie (exited, not yet reaped by its reparented parent) counts as gone.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (!stat || /\) Z /.test(stat)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  private async waitPortFree(port: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!(await portTaken(port)) || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Stops one server: SIGTERM to its process group (up.sh starts each in its own session), SIGKILL after 15 s,
   * then waits until its port is free so it can start again at once. `kill: true` sends SIGKILL straight away.
   */
  async stop(server: StackServer, opts: { kill?: boolean } = {}): Promise<void> {
    const pid = this.pidOf(server);
    if (!pid) throw new StackScriptError(`${server} of stack ${this.tag} has no pid file: it was not started by this stack`);
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          process.kill(pid, sig);
        } catch {
          // already gone
        }
      }
    };
    // PostgreSQL's SIGTERM waits for its clients to leave; SIGINT is its fast (and clean) shutdown.
    signal(opts.kill ? 'SIGKILL' : server === 'postgresql' ? 'SIGINT' : 'SIGTERM');
    if (!(await this.waitGone(pid, 15_000))) {
      signal('SIGKILL');
      await this.waitGone(pid, 5000);
    }
    const port = { temporal: this.ports.temporal, 'temporal-server': this.ports.temporal, postgresql: this.ports.postgres, ferretdb: this.ports.ferret, kafka: this.ports.kafka }[server];
    await this.waitPortFree(port, 15_000);
    if (server === 'kafka') await this.waitPortFree(this.ports.kafkaController, 5000);
    if (server === 'temporal') await this.waitPortFree(this.ports.temporalUi, 5000);
    if (server === 'temporal-server') for (const p of temporalServerPorts(this.ports.temporal)) await this.waitPortFree(p, 5000);
  }

  /** Starts a server that `stop` stopped, on the same port and data. */
  async start(server: StackServer): Promise<void> {
    await this.up([server]);
  }

  /** Stops every server of this stack and keeps its state directory (logs and data, for a post-mortem). */
  async stopAll(): Promise<void> {
    await this.script('down', ['--all']);
  }

  /** Stops every server of this stack (down.sh with its state directory) and removes the directory. */
  async destroy(): Promise<void> {
    try {
      await this.stopAll();
    } finally {
      // Anything down.sh could not stop is killed by its own pid file before the data goes.
      for (const s of ['temporal', 'temporal-server', 'postgresql', 'ferretdb', 'kafka'] as const) {
        const pid = this.pidOf(s);
        if (!pid) continue;
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await rm(this.stateDir, { recursive: true, force: true });
    }
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Cleans up after a fault run that was itself killed: for each private state directory whose harness process
 * is gone, SIGKILLs the processes that belong to it (servers name the directory on their command line; api and
 * worker processes carry it in their environment) and removes it. Directories of a live harness are left alone.
 */
export async function reapLeftovers(log: (line: string) => void = () => undefined): Promise<void> {
  const root = join(REPO_ROOT, '.stack-faults');
  if (!existsSync(root)) return;
  const dirs = readdirSync(root).map((d) => join(root, d));
  const stale = dirs.filter((dir) => {
    const owner = Number(readText(join(dir, 'harness.pid')).trim());
    return !(owner > 0 && alive(owner) && readText(`/proc/${owner}/cmdline`).includes('node'));
  });
  if (stale.length === 0) return;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const seen = readText(`/proc/${pid}/cmdline`) + readText(`/proc/${pid}/environ`);
    const dir = stale.find((d) => seen.includes(d));
    if (!dir) continue;
    log(`reaping pid ${pid} left over from ${dir}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  for (const dir of stale) await rm(dir, { recursive: true, force: true });
}
