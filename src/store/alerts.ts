import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';

export const ALERTS_COLLECTION = 'alerts';

export type AlertLevel = 'CRITICAL' | 'WARNING' | 'INFO';
export type AlertStatus = 'ACTIVE' | 'ACKNOWLEDGED';

/** The documented AlertInfo plus `subject` (what it is about) and `openKey` (unique while unresolved). */
export interface AlertRecord {
  id: string;
  title: string;
  message: string;
  level: AlertLevel;
  status: AlertStatus;
  source: string;
  timestamp: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  subject: string;
  /** `subject` while the condition holds, so one unresolved alert per subject is a unique index. */
  openKey: string;
  resolvedAt: number | null;
}

export interface AlertStats {
  total_alerts: number;
  critical_alerts: number;
  warning_alerts: number;
  info_alerts: number;
  acknowledged_alerts: number;
  active_alerts: number;
}

export class AlertStore {
  readonly collection: Collection<AlertRecord>;

  constructor(db: Db) {
    this.collection = db.collection<AlertRecord>(ALERTS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ id: 1 }, { unique: true, name: 'id_unique' });
    await this.collection.createIndex({ openKey: 1 }, { unique: true, name: 'openKey_unique' });
    await this.collection.createIndex({ timestamp: -1 }, { name: 'timestamp' });
  }

  /** Raises an alert unless one for the subject is still unresolved; answers the new alert or null. */
  async raise(a: Pick<AlertRecord, 'title' | 'message' | 'level' | 'source' | 'subject'>, now = Date.now()): Promise<AlertRecord | null> {
    const doc: AlertRecord = {
      ...a,
      id: `alert_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      status: 'ACTIVE',
      timestamp: now,
      acknowledgedAt: null,
      acknowledgedBy: null,
      openKey: a.subject,
      resolvedAt: null,
    };
    try {
      await this.collection.insertOne({ ...doc });
      return doc;
    } catch (e) {
      if (isDuplicateKeyError(e)) return null;
      throw e;
    }
  }

  /** The condition is gone: the alert stays in the list, and a new occurrence may raise a new one. */
  async resolve(subject: string, now = Date.now()): Promise<void> {
    const open = await this.collection.findOne({ openKey: subject });
    if (!open) return;
    await this.collection.updateOne({ id: open.id, openKey: subject }, { $set: { openKey: `${subject}#${open.id}`, resolvedAt: now } });
  }

  async acknowledge(id: string, by: string, now = Date.now()): Promise<AlertRecord | null> {
    const before = await this.collection.findOneAndUpdate({ id }, { $set: { status: 'ACKNOWLEDGED', acknowledgedAt: now, acknowledgedBy: by } }, { returnDocument: 'after' });
    return before ? clean(before) : null;
  }

  async list(filter: { level?: AlertLevel; status?: AlertStatus; subject?: string }, page: number, size: number): Promise<AlertRecord[]> {
    const q: Record<string, unknown> = {};
    if (filter.level) q.level = filter.level;
    if (filter.status) q.status = filter.status;
    if (filter.subject) q.subject = filter.subject;
    const rows = await this.collection.find(q).sort({ timestamp: -1, id: 1 }).skip((page - 1) * size).limit(size).toArray();
    return rows.map(clean);
  }

  async stats(): Promise<AlertStats> {
    const count = (q: Record<string, unknown>) => this.collection.countDocuments(q);
    const [total, critical, warning, info, acked, active] = await Promise.all([
      count({}),
      count({ level: 'CRITICAL' }),
      count({ level: 'WARNING' }),
      count({ level: 'INFO' }),
      count({ status: 'ACKNOWLEDGED' }),
      count({ status: 'ACTIVE' }),
    ]);
    return { total_alerts: total, critical_alerts: critical, warning_alerts: warning, info_alerts: info, acknowledged_alerts: acked, active_alerts: active };
  }
}

function clean(r: AlertRecord): AlertRecord {
  const x = { ...r } as Record<string, unknown>;
  delete x._id;
  for (const f of ['acknowledgedAt', 'acknowledgedBy', 'resolvedAt']) if (x[f] === undefined) x[f] = null;
  return x as unknown as AlertRecord;
}
