/**
 * `switchyard dev` (what `npm start` runs): the API and a worker as two processes, as production runs them, so the
 * API never shares an event loop with the work a request brings (parsing, rendering, SSH). One Ctrl-C or SIGTERM
 * stops both, then the local stack this command started.
 *
 * The children run in process groups of their own: a terminal's Ctrl-C reaches only this process, which passes one
 * SIGTERM to each child (a child's own second signal means "exit now", so they must not get the terminal's too).
 * A child that dies on its own takes the other down with it: a half-running `npm start` would hide the failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logging.js';

export interface DevOptions {
  logger: Logger;
  /** The CLI entry (bin/switchyard.js, or dist/src/cli.js) and the node options this process runs with. */
  entry: string;
  execArgv: string[];
  /** Printed once the API answers. */
  banner: () => string;
  apiUrl: string;
  /** Stops the local stack this command started (scripts/stack/down.sh). */
  stackDown: () => void;
}

interface Child {
  role: 'api' | 'worker';
  proc: ChildProcess;
  exited: Promise<number>;
}

/** Set in the children's environment: the pid of the `dev` process they belong to. */
export const DEV_PARENT_ENV = 'SWITCHYARD_DEV_PARENT';

/**
 * In a child of `dev`: calls `stop` once when the `dev` process is gone without having stopped it (SIGKILLed, or
 * crashed), so that nothing it started outlives it. Checked every second (no parent-death signal in Node).
 */
export function stopWithDevParent(stop: () => void): void {
  const parent = Number(process.env[DEV_PARENT_ENV]);
  if (!Number.isInteger(parent) || parent <= 0) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, 1000);
  timer.unref();
}

function startChild(role: Child['role'], opts: DevOptions): Child {
  const env = { ...process.env, [DEV_PARENT_ENV]: String(process.pid) };
  const proc = spawn(process.execPath, [...opts.execArgv, opts.entry, role], { stdio: 'inherit', env, detached: true });
  const exited = new Promise<number>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { role, proc, exited };
}

const alive = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

/** Runs until a signal or a child's exit; resolves with the exit code for this process. */
export async function runDev(opts: DevOptions): Promise<number> {
  const { logger } = opts;
  const children = [startChild('worker', opts), startChild('api', opts)];
  logger.info({ worker: children[0]!.proc.pid, api: children[1]!.proc.pid }, 'dev: api and worker started as separate processes');

  // Set from the signal handler as well: an object, so that the reads below are not narrowed to their last write.
  const state: { stopping: 'signal' | 'child' | null } = { stopping: null };
  let signals = 0;
  const stopChildren = (sig: NodeJS.Signals) => {
    for (const c of children) if (alive(c)) c.proc.kill(sig);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      state.stopping ??= 'signal';
      logger.info({ signal }, 'dev: stopping the api and the worker');
      stopChildren('SIGTERM');
    } else if (signals === 2) {
      logger.warn({ signal }, 'dev: second signal: killing the api and the worker now');
      stopChildren('SIGKILL');
    } else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A parent that goes away without a signal (its terminal closed) takes the children along.
  process.once('exit', () => stopChildren('SIGKILL'));

  void waitForApi(opts.apiUrl, () => children.every(alive)).then((up) => {
    if (up && !state.stopping) process.stdout.write(opts.banner());
  });

  const first = await Promise.race(children.map((c) => c.exited.then((code) => ({ c, code }))));
  if (!state.stopping) {
    state.stopping = 'child';
    logger.error({ process: first.c.role, code: first.code }, 'dev: a process exited on its own; stopping the other');
    stopChildren('SIGTERM');
  }
  await Promise.all(children.map((c) => c.exited));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  opts.stackDown();
  return state.stopping === 'signal' ? 0 : 1;
}

async function waitForApi(url: string, stillUp: () => boolean): Promise<boolean> {
  while (stillUp()) {
    try {
      const res = await fetch(`${url}/livez`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
