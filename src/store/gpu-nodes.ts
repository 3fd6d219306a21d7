import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';

export const GPU_NODES_COLLECTION = 'gpu_nodes';
export const GPU_CLAIMS_COLLECTION = 'gpu_claims';

export type GpuNodeStatus = 'ACTIVE' | 'OFFLINE' | 'FAULTY';
export type GpuPriorityClass = 'NORMAL' | 'VIP';

/** One GPU node as the documented GpuNodeInfo shows it, plus `freeSlots` (the capacity guard) and bookkeeping. */
export interface GpuNodeRecord {
  gpuId: string;
  hostname: string;
  vastInsId: string | null;
  ip: string;
  port: number;
  supportedTaskTypes: number[];
  supportedTaskPriority: GpuPriorityClass;
  status: GpuNodeStatus;
  lastHeartbeat: number;
  failureCount: number;
  taskFailureCount: number;
  version: string;
  currentTasks: number;
  maxConcurrentTasks: number;
  /** maxConcurrentTasks - currentTasks, kept beside it so a claim is one guarded $inc (no $expr on FerretDB). */
  freeSlots: number;
  metadata: Record<string, unknown>;
  faultReason: string | null;
  registeredAt: number;
}

export type GpuNodeRegistration = Pick<GpuNodeRecord, 'gpuId' | 'hostname' | 'ip' | 'port' | 'supportedTaskTypes' | 'supportedTaskPriority' | 'version' | 'maxConcurrentTasks' | 'metadata'> & {
  vastInsId?: string | null;
};

/** A capacity claim: one per (task, dispatch attempt), so a retried claim or release is counted once. */
interface ClaimDoc {
  _id: string;
  taskId: string;
  gpuId: string;
  released: boolean;
  at: Date;
}

export class GpuNodeStore {
  readonly collection: Collection<GpuNodeRecord>;
  private readonly claims: Collection<ClaimDoc>;

  constructor(db: Db) {
    this.collection = db.collection<GpuNodeRecord>(GPU_NODES_COLLECTION);
    this.claims = db.collection<ClaimDoc>(GPU_CLAIMS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ gpuId: 1 }, { unique: true, name: 'gpuId_unique' });
    await this.collection.createIndex({ status: 1 }, { name: 'status' });
    await this.claims.createIndex({ taskId: 1 }, { name: 'taskId' });
  }

  /** Idempotent per gpuId: a re-registration updates the node, keeps its running count and makes it ACTIVE. */
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
      metadata: reg.metadata,
    };
    const existing = await this.get(reg.gpuId);
    if (!existing) {
      try {
        await this.collection.insertOne({
          gpuId: reg.gpuId,
          ...fields,
          status: 'ACTIVE',
          lastHeartbeat: now,
          failureCount: 0,
          taskFailureCount: 0,
          currentTasks: 0,
          freeSlots: reg.maxConcurrentTasks,
          faultReason: null,
          registeredAt: now,
        });
        return { created: true, node: (await this.get(reg.gpuId))! };
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
      }
    }
    // Recompute freeSlots against the running count it was read with; retry if a claim moved it meanwhile.
    for (let i = 0; i < 20; i++) {
      const cur = (await this.get(reg.gpuId))!;
      const res = await this.collection.updateOne(
        { gpuId: reg.gpuId, currentTasks: cur.currentTasks },
        {
          $set: {
            ...fields,
            freeSlots: reg.maxConcurrentTasks - cur.currentTasks,
            status: 'ACTIVE',
            lastHeartbeat: now,
            failureCount: 0,
            taskFailureCount: 0,
            faultReason: null,
          },
        },
      );
      if (res.matchedCount > 0) return { created: false, node: (await this.get(reg.gpuId))! };
    }
    throw new Error(`node ${reg.gpuId} changed too often to re-register`);
  }

  async get(gpuId: string): Promise<GpuNodeRecord | null> {
    return fill(await this.collection.findOne({ gpuId }, { projection: { _id: 0 } }));
  }

  async list(filter: Partial<Pick<GpuNodeRecord, 'status'>> & { taskType?: number; priorityClass?: GpuPriorityClass } = {}): Promise<GpuNodeRecord[]> {
    const q: Record<string, unknown> = {};
    if (filter.status) q.status = filter.status;
    if (filter.taskType !== undefined) q.supportedTaskTypes = filter.taskType;
    if (filter.priorityClass) q.supportedTaskPriority = filter.priorityClass;
    const rows = await this.collection.find(q, { projection: { _id: 0 } }).sort({ gpuId: 1 }).limit(10_000).toArray();
    return rows.map((r) => fill(r)!);
  }

  /** Answers the status the node had before the beat (an OFFLINE node that beats comes back ACTIVE). */
  async heartbeat(gpuId: string, now = Date.now()): Promise<GpuNodeRecord | null> {
    const before = await this.collection.findOneAndUpdate({ gpuId }, { $set: { lastHeartbeat: now } }, { returnDocument: 'before' });
    if (!before) return null;
    if (before.status === 'OFFLINE') await this.collection.updateOne({ gpuId, status: 'OFFLINE' }, { $set: { status: 'ACTIVE' } });
    return fill(before);
  }

  /** Sets a status; answers the record before the change, or null for an unknown node. */
  async setStatus(gpuId: string, status: GpuNodeStatus, reason: string | null = null, onlyFrom?: GpuNodeStatus[]): Promise<GpuNodeRecord | null> {
    const filter: Record<string, unknown> = { gpuId };
    if (onlyFrom) filter.status = { $in: onlyFrom };
    const set: Record<string, unknown> = { status, faultReason: status === 'FAULTY' ? reason : null };
    if (status === 'ACTIVE') Object.assign(set, { failureCount: 0, taskFailureCount: 0, lastHeartbeat: Date.now() });
    return fill(await this.collection.findOneAndUpdate(filter, { $set: set }, { returnDocument: 'before' }));
  }

  async remove(gpuId: string): Promise<boolean> {
    const res = await this.collection.deleteOne({ gpuId });
    return res.deletedCount > 0;
  }

  /** ACTIVE nodes silent since before `cutoff`. */
  async stale(cutoff: number): Promise<GpuNodeRecord[]> {
    const rows = await this.collection.find({ status: 'ACTIVE', lastHeartbeat: { $lt: cutoff } }, { projection: { _id: 0 } }).toArray();
    return rows.map((r) => fill(r)!);
  }

  /**
   * Takes one slot of a node for a task (claim id = task + attempt). Idempotent: a retried claim answers the slot
   * it already holds. Answers null when the node is no longer ACTIVE or has no free slot.
   */
  async claim(claimId: string, taskId: string, gpuId: string): Promise<boolean> {
    const held = await this.claims.findOne({ _id: claimId });
    if (held) return held.gpuId === gpuId && !held.released;
    const node = await this.collection.findOneAndUpdate(
      { gpuId, status: 'ACTIVE', freeSlots: { $gt: 0 } },
      { $inc: { freeSlots: -1, currentTasks: 1 } },
      { returnDocument: 'after' },
    );
    if (!node) return false;
    try {
      await this.claims.insertOne({ _id: claimId, taskId, gpuId, released: false, at: new Date() });
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
    return true;
  }

  /** Gives a claimed slot back, once. */
  async release(claimId: string): Promise<boolean> {
    const claim = await this.claims.findOneAndUpdate({ _id: claimId, released: false }, { $set: { released: true } }, { returnDocument: 'before' });
    if (!claim) return false;
    await this.collection.updateOne({ gpuId: claim.gpuId, currentTasks: { $gt: 0 } }, { $inc: { freeSlots: 1, currentTasks: -1 } });
    return true;
  }

  /** Counts a node failure (refused or failed call); answers the record after it. */
  async recordFailure(gpuId: string, kind: 'failureCount' | 'taskFailureCount'): Promise<GpuNodeRecord | null> {
    return fill(await this.collection.findOneAndUpdate({ gpuId }, { $inc: { [kind]: 1 } }, { returnDocument: 'after' }));
  }

  async recordSuccess(gpuId: string, kind: 'failureCount' | 'taskFailureCount'): Promise<void> {
    await this.collection.updateOne({ gpuId, [kind]: { $gt: 0 } }, { $set: { [kind]: 0 } });
  }

  async countByStatus(): Promise<Record<GpuNodeStatus, number>> {
    const rows = await this.collection.aggregate<{ _id: GpuNodeStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    const out: Record<GpuNodeStatus, number> = { ACTIVE: 0, OFFLINE: 0, FAULTY: 0 };
    for (const r of rows) out[r._id] = r.n;
    return out;
  }
}

function fill(r: GpuNodeRecord | null): GpuNodeRecord | null {
  if (!r) return null;
  const x = r as unknown as Record<string, unknown>;
  delete x._id;
  if (x.vastInsId === undefined) x.vastInsId = null;
  if (x.faultReason === undefined) x.faultReason = null;
  if (x.metadata === undefined) x.metadata = {};
  return r;
}
