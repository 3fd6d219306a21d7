import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A real `switchyard <command>` child process (`node --import tsx src/cli.ts`) with an explicit environment (only
 * PATH and HOME inherited), keeping what it writes: its JSON log lines on stdout, its plain lines on stderr.
 */
export class CliProcess {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private partial = { stdout: '', stderr: '' };

  constructor(command: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli.ts'), command], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      this.child[stream]!.on('data', (d: Buffer) => {
        const text = this.partial[stream] + d.toString();
        const parts = text.split('\n');
        this.partial[stream] = parts.pop()!;
        this[stream].push(...parts);
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** stdout lines that are JSON log records. */
  logs(): Record<string, unknown>[] {
    return this.stdout.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until a log record matches (or the process exits, or the time is up). */
  async waitForLog(match: (r: Record<string, unknown>) => boolean, what: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs().find(match);
      if (hit) return hit;
      if (!this.running) throw new Error(`${what}: the process exited first\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  tail(n = 30): string {
    return [...this.stdout.slice(-n), ...this.stderr.slice(-n)].join('\n');
  }

  /** SIGKILL if it still runs (test clean-up). */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** What `runCli` saw: the exit code and everything written. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/switchyard.js <args>` to its end as a user would, with only PATH and HOME inherited plus `env`; a run
 * past `timeoutMs` is killed and fails with what it wrote.
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/switchyard.js'), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchyard ${args.join(' ')} did not end in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
