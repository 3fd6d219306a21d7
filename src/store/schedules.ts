import type { Collection, Db, Filter } from 'mongodb';
import type { GpuCreateTask } from '../gpu/request.js';
import type { ScheduleType } from '../scheduler/spec.js';
import { nextSequence } from './counters.js';
import { isDuplicateKeyError } from './errors.js';
import { fromStorable, toStorable } from './free-form.js';

export const SCHEDULES_COLLECTION = 'schedules';

export interface CommandAction {
  type: 'command';
  command: string;
  env?: Record<string, string>;
}

/** Each run creates a service task of a configured service (the long-task dialect's create_task). */
export interface ServiceAction {
  type: 'service';
  service: string;
  condition: Record<string, unknown>;
}

/**
 * Each run submits a device job (the device dialect's `POST /device/exec`). Stored as `redactRequest` shows the
 * request (credentials `***`): the real request lives only in the Temporal Schedule's action, an encrypted
 * payload, never in MongoDB.
 */
export type DeviceAction = { type: 'device' } & Record<string, unknown>;

/** Each run creates a GPU task (the GPU dialect's `POST /api/v2/tasks` body, validated, with its defaults). */
export type GpuAction = { type: 'gpu' } & GpuCreateTask;

export type ScheduleAction = CommandAction | ServiceAction | DeviceAction | GpuAction;

/** One scheduler-dialect task definition; its runs live in `tasks` (kind `command`, `details.schedule_id`). */
export interface ScheduleDoc {
  id: number;
  owner: string;
  name: string;
  description: string | null;
  project_id: number;
  schedule_type: ScheduleType;
  schedule_config: string;
  is_active: boolean;
  timeout_seconds: number;
  max_instances: number;
  retry_count: number;
  priority: number;
  action: ScheduleAction | null;
  /** When the Temporal spec was last built: an INTERVAL counts from here. */
  spec_anchor: Date;
  created_at: Date;
  updated_at: Date;
}

export class DuplicateScheduleNameError extends Error {
  constructor(name: string) {
    super(`a task named '${name}' already exists`);
    this.name = 'DuplicateScheduleNameError';
  }
}

/** Per schedule (`_id` = task id): its most recently created execution, written by the execution's first mirror write. */
export const SCHEDULE_LAST_RUN_COLLECTION = 'schedule_last_run';

/**
 * A scheduled action holds what the client sent (a service `condition`, a device request's extra keys), so it is
 * stored so that any JSON survives (src/store/free-form.ts).
 */
function storedAction(action: ScheduleAction | null): ScheduleAction | null {
  return toStorable(action) as ScheduleAction | null;
}

function readable(doc: ScheduleDoc): ScheduleDoc {
  return { ...doc, action: fromStorable(doc.action) as ScheduleAction | null };
}

/** A schedule as stored: `_id` is its integer id, so reads and writes of one task are `_id` lookups on FerretDB. */
type StoredSchedule = ScheduleDoc & { _id: number };

export class ScheduleStore {
  readonly collection: Collection<ScheduleDoc>;
  private readonly stored: Collection<StoredSchedule>;

  constructor(private readonly db: Db) {
    this.collection = db.collection<ScheduleDoc>(SCHEDULES_COLLECTION);
    this.stored = db.collection<StoredSchedule>(SCHEDULES_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ id: 1 }, { unique: true, name: 'id_unique' });
    await this.collection.createIndex({ owner: 1, name: 1 }, { unique: true, name: 'owner_name_unique' });
    await this.collection.createIndex({ owner: 1, id: -1 }, { name: 'owner_id' });
    await this.db.collection('tasks').createIndex({ 'details.schedule_id': 1, create_time: -1 }, { name: 'schedule_id_create_time' });
  }

  async nextId(): Promise<number> {
    return nextSequence(this.db, SCHEDULES_COLLECTION);
  }

  async insert(doc: ScheduleDoc): Promise<void> {
    try {
      await this.stored.insertOne({ _id: doc.id, ...doc, action: storedAction(doc.action) });
    } catch (e) {
      if (isDuplicateKeyError(e)) throw new DuplicateScheduleNameError(doc.name);
      throw e;
    }
  }

  /** The owner's task; another owner's is as absent as a missing one. */
  async get(id: number, owner: string): Promise<ScheduleDoc | null> {
    const doc = await this.stored.findOne({ _id: id }, { projection: { _id: 0 } });
    return doc && doc.owner === owner ? readable(doc) : null;
  }

  async nameTaken(owner: string, name: string, exceptId?: number): Promise<boolean> {
    const filter: Filter<ScheduleDoc> = { owner, name };
    if (exceptId !== undefined) filter.id = { $ne: exceptId };
    return (await this.collection.countDocuments(filter)) > 0;
  }

  async update(id: number, owner: string, fields: Partial<ScheduleDoc>): Promise<void> {
    if (!(await this.get(id, owner))) return;
    try {
      await this.stored.updateOne({ _id: id }, { $set: 'action' in fields ? { ...fields, action: storedAction(fields.action ?? null) } : fields });
    } catch (e) {
      if (isDuplicateKeyError(e)) throw new DuplicateScheduleNameError(fields.name ?? '');
      throw e;
    }
  }

  async delete(id: number, owner: string): Promise<boolean> {
    if (!(await this.get(id, owner))) return false;
    return (await this.stored.deleteOne({ _id: id })).deletedCount > 0;
  }

  async list(filter: Filter<ScheduleDoc>, skip: number, limit: number): Promise<{ total: number; items: ScheduleDoc[] }> {
    const [total, items] = await Promise.all([
      this.collection.countDocuments(filter),
      this.collection.find(filter, { projection: { _id: 0 } }).sort({ id: -1 }).skip(skip).limit(limit).toArray(),
    ]);
    return { total, items: items.map(readable) };
  }

  async countActive(): Promise<number> {
    return this.collection.countDocuments({ is_active: true });
  }
}
