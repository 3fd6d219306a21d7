import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging.js';

/**
 * A dependency did not become usable before the boot deadline. Its message is the one line `switchyard api|worker`
 * prints before it exits (no stack trace: the per-attempt log lines already say what happened).
 */
export class BootDeadlineError extends Error {
  constructor(
    readonly dependency: string,
    readonly attempts: number,
    readonly seconds: number,
    readonly lastError: string,
  ) {
    super(`${dependency} not ready within the boot deadline of ${seconds} s (${attempts} attempt${attempts === 1 ? '' : 's'}): ${lastError}`);
    this.name = 'BootDeadlineError';
  }
}

/** Boot was stopped from outside (another dependency missed the deadline, or the process is shutting down). */
export class BootAbortedError extends Error {
  constructor(dependency: string) {
    super(`${dependency}: boot aborted`);
    this.name = 'BootAbortedError';
  }
}

/** Any error as one short line: no stack, no line breaks (a driver's message may span several). */
export function oneLine(e: unknown, max = 300): string {
  const text = e instanceof Error ? `${e.message || e.name}` : String(e);
  const flat = text.replace(/\s+/g, ' ').trim() || 'unknown error';
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** One deadline shared by every dependency of a process's boot. */
export class BootDeadline {
  readonly startedAt = Date.now();
  readonly at: number;

  constructor(readonly seconds: number) {
    this.at = this.startedAt + seconds * 1000;
  }

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }
}

export interface WaitOptions {
  deadline: BootDeadline;
  logger: Logger;
  /** Aborts the wait between attempts (a sibling dependency failed, or the process stops). */
  signal?: AbortSignal;
  /** First pause between attempts; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/**
 * The pause before attempt `attempt + 1`: exponential, capped, with ±20 % jitter so several processes started
 * together do not knock on a returning server in step.
 */
export function backoffMs(attempt: number, initialMs = INITIAL_DELAY_MS, maxMs = MAX_DELAY_MS, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** `work`, or a rejection with `message` after `ms` (the work itself goes on; its result is the caller's to drop). */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `attempt` until it resolves, pausing with backoff between failures, and logs one line per failed attempt
 * (dependency, attempt number, next try, the error in one line). Past the deadline it throws BootDeadlineError
 * with the last error. An attempt bounds its own time (driver timeouts); one still running at the deadline is
 * abandoned, and whatever it yields later goes to `dispose`.
 */
export async function waitFor<T>(dependency: string, attempt: () => Promise<T>, opts: WaitOptions & { dispose?: (value: T) => Promise<unknown> | unknown }): Promise<T> {
  const { deadline, logger, signal } = opts;
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw new BootAbortedError(dependency);
    let error: unknown;
    const pending = attempt();
    try {
      const value = await withTimeout(pending, Math.max(1, deadline.remainingMs()), `${dependency}: no answer before the boot deadline`);
      if (n > 1) logger.info({ dependency, attempt: n }, `${dependency} ready after ${n} attempts`);
      else logger.info({ dependency }, `${dependency} ready`);
      return value;
    } catch (e) {
      error = e;
      // The attempt lost the race against the deadline but may still succeed: release what it brings.
      pending.then((v) => opts.dispose?.(v), () => undefined).catch(() => undefined);
    }
    const err = oneLine(error);
    const delay = backoffMs(n, opts.initialDelayMs, opts.maxDelayMs);
    if (Date.now() + delay >= deadline.at) {
      logger.error({ dependency, attempt: n, next_try_s: null, err }, `${dependency} not ready: attempt ${n} failed, boot deadline reached: ${err}`);
      throw new BootDeadlineError(dependency, n, deadline.seconds, err);
    }
    const next = Math.round(delay / 100) / 10;
    logger.warn({ dependency, attempt: n, next_try_s: next, err }, `${dependency} not ready: attempt ${n} failed, next try in ${next} s: ${err}`);
    try {
      await sleep(delay, undefined, signal ? { signal } : undefined);
    } catch {
      throw new BootAbortedError(dependency);
    }
  }
}
