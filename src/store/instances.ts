import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';

export const INSTANCES_COLLECTION = 'instances';
const LEASE_ID = '__leader_lease__';

/** One api or worker process. The leader lease is a separate document (`_id` = `__leader_lease__`) in the same collection. */
export interface InstanceRecord {
  _id: string;
  type: 'instance';
  instance_id: string;
  kind: 'api' | 'worker' | string;
  hostname: string;
  pid: number;
  version: string;
  start_time: number;
  last_heartbeat: number;
  stopped_at: number | null;
}

interface LeaseDoc {
  _id: string;
  type: 'lease';
  holder: string;
  expires_at: number;
  since: number;
}

export class InstanceStore {
  private readonly instances: Collection<InstanceRecord>;
  private readonly leases: Collection<LeaseDoc>;

  constructor(db: Db) {
    this.instances = db.collection<InstanceRecord>(INSTANCES_COLLECTION);
    this.leases = db.collection<LeaseDoc>(INSTANCES_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.instances.createIndex({ type: 1, last_heartbeat: -1 }, { name: 'type_last_heartbeat' });
  }

  async beat(r: Omit<InstanceRecord, '_id' | 'type' | 'last_heartbeat' | 'stopped_at'>, now = Date.now()): Promise<void> {
    await this.instances.updateOne(
      { _id: r.instance_id },
      { $set: { ...r, type: 'instance', last_heartbeat: now, stopped_at: null } },
      { upsert: true },
    );
  }

  async markStopped(instanceId: string, now = Date.now()): Promise<void> {
    await this.instances.updateOne({ _id: instanceId }, { $set: { stopped_at: now } });
  }

  /** Takes or renews the leader lease; answers whether `instanceId` holds it now. */
  async acquireLease(instanceId: string, leaseMs: number, now = Date.now()): Promise<boolean> {
    try {
      const res = await this.leases.findOneAndUpdate(
        { _id: LEASE_ID, $or: [{ holder: instanceId }, { expires_at: { $lt: now } }] },
        { $set: { type: 'lease', holder: instanceId, expires_at: now + leaseMs }, $setOnInsert: { since: now } },
        { upsert: true, returnDocument: 'after' },
      );
      if (res && res.holder === instanceId && res.since === undefined) await this.leases.updateOne({ _id: LEASE_ID }, { $set: { since: now } });
      return res?.holder === instanceId;
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
  }

  async releaseLease(instanceId: string): Promise<void> {
    await this.leases.updateOne({ _id: LEASE_ID, holder: instanceId }, { $set: { expires_at: 0 } });
  }

  async leader(now = Date.now()): Promise<string | null> {
    const l = await this.leases.findOne({ _id: LEASE_ID });
    return l && l.expires_at >= now ? l.holder : null;
  }

  /** Instances that heartbeat within `liveMs` and have not stopped. */
  async live(liveMs: number, now = Date.now()): Promise<InstanceRecord[]> {
    const rows = await this.instances
      .find({ type: 'instance', last_heartbeat: { $gte: now - liveMs } })
      .sort({ start_time: 1 })
      .toArray();
    return rows.filter((r) => !r.stopped_at);
  }
}
