import type { Collection, Db } from 'mongodb';

export const WORKERS_COLLECTION = 'workers';

/** How long finished jobs are counted in memory before one write adds them to the worker's record. */
export const JOB_COUNT_FLUSH_MS = 1000;

/** A worker process as GET /worker shows it; written by the worker's own heartbeat. */
export interface WorkerRecord {
  name: string;
  pid: number;
  hostname: string;
  /** Dialect queue words this worker serves (`FifoQ`, `pinned_<host>`, …). */
  queues: string[];
  /** Temporal task queues it polls. */
  task_queues: string[];
  birth_at: Date;
  last_heartbeat: Date;
  /** Activities running right now (busy when > 0). */
  running: number;
  successful_job_count: number;
  failed_job_count: number;
  /** Set by DELETE /worker; the worker sees it at its next heartbeat and shuts down. */
  stop_requested: boolean;
  /** Set by the worker itself when it has shut down cleanly. */
  stopped_at: Date | null;
  suspended: boolean;
}

export type WorkerLiveness = 'busy' | 'idle' | 'suspended' | 'dead';

export function workerLiveness(w: WorkerRecord, now: Date, deadAfterSeconds: number): WorkerLiveness {
  if (w.stopped_at || now.getTime() - w.last_heartbeat.getTime() > deadAfterSeconds * 1000) return 'dead';
  if (w.suspended || w.stop_requested) return 'suspended';
  return w.running > 0 ? 'busy' : 'idle';
}

export class WorkerStore {
  readonly collection: Collection<WorkerRecord>;

  /** `countFlushMs`: how long finished jobs are counted in memory before one write (tests shorten or lengthen it). */
  constructor(
    db: Db,
    private readonly countFlushMs = JOB_COUNT_FLUSH_MS,
  ) {
    this.collection = db.collection<WorkerRecord>(WORKERS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
    await this.collection.createIndex({ last_heartbeat: -1 }, { name: 'last_heartbeat' });
  }

  async register(w: Pick<WorkerRecord, 'name' | 'pid' | 'hostname' | 'queues' | 'task_queues'>, now = new Date()): Promise<void> {
    await this.collection.updateOne(
      { name: w.name },
      {
        $set: { ...w, birth_at: now, last_heartbeat: now, running: 0, stop_requested: false, stopped_at: null, suspended: false },
        $setOnInsert: { successful_job_count: 0, failed_job_count: 0 },
      },
      { upsert: true },
    );
  }

  /** Records a heartbeat and answers whether the worker was asked to stop. */
  async heartbeat(name: string, fields: { running: number; queues?: string[]; task_queues?: string[] }, now = new Date()): Promise<{ stopRequested: boolean }> {
    const doc = await this.collection.findOneAndUpdate(
      { name },
      { $set: { ...fields, last_heartbeat: now } },
      // No projection: FerretDB 1.24 does not implement findAndModify's `fields`.
      { returnDocument: 'after' },
    );
    return { stopRequested: Boolean(doc?.stop_requested) };
  }

  /** Counts not yet written, per worker name (see `countJob`). */
  private unwritten = new Map<string, { ok: number; failed: number }>();
  private flushTimer: NodeJS.Timeout | null = null;

  /**
   * Counts a finished job. The counts of one second go in one `$inc` (a busy worker finishes tens of pinned jobs a
   * second, and one write per job was a tenth of the database work a job costs); `flushJobCounts` writes at once.
   * A counter, so a worker killed mid-second loses at most that second's counts.
   */
  countJob(name: string, succeeded: boolean): void {
    const c = this.unwritten.get(name) ?? { ok: 0, failed: 0 };
    if (succeeded) c.ok++;
    else c.failed++;
    this.unwritten.set(name, c);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushJobCounts().catch(() => undefined), this.countFlushMs);
      this.flushTimer.unref?.();
    }
  }

  async flushJobCounts(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const counts = [...this.unwritten];
    this.unwritten.clear();
    await Promise.all(counts.map(([name, c]) => this.collection.updateOne({ name }, { $inc: { successful_job_count: c.ok, failed_job_count: c.failed } })));
  }

  async markStopped(name: string, now = new Date()): Promise<void> {
    await this.collection.updateOne({ name }, { $set: { stopped_at: now, running: 0 } });
  }

  async requestStop(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.collection.updateMany({ name: { $in: names } }, { $set: { stop_requested: true } });
  }

  async list(): Promise<WorkerRecord[]> {
    return this.collection.find({}, { projection: { _id: 0 } }).sort({ birth_at: 1 }).toArray();
  }

  /** The names of the workers that beat within `deadAfterSeconds` and have not stopped. */
  async liveNames(now: Date, deadAfterSeconds: number): Promise<string[]> {
    const rows = await this.collection
      .find({ stopped_at: null, last_heartbeat: { $gte: new Date(now.getTime() - deadAfterSeconds * 1000) } }, { projection: { _id: 0, name: 1 } })
      .toArray();
    return rows.map((r) => r.name).sort();
  }

  async countLive(now: Date, deadAfterSeconds: number): Promise<number> {
    return this.collection.countDocuments({
      stopped_at: null,
      last_heartbeat: { $gte: new Date(now.getTime() - deadAfterSeconds * 1000) },
    });
  }
}
