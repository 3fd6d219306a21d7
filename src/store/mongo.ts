import { MongoClient, type Db } from 'mongodb';
import type { Config } from '../config/index.js';
import { ensureTaskIndexes } from './tasks.js';
import { ensureCounterIndexes } from './counters.js';
import { WorkerStore } from './workers.js';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(config: Config, dbName = config.mongo.db): Promise<MongoHandle> {
  const client = new MongoClient(config.mongo.url, {
    serverSelectionTimeoutMS: config.mongo.timeoutMs,
    connectTimeoutMS: config.mongo.timeoutMs,
    socketTimeoutMS: Math.max(30_000, config.mongo.timeoutMs * 4),
    // The driver would otherwise queue operations for ever while the server is away; fail fast and answer 503.
    waitQueueTimeoutMS: config.mongo.timeoutMs,
    maxPoolSize: 50,
    appName: 'switchyard',
  });
  await client.connect();
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

/** Creates every index the service relies on; idempotent, run at start-up by API and worker. */
export async function ensureIndexes(db: Db): Promise<void> {
  await ensureTaskIndexes(db);
  await ensureCounterIndexes(db);
  await new WorkerStore(db).ensureIndexes();
}

export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}
