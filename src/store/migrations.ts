import type { Collection, Db, Document } from 'mongodb';
import type { Logger } from '../logging.js';
import { ALERTS_COLLECTION } from './alerts.js';
import { isDuplicateKeyError } from './errors.js';
import { SCHEDULES_COLLECTION } from './schedules.js';
import { serviceTaskObjectId } from './service-tasks.js';
import { WORKERS_COLLECTION } from './workers.js';

/** One document a repair changed, as logged and as `switchyard migrate` prints it. */
export interface RepairChange {
  collection: string;
  /** The unique index the duplicates blocked. */
  index: string;
  _id: unknown;
  action: 'renamed' | 'merged' | 'resolved' | 'removed' | 'rekeyed';
  detail: string;
}

export interface MigrationOptions {
  /** The long-task dialect's named collection (SERVICE_TASK_COLLECTION). */
  serviceTaskCollection: string;
}

/**
 * A unique index whose build existing documents can block, and how to repair one group of documents sharing
 * its key. Each repair is deterministic (the same documents give the same result in every process) and changes
 * a document only on the condition that it still holds the value the repair read, so several processes may run
 * it at once: each change lands once, and each process reports only the changes it made itself.
 *
 * Unique indexes not listed cannot be blocked, because their key is the document's `_id` as the store writes it:
 * `tasks.task_id` (`_id` = task id), `schedules.id` (`_id` = id), `gpu_nodes.gpuId` (`_id` = gpuId). `alerts.id` is
 * 64 random bits per alert.
 */
interface UniqueIndexRepair {
  collection: string;
  index: string;
  keys: string[];
  repairGroup(collection: Collection<Document>, key: Document, now: Date, claim: Claim): Promise<RepairChange[]>;
}

/**
 * Answers true to exactly one process for a given change, after that change landed: the one whose insert of the
 * change's id (a unique `_id`) went in. A conditional write alone is not enough on FerretDB, whose `updateOne` and
 * `deleteOne` read and then write: two processes migrating at once may both see their write match, and both would
 * report the change (and add a removed worker's counts twice). The id names the document and the state the repair
 * read, so a later, new repair of the same document is a new change. A process that dies between its write and
 * its claim leaves the change made and unreported, never blocked.
 */
type Claim = (changeId: string) => Promise<boolean>;

/** Where the claims are kept: one small document per change a migration made. */
export const MIGRATION_CLAIMS_COLLECTION = 'migration_claims';

function claimsIn(db: Db, now: Date): Claim {
  const claims = db.collection<{ _id: string; at: Date }>(MIGRATION_CLAIMS_COLLECTION);
  return async (changeId) => {
    try {
      await claims.insertOne({ _id: changeId, at: now });
      return true;
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
  };
}

const stamp = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v ?? ''));

/** The longest scheduler task name the dialect accepts (scheduler-api.md: 3–50 characters). */
export const SCHEDULE_NAME_MAX = 50;

/** `name (k)`, shortening the name so the result still fits the dialect's limit. */
export function suffixedName(name: string, k: number, max = SCHEDULE_NAME_MAX): string {
  const suffix = ` (${k})`;
  const chars = [...name];
  const room = max - suffix.length;
  return `${chars.length > room ? chars.slice(0, room).join('').trimEnd() : name}${suffix}`;
}

const byNumber = (field: string) => (a: Document, b: Document) => {
  const x = Number(a[field] ?? 0);
  const y = Number(b[field] ?? 0);
  return x !== y ? x - y : String(a._id).localeCompare(String(b._id));
};

/**
 * Scheduler tasks sharing one (owner, name): the earliest (lowest id) keeps the name, each later one gets the
 * first free `name (k)`, k from 2, in id order. The contract's 409 on a duplicate name comes from this index.
 */
const scheduleNames: UniqueIndexRepair = {
  collection: SCHEDULES_COLLECTION,
  index: 'owner_name_unique',
  keys: ['owner', 'name'],
  async repairGroup(col, key, now, claim) {
    const docs = (await col.find(key).toArray()).sort(byNumber('id'));
    const changes: RepairChange[] = [];
    const planned = new Set<string>();
    for (const doc of docs.slice(1)) {
      let k = 2;
      let candidate = suffixedName(String(key.name), k);
      while (planned.has(candidate) || (await col.countDocuments({ owner: key.owner, name: candidate })) > 0) candidate = suffixedName(String(key.name), ++k);
      planned.add(candidate);
      const r = await col.updateOne({ _id: doc._id, name: key.name }, { $set: { name: candidate, updated_at: now } });
      if (r.modifiedCount === 1 && (await claim(`${SCHEDULES_COLLECTION}/${String(doc._id)}/${String(key.name)}/${stamp(doc.updated_at)}`))) {
        changes.push({ collection: SCHEDULES_COLLECTION, index: this.index, _id: doc._id, action: 'renamed', detail: `task ${String(doc.id)} of ${String(key.owner)}: '${String(key.name)}' -> '${candidate}'` });
      }
    }
    return changes;
  },
};

/**
 * Worker records sharing a name (two processes started with one WORKER_NAME): the one heard from last stays, the
 * others are removed and their job counts added to it. Only the process whose delete removed a record adds its
 * counts, so a repeated or concurrent run cannot count them twice.
 */
const workerNames: UniqueIndexRepair = {
  collection: WORKERS_COLLECTION,
  index: 'name_unique',
  keys: ['name'],
  async repairGroup(col, key, _now, claim) {
    const docs = await col.find(key).toArray();
    const at = (d: Document) => (d.last_heartbeat instanceof Date ? d.last_heartbeat.getTime() : 0);
    docs.sort((a, b) => at(b) - at(a) || String(a._id).localeCompare(String(b._id)));
    const [keep, ...rest] = docs;
    const changes: RepairChange[] = [];
    for (const doc of rest) {
      if ((await col.deleteOne({ _id: doc._id })).deletedCount !== 1) continue;
      if (!(await claim(`${WORKERS_COLLECTION}/${String(doc._id)}`))) continue;
      const ok = Number(doc.successful_job_count ?? 0);
      const failed = Number(doc.failed_job_count ?? 0);
      if (ok || failed) await col.updateOne({ _id: keep!._id }, { $inc: { successful_job_count: ok, failed_job_count: failed } });
      changes.push({ collection: WORKERS_COLLECTION, index: this.index, _id: doc._id, action: 'merged', detail: `worker '${String(key.name)}': an older record removed, its ${ok} + ${failed} job counts added to the newest` });
    }
    return changes;
  },
};

/**
 * Unresolved GPU alerts sharing one subject (raised twice at once while the index was missing): the first raised
 * stays open, the others are resolved as `AlertStore.resolve` does (still listed).
 */
const alertSubjects: UniqueIndexRepair = {
  collection: ALERTS_COLLECTION,
  index: 'openKey_unique',
  keys: ['openKey'],
  async repairGroup(col, key, now, claim) {
    const docs = (await col.find(key).toArray()).sort(byNumber('timestamp'));
    const changes: RepairChange[] = [];
    for (const doc of docs.slice(1)) {
      const r = await col.updateOne({ _id: doc._id, openKey: key.openKey }, { $set: { openKey: `${String(key.openKey)}#${String(doc.id)}`, resolvedAt: now.getTime() } });
      if (r.modifiedCount === 1 && (await claim(`${ALERTS_COLLECTION}/${String(doc._id)}/${String(key.openKey)}`))) {
        changes.push({ collection: ALERTS_COLLECTION, index: this.index, _id: doc._id, action: 'resolved', detail: `alert ${String(doc.id)} on '${String(key.openKey)}': a second open alert for the subject, resolved` });
      }
    }
    return changes;
  },
};

/**
 * The long-task collection holds a copy of each service task (the source of truth is `tasks`). Copies written
 * before its `_id` was derived from the task id had random ObjectIds; with the index missing, a task could have
 * one of each. The copy under the derived `_id` (the one the service writes) stays; without one, the newest copy
 * is re-keyed to it. The rest are removed.
 */
function serviceTaskIds(collection: string): UniqueIndexRepair {
  return {
    collection,
    index: 'task_id_unique',
    keys: ['task_id'],
    async repairGroup(col, key, _now, claim) {
      const id = serviceTaskObjectId(String(key.task_id));
      const docs = await col.find(key).toArray();
      const changes: RepairChange[] = [];
      if (!docs.some((d) => id.equals(d._id))) {
        const time = (d: Document) => (d.create_time instanceof Date ? d.create_time.getTime() : 0);
        const newest = [...docs].sort((a, b) => time(b) - time(a) || String(b._id).localeCompare(String(a._id)))[0]!;
        const { _id: old, ...content } = newest;
        await col.replaceOne({ _id: id }, content, { upsert: true });
        if (await claim(`${collection}/${id.toHexString()}/from/${String(old)}`)) changes.push({ collection, index: this.index, _id: id, action: 'rekeyed', detail: `task ${String(key.task_id)}: copy ${String(old)} kept as ${id.toHexString()}` });
      }
      for (const doc of docs) {
        if (id.equals(doc._id)) continue;
        if ((await col.deleteOne({ _id: doc._id, task_id: key.task_id })).deletedCount === 1 && (await claim(`${collection}/${String(doc._id)}`))) {
          changes.push({ collection, index: this.index, _id: doc._id, action: 'removed', detail: `task ${String(key.task_id)}: duplicate copy removed` });
        }
      }
      return changes;
    },
  };
}

export function uniqueIndexRepairs(options: MigrationOptions): UniqueIndexRepair[] {
  return [scheduleNames, workerNames, alertSubjects, serviceTaskIds(options.serviceTaskCollection)];
}

/** The collection's index names; none when the collection does not exist yet. */
async function indexNames(col: Collection<Document>): Promise<Set<string>> {
  try {
    return new Set((await col.indexes()).map((i) => String(i.name)));
  } catch (e) {
    if ((e as { code?: unknown }).code === 26 || /ns does not exist|NamespaceNotFound/i.test((e as Error).message)) return new Set();
    throw e;
  }
}

/**
 * Values of `keys` held by more than one document, each as a filter selecting that group. A missing field is
 * `null`, as a unique index sees it (and `{field: null}` matches both).
 */
async function duplicateKeys(col: Collection<Document>, keys: string[]): Promise<Document[]> {
  const groupId = Object.fromEntries(keys.map((k) => [k, `$${k}`]));
  const rows = await col.aggregate<{ _id: Document; n: number }>([{ $group: { _id: groupId, n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }]).toArray();
  return rows
    .map((r) => Object.fromEntries(keys.map((k) => [k, r._id?.[k] ?? null])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/**
 * Repairs the documents that would block a required unique index, for each such index that does not exist yet
 * (an existing unique index guarantees there is nothing to repair, so a healthy start costs one listIndexes per
 * collection). Runs before the index builds, at every api and worker start and in `switchyard migrate`; logs each
 * change.
 */
export async function repairBlockedUniqueIndexes(db: Db, options: MigrationOptions, logger?: Logger, now = new Date()): Promise<RepairChange[]> {
  const changes: RepairChange[] = [];
  const claim = claimsIn(db, now);
  for (const repair of uniqueIndexRepairs(options)) {
    const col = db.collection<Document>(repair.collection);
    if ((await indexNames(col)).has(repair.index)) continue;
    for (const key of await duplicateKeys(col, repair.keys)) {
      for (const change of await repair.repairGroup(col, key, now, claim)) {
        logger?.warn({ migration: change }, `migration: ${change.collection} ${change.action} (${change.index} was blocked): ${change.detail}`);
        changes.push(change);
      }
    }
  }
  return changes;
}
