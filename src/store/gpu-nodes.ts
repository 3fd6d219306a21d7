import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import { fromStorable, toStorable } from './free-form.js';

export const GPU_NODES_COLLECTION = 'gpu_nodes';
export const GPU_CLAIMS_COLLECTION = 'gpu_claims';
export const GPU_SLOTS_COLLECTION = 'gpu_slots';
export const GPU_HEARTBEATS_COLLECTION = 'gpu_heartbeats';
export const GPU_FAILURES_COLLECTION = 'gpu_node_failures';

type FailureKind = 'failureCount' | 'taskFailureCount';

/** One failed call or task of a node; the failures since the node's last reset of that kind are its count. */
interface FailureDoc {
  _id: string;
  gpuId: string;
  kind: FailureKind;
  at: number;
}

export type GpuNodeStatus = 'ACTIVE' | 'OFFLINE' | 'FAULTY';
export type GpuPriorityClass = 'NORMAL' | 'VIP';

/** One GPU node as the documented GpuNodeInfo shows it, plus bookkeeping. */
export interface GpuNodeRecord {
  gpuId: string;
  hostname: string;
  vastInsId: string | null;
  ip: string;
  port: number;
  supportedTaskTypes: number[];
  supportedTaskPriority: GpuPriorityClass;
  status: GpuNodeStatus;
  /** Read from `gpu_heartbeats` (falls back to the registration time). */
  lastHeartbeat: number;
  failureCount: number;
  taskFailureCount: number;
  version: string;
  /** Read: the node's taken slots in `gpu_slots`. */
  currentTasks: number;
  maxConcurrentTasks: number;
  /** Read: maxConcurrentTasks - currentTasks (never below 0). */
  freeSlots: number;
  metadata: Record<string, unknown>;
  faultReason: string | null;
  registeredAt: number;
}

type StoredNode = Omit<GpuNodeRecord, 'currentTasks' | 'freeSlots'> & {
  _id: string;
  /** When each failure count last went back to 0: failures recorded before it no longer count. */
  failuresResetAt?: Partial<Record<FailureKind, number>>;
};

export type GpuNodeRegistration = Pick<GpuNodeRecord, 'gpuId' | 'hostname' | 'ip' | 'port' | 'supportedTaskTypes' | 'supportedTaskPriority' | 'version' | 'maxConcurrentTasks' | 'metadata'> & {
  vastInsId?: string | null;
};

/** A taken slot of a node: `_id` = `<gpuId>#<k>`, k < maxConcurrentTasks. Its uniqueness is the capacity guard. */
interface SlotDoc {
  _id: string;
  gpuId: string;
  claimId: string;
  taskId: string;
  at: Date;
}

/** A capacity claim: one per (task, dispatch attempt), so a retried claim or release is counted once. */
interface ClaimDoc {
  _id: string;
  taskId: string;
  gpuId: string;
  slotId: string;
  released: boolean;
  /** The node has accepted the task under this claim (a retried round must not send it again). */
  sent?: boolean;
  at: Date;
}

interface HeartbeatDoc {
  _id: string;
  at: number;
}

/**
 * GPU nodes. FerretDB 1.24 (SQLite) loses concurrent updates of one document (measured: 50 parallel `$inc` on one
 * document kept 14), so nothing here counts with `$inc` on a shared document: a node's running tasks are its
 * slot documents (a claim inserts `<gpuId>#<k>`, unique by `_id`, a release deletes it) and heartbeats live in
 * their own documents, apart from the node record that status changes write.
 */
export class GpuNodeStore {
  readonly collection: Collection<StoredNode>;
  private readonly claims: Collection<ClaimDoc>;
  private readonly slots: Collection<SlotDoc>;
  private readonly beats: Collection<HeartbeatDoc>;
  private readonly failures: Collection<FailureDoc>;
  /** When this store last wrote each node's heartbeat. */
  private readonly lastBeat = new Map<string, number>();

  constructor(db: Db) {
    this.collection = db.collection<StoredNode>(GPU_NODES_COLLECTION);
    this.claims = db.collection<ClaimDoc>(GPU_CLAIMS_COLLECTION);
    this.slots = db.collection<SlotDoc>(GPU_SLOTS_COLLECTION);
    this.beats = db.collection<HeartbeatDoc>(GPU_HEARTBEATS_COLLECTION);
    this.failures = db.collection<FailureDoc>(GPU_FAILURES_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.db.collection(GPU_DISPLAY_IDS_COLLECTION).createIndex({ n: -1 }, { name: 'n' });
    await this.collection.createIndex({ gpuId: 1 }, { unique: true, name: 'gpuId_unique' });
    await this.slots.createIndex({ gpuId: 1 }, { name: 'gpuId' });
    await this.slots.createIndex({ claimId: 1 }, { name: 'claimId' });
    await this.claims.createIndex({ taskId: 1 }, { name: 'taskId' });
  }

  /** Idempotent per gpuId: a re-registration updates the node, keeps its running tasks and makes it ACTIVE. */
  async register(reg: GpuNodeRegistration, now = Date.now()): Promise<{ created: boolean; node: GpuNodeRecord }> {
    const fields = {
      hostname: reg.hostname,
      vastInsId: reg.vastInsId ?? null,
      ip: reg.ip,
      port: reg.port,
      supportedTaskTypes: reg.supportedTaskTypes,
      supportedTaskPriority: reg.supportedTaskPriority,
      version: reg.version,
      maxConcurrentTasks: reg.maxConcurrentTasks,
      // Free-form (whatever the node reports): stored so that any JSON survives (src/store/free-form.ts).
      metadata: toStorable(reg.metadata) as Record<string, unknown>,
      status: 'ACTIVE' as const,
      lastHeartbeat: now,
      failureCount: 0,
      taskFailureCount: 0,
      failuresResetAt: { failureCount: now, taskFailureCount: now },
      faultReason: null,
    };
    await this.beat(reg.gpuId, now);
    try {
      await this.collection.insertOne({ _id: reg.gpuId, gpuId: reg.gpuId, ...fields, registeredAt: now });
      return { created: true, node: (await this.get(reg.gpuId))! };
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
    await this.collection.updateOne({ _id: reg.gpuId }, { $set: fields });
    return { created: false, node: (await this.get(reg.gpuId))! };
  }

  private async beat(gpuId: string, now: number): Promise<void> {
    await this.beats.updateOne({ _id: gpuId }, { $set: { at: now } }, { upsert: true });
  }

  private async complete(rows: StoredNode[]): Promise<GpuNodeRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.gpuId);
    const [slotRows, beatRows] = await Promise.all([
      this.slots.aggregate<{ _id: string; n: number }>([{ $match: { gpuId: { $in: ids } } }, { $group: { _id: '$gpuId', n: { $sum: 1 } } }]).toArray(),
      this.beats.find({ _id: { $in: ids } }).toArray(),
    ]);
    const used = new Map(slotRows.map((r) => [r._id, r.n]));
    const beat = new Map(beatRows.map((b) => [b._id, b.at]));
    return rows.map((r) => {
      const x = { ...r } as Record<string, unknown>;
      delete x._id;
      if (x.vastInsId === undefined) x.vastInsId = null;
      if (x.faultReason === undefined) x.faultReason = null;
      x.metadata = x.metadata === undefined ? {} : fromStorable(x.metadata);
      const current = used.get(r.gpuId) ?? 0;
      x.currentTasks = current;
      x.freeSlots = Math.max(0, r.maxConcurrentTasks - current);
      x.lastHeartbeat = Math.max(r.lastHeartbeat ?? 0, beat.get(r.gpuId) ?? 0);
      return x as unknown as GpuNodeRecord;
    });
  }

  async get(gpuId: string): Promise<GpuNodeRecord | null> {
    const r = await this.collection.findOne({ _id: gpuId });
    return r ? (await this.complete([r]))[0]! : null;
  }

  async list(filter: Partial<Pick<GpuNodeRecord, 'status'>> & { taskType?: number; priorityClass?: GpuPriorityClass } = {}): Promise<GpuNodeRecord[]> {
    const q: Record<string, unknown> = {};
    if (filter.status) q.status = filter.status;
    if (filter.taskType !== undefined) q.supportedTaskTypes = filter.taskType;
    if (filter.priorityClass) q.supportedTaskPriority = filter.priorityClass;
    const rows = await this.collection.find(q).sort({ gpuId: 1 }).limit(10_000).toArray();
    return this.complete(rows);
  }

  /** Answers the node before the beat (an OFFLINE node that beats comes back ACTIVE), or null for an unknown node. */
  /**
   * Records a heartbeat. `minIntervalMs` skips the write when this process wrote one for the node that recently
   * (heartbeats are frequent; the OFFLINE check only needs one write per fraction of the timeout).
   */
  async heartbeat(gpuId: string, now = Date.now(), minIntervalMs = 0): Promise<Pick<GpuNodeRecord, 'gpuId' | 'status' | 'supportedTaskTypes'> | null> {
    const before = await this.collection.findOne({ _id: gpuId });
    if (!before) return null;
    const last = this.lastBeat.get(gpuId) ?? 0;
    if (before.status !== 'ACTIVE' || now - last >= minIntervalMs) {
      await this.beat(gpuId, now);
      this.lastBeat.set(gpuId, now);
    }
    if (before.status === 'OFFLINE') await this.collection.updateOne({ _id: gpuId, status: 'OFFLINE' }, { $set: { status: 'ACTIVE' } });
    return before;
  }

  /** Sets a status; answers the record before the change, or null for an unknown node (or one not in `onlyFrom`). */
  async setStatus(gpuId: string, status: GpuNodeStatus, reason: string | null = null, onlyFrom?: GpuNodeStatus[]): Promise<GpuNodeRecord | null> {
    const before = await this.get(gpuId);
    if (!before || (onlyFrom && !onlyFrom.includes(before.status))) return null;
    const set: Record<string, unknown> = { status, faultReason: status === 'FAULTY' ? reason : null };
    if (status === 'ACTIVE') {
      const at = Date.now();
      Object.assign(set, { failureCount: 0, taskFailureCount: 0, failuresResetAt: { failureCount: at, taskFailureCount: at } });
      await this.beat(gpuId, Date.now());
    }
    await this.collection.updateOne({ _id: gpuId }, { $set: set });
    return before;
  }

  async remove(gpuId: string): Promise<boolean> {
    const res = await this.collection.deleteOne({ _id: gpuId });
    await this.beats.deleteOne({ _id: gpuId });
    return res.deletedCount > 0;
  }

  /** ACTIVE nodes silent since before `cutoff`. */
  async stale(cutoff: number): Promise<GpuNodeRecord[]> {
    return (await this.list({ status: 'ACTIVE' })).filter((n) => n.lastHeartbeat < cutoff);
  }

  /**
   * Takes one slot of an ACTIVE node for a task (claim id = task + attempt): inserts the first free
   * `<gpuId>#<k>` slot document, whose unique `_id` is the guard. Idempotent: a retried claim answers whether it
   * holds a slot of that node already. Answers false when the node is not ACTIVE or has no free slot.
   */
  async claim(claimId: string, taskId: string, gpuId: string): Promise<boolean> {
    return (await this.claimSlot(claimId, taskId, gpuId)).ok;
  }

  /** `claim`, also saying whether the node already accepted the task under this claim (`markSent`). */
  async claimSlot(claimId: string, taskId: string, gpuId: string): Promise<{ ok: boolean; sent: boolean }> {
    // Every read a claim needs, side by side: a claim is on the dispatch path of every task.
    const [held, mine, node, slots] = await Promise.all([
      this.claims.findOne({ _id: claimId }),
      this.slots.findOne({ claimId }),
      this.collection.findOne({ _id: gpuId }),
      this.slots.find({ gpuId }).toArray(),
    ]);
    if (held) return { ok: held.gpuId === gpuId && !held.released, sent: held.sent === true };
    let slotId = mine?._id ?? null;
    if (!slotId) {
      if (!node || node.status !== 'ACTIVE') return { ok: false, sent: false };
      const taken = new Set(slots.map((s) => s._id));
      for (let k = 0; k < node.maxConcurrentTasks && !slotId; k++) {
        const id = `${gpuId}#${k}`;
        if (taken.has(id)) continue;
        try {
          await this.slots.insertOne({ _id: id, gpuId, claimId, taskId, at: new Date() });
          slotId = id;
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e;
        }
      }
      if (!slotId) return { ok: false, sent: false };
    }
    try {
      await this.claims.insertOne({ _id: claimId, taskId, gpuId, slotId, released: false, at: new Date() });
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
    return { ok: true, sent: false };
  }

  /** The node accepted the task under this claim. */
  async markSent(claimId: string): Promise<void> {
    await this.claims.updateOne({ _id: claimId }, { $set: { sent: true } });
  }

  /**
   * Takes back a claim whose task never started on the node (its workflow could not be told yet): the slot is
   * freed and the claim forgotten, so the same claim id (task + attempt) can claim again in a later round. A
   * `release`d claim stays released for good: a claim refused for ever left such a task QUEUED until its timeout.
   */
  async unclaim(claimId: string): Promise<void> {
    await this.slots.deleteOne({ claimId });
    await this.claims.deleteOne({ _id: claimId });
  }

  /** Which of these tasks hold a node slot now (placed on a node, whatever their record says yet). */
  async holdingSlots(taskIds: string[]): Promise<Set<string>> {
    if (taskIds.length === 0) return new Set();
    const rows = await this.claims.find({ taskId: { $in: taskIds }, released: false }, { projection: { taskId: 1 } }).toArray();
    return new Set(rows.map((r) => r.taskId));
  }

  /** Gives back every slot a task still holds (its workflow is gone and cannot give them back itself). */
  async releaseTask(taskId: string): Promise<number> {
    const held = await this.claims.find({ taskId, released: false }).toArray();
    let n = 0;
    for (const c of held) if (await this.release(c._id)) n++;
    return n;
  }

  /** Gives a claimed slot back, once. */
  async release(claimId: string): Promise<boolean> {
    const claim = await this.claims.findOne({ _id: claimId });
    if (!claim || claim.released) return false;
    await this.slots.deleteOne({ _id: claim.slotId, claimId });
    await this.claims.updateOne({ _id: claimId }, { $set: { released: true } });
    return true;
  }

  /**
   * Counts a node failure (refused or failed call, or failed task) and answers the record with the exact count.
   * Each failure is its own inserted document and the count is read back from them: `$inc` on the node record
   * loses increments when dispatchers record failures of one node at once (FerretDB 1.24), which would delay
   * FAULTY. The node record keeps the count for display.
   */
  async recordFailure(gpuId: string, kind: FailureKind, now = Date.now()): Promise<GpuNodeRecord | null> {
    await this.failures.insertOne({ _id: randomUUID(), gpuId, kind, at: now });
    const node = await this.collection.findOne({ _id: gpuId });
    if (!node) return null;
    const since = node.failuresResetAt?.[kind] ?? 0;
    const count = await this.failures.countDocuments({ gpuId, kind, at: { $gte: since } });
    await this.collection.updateOne({ _id: gpuId }, { $set: { [kind]: count } });
    const record = await this.get(gpuId);
    return record && { ...record, [kind]: count };
  }

  /** A success ends the run of failures of that kind. */
  async recordSuccess(gpuId: string, kind: FailureKind, now = Date.now()): Promise<void> {
    const n = await this.collection.findOne({ _id: gpuId });
    if (n && n[kind] > 0) await this.collection.updateOne({ _id: gpuId }, { $set: { [kind]: 0, [`failuresResetAt.${kind}`]: now + 1 } });
  }

  async countByStatus(): Promise<Record<GpuNodeStatus, number>> {
    const rows = await this.collection.aggregate<{ _id: GpuNodeStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    const out: Record<GpuNodeStatus, number> = { ACTIVE: 0, OFFLINE: 0, FAULTY: 0 };
    for (const r of rows) out[r._id] = r.n;
    return out;
  }
}

/** The display ids each database handed out in this process so far (the highest): the next one is above it. */
const lastDisplayId = new WeakMap<Db, number>();

export const GPU_DISPLAY_IDS_COLLECTION = 'gpu_display_ids';

/**
 * The next GPU task display id: one past the highest taken, claimed by inserting it as a unique `_id`
 * (a counter `$inc` loses increments under concurrency on FerretDB 1.24), so two tasks never share one. Each
 * process reserves its next number synchronously, so its own concurrent requests never collide; the highest
 * taken (an indexed `n`, read as one index entry) is read only on a process's first claim and after another
 * process took the number it tried.
 */
export async function nextGpuDisplayId(db: Db): Promise<number> {
  const ids = db.collection<{ _id: number; n: number; at: Date }>(GPU_DISPLAY_IDS_COLLECTION);
  const top = async () => {
    const [doc] = await ids.find({}, { projection: { n: 1 } }).sort({ n: -1 }).limit(1).toArray();
    // Ids claimed before `n` was recorded have only their `_id`: find the highest of those the slow way.
    const highest = doc?.n ?? (doc ? (await ids.find({}).sort({ _id: -1 }).limit(1).toArray())[0]?._id : undefined);
    return (highest ?? 1000) + 1;
  };
  const reserve = (atLeast: number) => {
    const n = Math.max(atLeast, (lastDisplayId.get(db) ?? 0) + 1);
    lastDisplayId.set(db, n);
    return n;
  };
  let n = lastDisplayId.has(db) ? reserve(0) : reserve(await top());
  for (let i = 0; i < 1000; i++) {
    try {
      await ids.insertOne({ _id: n, n, at: new Date() });
      return n;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      n = reserve(await top());
    }
  }
  throw new Error('no display id after 1000 tries');
}
