/**
 * Real Switchyard processes for the fault suite: `switchyard api` and `switchyard worker` started as child
 * processes (`node --import tsx src/cli.ts …`) with an environment built explicitly from the scenario's
 * settings, their output kept in a log file, and SIGKILL / SIGTERM sent only to the pids started here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './private-stack.js';

export type ProcessKind = 'api' | 'worker';

export class ServiceProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceProcessError';
  }
}

export interface ServiceProcessOptions {
  kind: ProcessKind;
  name: string;
  /** The whole environment of the child besides PATH and HOME: nothing is inherited from this process. */
  env: Record<string, string>;
  logFile: string;
  /** For an api: the URL whose answer means "up"; for a worker: its probe port (/livez, /readyz, /metrics). */
  url?: string;
  /** A script to run instead of `src/cli.ts <kind>` (a worker of other workflow code: faults/worker-v2.ts). */
  entry?: string;
  /**
   * A command the process is started under (its last argument is followed by node's own): `privateMounts()`
   * gives a worker a filesystem view of its own, as another host or a container has.
   */
  wrap?: string[];
}

/**
 * A private mount namespace (`unshare -m`) with an empty tmpfs over each of `dirs`: what the process writes there
 * nobody else sees, and it sees nothing another process wrote there (the same paths on another host). `unshare`
 * and `sh` exec, so the child's pid is node's own and signals reach it directly. Needs root (or CAP_SYS_ADMIN).
 */
export function privateMounts(dirs: string[]): string[] {
  const script = 'set -e; n=$1; shift; i=0; while [ "$i" -lt "$n" ]; do mkdir -p "$1"; mount -t tmpfs -o mode=1777,size=512m switchyard-private "$1"; shift; i=$((i+1)); done; exec "$@"';
  return ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', String(dirs.length), ...dirs];
}

/** One api or worker child process; `restart()` starts a new one under the same name and settings. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Pids of every run of this process (for the report). */
  readonly pids: number[] = [];

  constructor(readonly opts: ServiceProcessOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 120_000): Promise<void> {
    if (this.running) throw new ServiceProcessError(`${this.name} is already running`);
    await mkdir(dirname(this.opts.logFile), { recursive: true });
    this.log = createWriteStream(this.opts.logFile, { flags: 'a' });
    this.log.write(`=== ${this.opts.kind} ${this.name} starting at ${new Date().toISOString()} ===\n`);
    // A worker of a poison-pill scenario loads the test's hook (test/support/poison-hook.mjs) before it starts.
    const hook = this.opts.kind === 'worker' && this.opts.env.SY_TEST_POISON_MARKER ? ['--import', join(REPO_ROOT, 'test/support/poison-hook.mjs')] : [];
    const args = this.opts.entry ? [this.opts.entry] : [join(REPO_ROOT, 'src/cli.ts'), this.opts.kind];
    const argv = [...(this.opts.wrap ?? []), process.execPath, '--import', 'tsx', ...hook, ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...this.opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    if (child.pid) this.pids.push(child.pid);
    const log = this.log;
    let output = '';
    const ready = this.opts.kind === 'worker' ? /"msg":"worker running"/ : /"msg":"API listening"/;
    const seen = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        log.write(d);
        if (output.length < 200_000) output += d.toString();
        if (ready.test(output)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => reject(new ServiceProcessError(`${this.name} exited before it was ready (${code ?? signal}); log: ${this.opts.logFile}\n${output.slice(-3000)}`)));
    });
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new ServiceProcessError(`${this.name} not ready after ${timeoutMs} ms; log: ${this.opts.logFile}\n${output.slice(-3000)}`)), timeoutMs);
    });
    try {
      await Promise.race([seen, timeout]);
    } catch (e) {
      this.kill();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no shutdown hook runs, as in a crash or an OOM kill. */
  kill(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  async killAndWait(): Promise<void> {
    this.kill();
    await this.exited;
  }

  /** SIGTERM and wait (a graceful stop); SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.killAndWait();
    await this.start();
  }

  closeLog(): void {
    this.log?.end();
    this.log = null;
  }
}
