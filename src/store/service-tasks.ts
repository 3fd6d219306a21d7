import { createHash } from 'node:crypto';
import { ObjectId, type Collection, type Db } from 'mongodb';
import type { TaskRecord, TaskUpdate } from '../domain/task.js';
import { toStorable } from './free-form.js';
import { TaskStore, type ApplyOutcome } from './tasks.js';

/** The long-task document's `status_message`: one slot per status that carries a message. */
export type StatusMessage = { failed: string | null; running: string | null; finished: string | null };

export function emptyStatusMessage(): StatusMessage {
  return { failed: null, running: null, finished: null };
}

/**
 * The named collection's `_id` for a task: an ObjectId, as the document's schema types it, derived from the task
 * id (its first 12 SHA-256 bytes) so every write and read of one task is an `_id` lookup. On FerretDB any other
 * filter (`{task_id}`) scans the whole collection, which made each state change cost more as tasks piled up.
 */
export function serviceTaskObjectId(taskId: string): ObjectId {
  return new ObjectId(createHash('sha256').update(taskId).digest().subarray(0, 12));
}

/**
 * One service task exactly as the long-task document's collection schema writes it (section 4): `_id` is an
 * ObjectId (`serviceTaskObjectId`), the other fields are these and no more.
 */
export interface ServiceTaskDocument {
  _id?: ObjectId;
  task_id: string;
  status: string;
  service: string;
  source_name: string;
  condition: unknown;
  start_time: Date | null;
  end_time: Date | null;
  create_time: Date;
  status_message: StatusMessage;
}

const DOCUMENTED_FIELDS = ['status', 'service', 'source_name', 'condition', 'start_time', 'end_time', 'create_time', 'status_message'] as const;

export function toServiceTaskDocument(r: TaskRecord): ServiceTaskDocument {
  return {
    task_id: r.task_id,
    status: r.status,
    service: r.service ?? '',
    source_name: r.source_name ?? '',
    // Free-form: stored so that any JSON survives, as in `tasks` (src/store/free-form.ts).
    condition: toStorable(r.condition ?? {}),
    start_time: r.start_time ?? null,
    end_time: r.end_time ?? null,
    create_time: r.create_time,
    status_message: { ...emptyStatusMessage(), ...(r.status_message ?? {}) } as StatusMessage,
  };
}

/**
 * Service tasks live in the shared `tasks` collection (the source of truth every dialect reads, `kind: service`)
 * and, projected to the document's schema, in the collection the YAML names per environment (dev_task /
 * prod_task). Every write goes to `tasks` first (rev-guarded), then the named collection receives the record as
 * it now stands in `tasks`, so the projection can lag but never goes backwards for long (docs/decisions.md).
 */
export class ServiceTaskStore {
  readonly tasks: TaskStore;
  readonly named: Collection<ServiceTaskDocument>;

  constructor(db: Db, collectionName: string) {
    this.tasks = new TaskStore(db);
    this.named = db.collection<ServiceTaskDocument>(collectionName);
  }

  async ensureIndexes(): Promise<void> {
    await this.named.createIndex({ task_id: 1 }, { unique: true, name: 'task_id_unique' });
    await this.named.createIndex({ create_time: -1 }, { name: 'create_time' });
  }

  async apply(update: TaskUpdate): Promise<ApplyOutcome> {
    const outcome = await this.tasks.apply(update);
    if (outcome === 'applied') await this.projectWrite(update);
    return outcome;
  }

  /** TaskStore.applyIfUnchanged, and the named collection's copy when it applied. */
  async applyIfUnchanged(update: TaskUpdate, readRev: number): Promise<ApplyOutcome> {
    const outcome = await this.tasks.applyIfUnchanged(update, readRev);
    if (outcome === 'applied') await this.projectWrite(update);
    return outcome;
  }

  /**
   * Copies the documented fields a write carries into the named collection, without reading the record back
   * (one write, not a read and a write: on FerretDB every operation counts). The writes of one task are
   * serialised by its workflow, so they land in order.
   */
  async projectWrite(update: TaskUpdate): Promise<void> {
    const set: Record<string, unknown> = {};
    for (const f of DOCUMENTED_FIELDS) if (update[f] !== undefined) set[f] = update[f];
    if (set.condition !== undefined) set.condition = toStorable(set.condition);
    if (set.status_message !== undefined) set.status_message = { ...emptyStatusMessage(), ...(set.status_message as object) };
    if (Object.keys(set).length === 0) return;
    const onInsert = update.create_time === undefined ? { task_id: update.task_id, create_time: new Date() } : { task_id: update.task_id };
    await this.named.updateOne({ _id: serviceTaskObjectId(update.task_id) }, { $set: set, $setOnInsert: onInsert }, { upsert: true });
  }

  /**
   * The first write of a task (`ready`, rev 1): both collections in two writes, no read. 'stale' when the
   * record already exists (a repeated id): nothing is changed then.
   */
  async insertReady(record: Omit<TaskRecord, 'rev' | 'updated_at'>): Promise<ApplyOutcome> {
    const outcome = await this.tasks.create({ ...record, rev: 1 });
    if (outcome === 'applied') {
      await this.named.updateOne({ _id: serviceTaskObjectId(record.task_id) }, { $set: toServiceTaskDocument({ ...record, rev: 1, updated_at: new Date() }) }, { upsert: true });
    }
    return outcome;
  }

  /** Copies the current `tasks` record into the named collection. */
  async project(taskId: string): Promise<void> {
    const record = await this.tasks.get(taskId);
    if (!record || record.kind !== 'service') return;
    await this.named.updateOne({ _id: serviceTaskObjectId(taskId) }, { $set: toServiceTaskDocument(record) }, { upsert: true });
  }

  async get(taskId: string): Promise<TaskRecord | null> {
    const r = await this.tasks.get(taskId);
    return r && r.kind === 'service' ? r : null;
  }

  /** One lookup by id each, side by side: an id lookup is the one query FerretDB answers without a scan. */
  async getMany(ids: string[]): Promise<Map<string, TaskRecord>> {
    const rows = await Promise.all(ids.map((id) => this.get(id)));
    return new Map(rows.filter((r): r is TaskRecord => r !== null).map((r) => [r.task_id, r]));
  }
}
