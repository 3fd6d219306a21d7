import type { Collection, Db, Filter, Sort } from 'mongodb';
import type { TaskRecord, TaskUpdate } from '../domain/task.js';
import { isDuplicateKeyError } from './errors.js';

export const TASKS_COLLECTION = 'tasks';

export async function ensureTaskIndexes(db: Db): Promise<void> {
  const tasks = db.collection<TaskRecord>(TASKS_COLLECTION);
  await tasks.createIndex({ task_id: 1 }, { unique: true, name: 'task_id_unique' });
  await tasks.createIndex({ create_time: -1 }, { name: 'create_time' });
  await tasks.createIndex({ kind: 1, create_time: -1 }, { name: 'kind_create_time' });
  await tasks.createIndex({ state: 1, create_time: -1 }, { name: 'state_create_time' });
  await tasks.createIndex({ queue: 1, create_time: -1 }, { name: 'queue_create_time' });
  await tasks.createIndex({ host: 1, create_time: -1 }, { name: 'host_create_time' });
  await tasks.createIndex({ owner: 1, create_time: -1 }, { name: 'owner_create_time' });
}

/** Defaults for a record's first write; a later write never resets them. */
function insertDefaults(update: TaskUpdate, now: Date): Partial<TaskRecord> {
  const defaults: Partial<TaskRecord> = {
    create_time: now,
    enqueue_time: null,
    start_time: null,
    end_time: null,
    worker: null,
    host: null,
    owner: null,
    priority: 0,
    result: null,
    error: null,
    waiting_reason: null,
  };
  for (const k of Object.keys(update)) delete (defaults as Record<string, unknown>)[k];
  return defaults;
}

const NULLABLE_FIELDS = ['enqueue_time', 'start_time', 'end_time', 'worker', 'host', 'owner', 'result', 'error', 'waiting_reason'] as const;

/**
 * FerretDB 1.24 drops top-level null values from `$setOnInsert`, so a record may lack a field that MongoDB would
 * hold as null. Reads fill them in, so both servers give the same record.
 */
function normalize(record: TaskRecord | null): TaskRecord | null {
  if (!record) return null;
  const r = record as unknown as Record<string, unknown>;
  for (const f of NULLABLE_FIELDS) if (r[f] === undefined) r[f] = null;
  if (r.priority === undefined) r.priority = 0;
  return record;
}

export type ApplyOutcome = 'applied' | 'stale';

/**
 * The mirror of Temporal's truth. Writes carry a per-task `rev`; a write older than the stored one is dropped,
 * so retried or reordered writes (a local activity retried after a worker restart) can never move a record back.
 */
export class TaskStore {
  readonly collection: Collection<TaskRecord>;

  constructor(db: Db) {
    this.collection = db.collection<TaskRecord>(TASKS_COLLECTION);
  }

  async apply(update: TaskUpdate, now = new Date()): Promise<ApplyOutcome> {
    const { task_id, ...fields } = update;
    try {
      const res = await this.collection.updateOne(
        { task_id, rev: { $lt: update.rev } },
        { $set: { ...fields, updated_at: now }, $setOnInsert: { task_id, ...insertDefaults(update, now) } },
        { upsert: true },
      );
      return res.matchedCount > 0 || res.upsertedCount > 0 ? 'applied' : 'stale';
    } catch (e) {
      // The filter missed because the stored rev is newer, and the upsert then collided on task_id.
      if (isDuplicateKeyError(e)) return 'stale';
      throw e;
    }
  }

  async get(taskId: string): Promise<TaskRecord | null> {
    return normalize(await this.collection.findOne({ task_id: taskId }, { projection: { _id: 0 } }));
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
