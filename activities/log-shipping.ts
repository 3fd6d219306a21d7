import { logSeq, type ExecutionLogStore, type LogStream } from '../src/store/execution-logs.js';
import type { Logger } from '../src/logging.js';

/**
 * Ships what a command writes to one of its streams into MongoDB (`execution_logs`), where every API process reads
 * and follows it: the worker's disk is its own. Bytes are gathered and written as one piece every `flushMs`; a
 * failed write is tried again at the next flush (writes are idempotent by `seq`), so a MongoDB hiccup delays the
 * log rather than losing it. Memory stays bounded: the caller passes at most `maxLogBytes` per stream and run.
 */
export class LogShipper {
  private pending: Buffer[] = [];
  private unsent: Array<{ seq: number; data: Buffer }> = [];
  private n = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ExecutionLogStore,
    private readonly executionId: string,
    private readonly stream: LogStream,
    private readonly order: { attempt: number; activityAttempt: number },
    private readonly logger: Logger,
    private readonly flushMs = 250,
  ) {}

  write(chunk: Buffer): void {
    this.pending.push(chunk);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushMs);
  }

  /** Writes what is gathered (one flush at a time, in order). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.length > 0) {
        this.unsent.push({ seq: logSeq(this.order.attempt, this.order.activityAttempt, this.n++), data: Buffer.concat(this.pending) });
        this.pending = [];
      }
      if (this.unsent.length === 0) return;
      const batch = this.unsent;
      try {
        await this.store.append(batch.map((c) => ({ execution_id: this.executionId, stream: this.stream, ...c })));
        this.unsent = this.unsent.filter((c) => !batch.includes(c));
      } catch (e) {
        this.logger.warn({ executionId: this.executionId, stream: this.stream, err: (e as Error).message }, 'log piece not shipped yet; retried at the next flush');
      }
    });
    return this.flushing;
  }

  /** The last flush; retried a few times so the execution's end finds its whole log in MongoDB. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (let i = 0; i < 5; i++) {
      await this.flush();
      if (this.unsent.length === 0) return;
      await new Promise((r) => setTimeout(r, 200 * (i + 1)));
    }
    this.logger.error({ executionId: this.executionId, stream: this.stream, pieces: this.unsent.length }, 'log pieces not shipped: MongoDB did not take them');
  }
}
