import type { Logger } from '../logging.js';
import { oneLine, withTimeout } from './wait.js';

/** What a probe may say: the state and nothing else (no versions, hosts or errors). */
export type ReadyState = 'starting' | 'ready' | 'unavailable' | 'draining';

export interface ReadinessOptions {
  logger: Logger;
  /** How long one answer of the checks is reused: probes from several load balancers cost one round. */
  cacheMs?: number;
  /** Each check's bound: a hanging dependency is a failed one. */
  checkTimeoutMs?: number;
}

const CACHE_MS = 1000;
const CHECK_TIMEOUT_MS = 2000;

/**
 * A process's readiness: `starting` until it is whole, `draining` from the moment it is asked to stop (before it
 * stops taking work), and otherwise `ready` while every check passes (`unavailable` when one fails). Checks run
 * only when asked, at most once per `cacheMs`, side by side and each bounded. Why a check failed goes to the log
 * (once per change), never into a probe's answer.
 */
export class Readiness {
  private phase: 'starting' | 'serving' | 'draining' = 'starting';
  private readonly checks = new Map<string, () => Promise<unknown>>();
  private last: { at: number; state: ReadyState } | null = null;
  private inFlight: Promise<ReadyState> | null = null;
  private lastLogged: string | null = null;

  constructor(private readonly opts: ReadinessOptions) {}

  /** A dependency the process needs while it serves; resolves when usable, throws otherwise. */
  addCheck(name: string, check: () => Promise<unknown>): this {
    this.checks.set(name, check);
    return this;
  }

  /** Boot is over: everything the process relies on is in place. */
  serving(): void {
    if (this.phase === 'starting') this.phase = 'serving';
    this.last = null;
  }

  /** The process is stopping: readiness is false from now on, whatever the checks say. */
  drain(): void {
    this.phase = 'draining';
  }

  get draining(): boolean {
    return this.phase === 'draining';
  }

  async state(): Promise<ReadyState> {
    if (this.phase === 'starting') return 'starting';
    if (this.phase === 'draining') return 'draining';
    const cacheMs = this.opts.cacheMs ?? CACHE_MS;
    if (this.last && Date.now() - this.last.at < cacheMs) return this.last.state;
    this.inFlight ??= this.runChecks().finally(() => {
      this.inFlight = null;
    });
    const state = await this.inFlight;
    // A drain that began while the checks ran wins.
    return this.draining ? 'draining' : state;
  }

  private async runChecks(): Promise<ReadyState> {
    const timeout = this.opts.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
    const results = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeout, `no answer within ${timeout} ms`);
          return null;
        } catch (e) {
          return `${name}: ${oneLine(e, 200)}`;
        }
      }),
    );
    const failed = results.filter((r): r is string => r !== null);
    const state: ReadyState = failed.length === 0 ? 'ready' : 'unavailable';
    this.last = { at: Date.now(), state };
    const summary = failed.join('; ');
    if (summary !== (this.lastLogged ?? '')) {
      if (failed.length > 0) this.opts.logger.warn({ failed }, `not ready: ${summary}`);
      else this.opts.logger.info('ready again: every dependency answers');
      this.lastLogged = summary;
    }
    return state;
  }
}
