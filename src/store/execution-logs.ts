import { Binary, type Collection, type Db } from 'mongodb';

export const EXECUTION_LOGS_COLLECTION = 'execution_logs';

export type LogStream = 'output' | 'error';

/**
 * One piece of a scheduled execution's output or error stream, as the worker that ran it shipped it. The worker's
 * disk is its own (another host, a container): MongoDB is where every API process reads and follows the logs.
 *
 * `seq` orders the pieces of one stream across the execution's attempts and the activity's retries (a retry may
 * run on another worker): `logSeq(attempt, activityAttempt, n)`.
 */
export interface ExecutionLogChunk {
  execution_id: string;
  stream: LogStream;
  seq: number;
  /** Raw bytes: a piece may end inside a UTF-8 character; readers decode the concatenation. */
  data: Binary;
  at: Date;
}

const N_SPAN = 10_000_000;
const TRY_SPAN = 100;

/**
 * The order key of the `n`th piece (from 0) a run writes: workflow attempt, then activity attempt (capped at 99),
 * then `n` (below 10^7: a flush every 250 ms gives 29 days). Stays below 2^53 up to attempt 9,000.
 */
export function logSeq(attempt: number, activityAttempt: number, n: number): number {
  return (attempt * TRY_SPAN + Math.min(activityAttempt, TRY_SPAN - 1)) * N_SPAN + Math.min(n, N_SPAN - 1);
}

export class ExecutionLogStore {
  readonly collection: Collection<ExecutionLogChunk>;

  constructor(db: Db) {
    this.collection = db.collection<ExecutionLogChunk>(EXECUTION_LOGS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ execution_id: 1, stream: 1, seq: 1 }, { unique: true, name: 'execution_stream_seq' });
  }

  /** Writes pieces; one already written (a repeated flush after a lost answer) is not written twice. */
  async append(chunks: Array<{ execution_id: string; stream: LogStream; seq: number; data: Buffer }>): Promise<void> {
    if (chunks.length === 0) return;
    const at = new Date();
    await this.collection.bulkWrite(
      chunks.map((c) => ({
        updateOne: {
          filter: { execution_id: c.execution_id, stream: c.stream, seq: c.seq },
          update: { $setOnInsert: { execution_id: c.execution_id, stream: c.stream, seq: c.seq, data: new Binary(c.data), at } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }

  /** The pieces of a stream after `afterSeq`, in order (at most `limit`). */
  async after(executionId: string, stream: LogStream, afterSeq: number, limit = 1000): Promise<Array<{ seq: number; data: Buffer; at: Date }>> {
    const rows = await this.collection
      .find({ execution_id: executionId, stream, seq: { $gt: afterSeq } }, { projection: { _id: 0, seq: 1, data: 1, at: 1 }, sort: { seq: 1 }, limit })
      .toArray();
    return rows.map((r) => ({ seq: r.seq, data: Buffer.from(r.data.buffer), at: r.at }));
  }

  /** The whole stream as the worker wrote it, and when its last piece arrived. */
  async read(executionId: string, stream: LogStream): Promise<{ data: Buffer; modified: Date | null }> {
    const parts: Buffer[] = [];
    let modified: Date | null = null;
    let seq = -1;
    for (;;) {
      const rows = await this.after(executionId, stream, seq);
      for (const r of rows) {
        parts.push(r.data);
        modified = r.at;
        seq = r.seq;
      }
      if (rows.length < 1000) break;
    }
    return { data: Buffer.concat(parts), modified };
  }

  /** The last piece of a stream (a running execution's latest line). */
  async last(executionId: string, stream: LogStream): Promise<Buffer | null> {
    const row = await this.collection.findOne({ execution_id: executionId, stream }, { projection: { _id: 0, data: 1 }, sort: { seq: -1 } });
    return row ? Buffer.from(row.data.buffer) : null;
  }
}
