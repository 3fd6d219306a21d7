import type { Collection, Db, Filter, Sort } from 'mongodb';
import { emptyTaskFields, type TaskRecord, type TaskUpdate } from '../domain/task.js';
import { isTerminal } from '../domain/status.js';
import { isDuplicateKeyError } from './errors.js';
import { fromStorable, fromStorableEach, toStorable, toStorableEach } from './free-form.js';
import { observeJobEnded } from './job-metrics.js';

export const TASKS_COLLECTION = 'tasks';
/** One document per task that needed a "who wins" decision (run or cancel); `_id` = task id. */
export const TASK_DECISIONS_COLLECTION = 'task_decisions';

export async function ensureTaskIndexes(db: Db): Promise<void> {
  const tasks = db.collection<TaskRecord>(TASKS_COLLECTION);
  // `_id` is the task id; this index serves MongoDB queries that name task_id.
  await tasks.createIndex({ task_id: 1 }, { unique: true, name: 'task_id_unique' });
  await tasks.createIndex({ create_time: -1 }, { name: 'create_time' });
  await tasks.createIndex({ kind: 1, create_time: -1 }, { name: 'kind_create_time' });
  await tasks.createIndex({ state: 1, create_time: -1 }, { name: 'state_create_time' });
  await tasks.createIndex({ queue: 1, create_time: -1 }, { name: 'queue_create_time' });
  await tasks.createIndex({ host: 1, create_time: -1 }, { name: 'host_create_time' });
  await tasks.createIndex({ owner: 1, create_time: -1 }, { name: 'owner_create_time' });
  // A waiting task's place in its queue (GPU priority order), and a queue's latest finished tasks (observed
  // durations, failure rates).
  await tasks.createIndex({ queue: 1, state: 1, priority: -1, create_time: 1 }, { name: 'queue_state_priority' });
  await tasks.createIndex({ queue: 1, state: 1, end_time: -1 }, { name: 'queue_state_end_time' });
}

/** Defaults for a record's first write; a later write never resets them. */
function insertDefaults(update: TaskUpdate, now: Date): Partial<TaskRecord> {
  const defaults: Partial<TaskRecord> = emptyTaskFields(now);
  for (const k of Object.keys(update)) delete (defaults as Record<string, unknown>)[k];
  return defaults;
}

const NULLABLE_FIELDS = Object.entries(emptyTaskFields(new Date(0)))
  .filter(([, v]) => v === null)
  .map(([k]) => k);

/**
 * FerretDB 1.24 drops top-level null values from `$setOnInsert`, so a record may lack a field that MongoDB would
 * hold as null. Reads fill them in, so both servers give the same record.
 */
function normalize(record: TaskRecord | null): TaskRecord | null {
  if (!record) return null;
  const r = record as unknown as Record<string, unknown>;
  for (const f of NULLABLE_FIELDS) if (r[f] === undefined) r[f] = null;
  if (r.priority === undefined) r.priority = 0;
  r.result = fromStorable(r.result);
  if (r.condition !== undefined) r.condition = fromStorable(r.condition);
  if (r.details !== undefined) r.details = fromStorableEach(r.details);
  return record;
}

/**
 * A job's result is free-form: NetPulse's `retval` is keyed by the command that ran (`ping 10.0.0.1`), a module's
 * `data` is whatever it reports; a service task's `condition` and a record's `details` (request summaries) hold
 * what clients sent. Each is stored so that any JSON survives (src/store/free-form.ts): a refused mirror write
 * would be retried for ever and the job never end.
 */
export function storableResult(result: unknown): unknown {
  return toStorable(result);
}

export function readableResult(stored: unknown): unknown {
  return fromStorable(stored);
}

/** A write's fields as stored: the id apart, free-form values BSON cannot hold as they are as their JSON text. */
function storedFields(update: TaskUpdate): { task_id: string; fields: Omit<TaskUpdate, 'task_id'> } {
  const { task_id, ...fields } = update;
  if ('result' in fields) fields.result = toStorable(fields.result);
  if ('condition' in fields) fields.condition = toStorable(fields.condition);
  if (fields.details) fields.details = toStorableEach(fields.details);
  return { task_id, fields };
}

export type ApplyOutcome = 'applied' | 'stale';

/**
 * How long the ends of jobs are gathered before one read feeds them to the job metrics: at tens of jobs a second a
 * read per job was a tenth of the database work a job costs, and a histogram a second late is still right.
 */
const ENDED_READ_DELAY_MS = 1000;

/** A record as stored: `_id` is the task id, the one field FerretDB's SQLite backend can look up without a scan. */
type StoredTask = TaskRecord & { _id: string };

/**
 * The mirror of Temporal's truth. Writes carry a per-task `rev`; a write older than the stored one is dropped,
 * so retried or reordered writes (a local activity retried after a worker restart) can never move a record back.
 *
 * The rev check is a read by `_id` followed by a write by `_id` rather than one filtered update, because
 * FerretDB 1.24 (SQLite) pushes down only a bare `_id` equality: any other filter scans the collection. The
 * writers of one task are its own workflow's sequential local activities, so the two steps do not race in practice.
 */
export class TaskStore {
  readonly collection: Collection<TaskRecord>;
  private readonly stored: Collection<StoredTask>;
  private readonly decisions: Collection<{ _id: string; decision: string; at: Date }>;

  /** `endedReadDelayMs`: how long ended jobs are gathered before the metrics read (tests shorten or lengthen it). */
  constructor(
    db: Db,
    private readonly endedReadDelayMs = ENDED_READ_DELAY_MS,
  ) {
    this.collection = db.collection<TaskRecord>(TASKS_COLLECTION);
    this.stored = db.collection<StoredTask>(TASKS_COLLECTION);
    this.decisions = db.collection(TASK_DECISIONS_COLLECTION);
  }

  /**
   * Records `decision` for the task unless another one was recorded first, and answers the one that stands.
   * The unique `_id` insert is the atomic step (a conditional update on state would scan on FerretDB and is not
   * atomic across its read and write): of a run and a cancel racing for a queued job, exactly one wins, and
   * asking again with the same decision is idempotent.
   */
  async decideOnce(taskId: string, decision: string): Promise<string> {
    try {
      await this.decisions.insertOne({ _id: taskId, decision, at: new Date() });
      return decision;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
    const standing = await this.decisions.findOne({ _id: taskId });
    if (!standing) throw new Error(`decision for ${taskId} vanished`);
    return standing.decision;
  }

  async apply(update: TaskUpdate, now = new Date()): Promise<ApplyOutcome> {
    return this.observed(update, await this.applyWrite(update, now));
  }

  /**
   * A write that ends a job feeds the job metrics (src/store/job-metrics.ts) from the record as stored: the write
   * alone may lack the times it started. In the background: a metric never holds up or fails a job's write.
   */
  private observed(update: TaskUpdate, outcome: ApplyOutcome): ApplyOutcome {
    if (outcome === 'applied' && update.state && isTerminal(update.state)) {
      this.endedUnread.add(update.task_id);
      if (!this.endedTimer) {
        this.endedTimer = setTimeout(() => void this.observeEnded(), this.endedReadDelayMs);
        this.endedTimer.unref?.();
      }
    }
    return outcome;
  }

  /** Jobs that ended since the last read for the metrics: read together, one `_id $in` query per period. */
  private endedUnread = new Set<string>();
  private endedTimer: NodeJS.Timeout | null = null;

  /** Feeds the metrics every ended job gathered so far, now: the timer calls it, and tests do. */
  async observeEnded(): Promise<void> {
    if (this.endedTimer) clearTimeout(this.endedTimer);
    this.endedTimer = null;
    const ids = [...this.endedUnread];
    this.endedUnread.clear();
    try {
      for (const r of (await this.getMany(ids)).values()) observeJobEnded(r);
    } catch {
      // A metric never fails a job; the ones of this period are not observed.
    }
  }

  private async applyWrite(update: TaskUpdate, now: Date): Promise<ApplyOutcome> {
    const { task_id, fields } = storedFields(update);
    for (let attempt = 0; attempt < 3; attempt++) {
      // One conditional update (atomic on MongoDB; on FerretDB one round trip instead of a read and a write):
      // it matches only a record older than this revision.
      const res = await this.stored.updateOne({ _id: task_id, rev: { $not: { $gte: update.rev } } } as Filter<StoredTask>, { $set: { ...fields, updated_at: now } });
      if (res.matchedCount > 0) return 'applied';
      // No match: the record is newer (stale), or there is none yet (insert).
      try {
        await this.stored.insertOne({ _id: task_id, task_id, ...insertDefaults(update, now), ...fields, updated_at: now } as StoredTask);
        return 'applied';
      } catch (e) {
        // It exists: newer than this revision, or inserted by another writer just now (then update it again).
        if (!isDuplicateKeyError(e)) throw e;
        const current = await this.stored.findOne({ _id: task_id }, { projection: { rev: 1 } });
        if (!current || current.rev >= update.rev) return 'stale';
      }
    }
    return 'stale';
  }

  /**
   * A repair written from outside the task's workflow (reconciliation): applied only while the record is still the
   * revision the caller read, so a write the workflow made meanwhile is never overwritten. 'stale' otherwise.
   */
  async applyIfUnchanged(update: TaskUpdate, readRev: number, now = new Date()): Promise<ApplyOutcome> {
    const { task_id, fields } = storedFields(update);
    const res = await this.stored.updateOne({ _id: task_id, rev: readRev } as Filter<StoredTask>, { $set: { ...fields, updated_at: now } });
    return this.observed(update, res.matchedCount > 0 ? 'applied' : 'stale');
  }

  /**
   * Writes the first record of a task the caller has just given a new id: one insert, without the update `apply`
   * tries first. Should the id exist after all, it is an `apply`.
   */
  async create(update: TaskUpdate, now = new Date()): Promise<ApplyOutcome> {
    const { task_id, fields } = storedFields(update);
    try {
      await this.stored.insertOne({ _id: task_id, task_id, ...insertDefaults(update, now), ...fields, updated_at: now } as StoredTask);
      return this.observed(update, 'applied');
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      return this.apply(update, now);
    }
  }

  /** Records by id in one `_id` query; ids without a record are absent from the map. */
  async getMany(taskIds: string[]): Promise<Map<string, TaskRecord>> {
    if (taskIds.length === 0) return new Map();
    const rows = await this.stored.find({ _id: { $in: taskIds } }, { projection: { _id: 0 } }).toArray();
    return new Map(rows.map((r) => normalize(r)).filter((r): r is TaskRecord => r !== null).map((r) => [r.task_id, r]));
  }

  async get(taskId: string): Promise<TaskRecord | null> {
    return normalize(await this.stored.findOne({ _id: taskId }, { projection: { _id: 0 } }));
  }

  async find(filter: Filter<TaskRecord>, options: { sort?: Sort; skip?: number; limit?: number } = {}): Promise<TaskRecord[]> {
    const rows = await this.collection
      .find(filter, { projection: { _id: 0 } })
      .sort(options.sort ?? { create_time: -1 })
      .skip(options.skip ?? 0)
      .limit(options.limit ?? 100)
      .toArray();
    return rows.map((r) => normalize(r)!);
  }

  async count(filter: Filter<TaskRecord>): Promise<number> {
    return this.collection.countDocuments(filter);
  }

  /** Counts per canonical state, for metrics. */
  async countByState(filter: Filter<TaskRecord> = {}): Promise<Record<string, number>> {
    const rows = await this.collection
      .aggregate<{ _id: string; n: number }>([{ $match: filter }, { $group: { _id: '$state', n: { $sum: 1 } } }])
      .toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }
}
