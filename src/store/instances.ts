import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';

export const INSTANCES_COLLECTION = 'instances';
const LEASE_ID = '__leader_lease__';

/** One api or worker process. Leader lease terms are separate documents (`type: 'lease'`) in the same collection. */
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
  term: number;
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

  private async currentTerm(): Promise<LeaseDoc | null> {
    const rows = await this.leases.find({ type: 'lease' }).sort({ term: -1 }).limit(1).toArray();
    return rows[0] ?? null;
  }

  /**
   * Takes or renews the leader lease; answers whether `instanceId` holds it now. Each leadership term is its own
   * document (`_id` = `__lease__#<term>`): only the holder renews its term, and taking over an expired term
   * inserts the next one, whose unique `_id` lets exactly one candidate win (no read-modify-write races).
   */
  async acquireLease(instanceId: string, leaseMs: number, now = Date.now()): Promise<boolean> {
    const cur = await this.currentTerm();
    if (cur && cur.holder === instanceId && cur.expires_at >= now) {
      await this.leases.updateOne({ _id: cur._id, holder: instanceId }, { $set: { expires_at: now + leaseMs } });
      const latest = await this.currentTerm();
      return latest?._id === cur._id;
    }
    if (cur && cur.expires_at >= now) return false;
    const term = (cur?.term ?? 0) + 1;
    try {
      await this.leases.insertOne({ _id: `${LEASE_ID}#${term}`, type: 'lease', term, holder: instanceId, expires_at: now + leaseMs, since: now });
      return true;
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
  }

  async releaseLease(instanceId: string): Promise<void> {
    const cur = await this.currentTerm();
    if (cur?.holder === instanceId) await this.leases.updateOne({ _id: cur._id, holder: instanceId }, { $set: { expires_at: 0 } });
  }

  async leader(now = Date.now()): Promise<string | null> {
    const l = await this.currentTerm();
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
