import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { connectMongo, type MongoHandle } from '../src/store/mongo.js';
import { connectTemporalClient, type TemporalClientHandle } from '../src/temporal/connection.js';
import type { ActivityDeps } from './deps.js';

/** What activities that start or signal workflows need: a Temporal client (with the codec) and a database. */
export interface ActivityResources {
  db: Db;
  client: Client;
  close(): Promise<void>;
}

/** The activities' own MongoDB and Temporal client connections, opened on first use, one set per process and database. */
const shared = new Map<string, Promise<ActivityResources>>();

export function activityResources(deps: ActivityDeps): Promise<ActivityResources> {
  const key = `${deps.config.mongo.url}|${deps.config.mongo.db}|${deps.config.temporal.address}|${deps.config.temporal.taskQueue}`;
  let r = shared.get(key);
  if (!r) {
    r = (async () => {
      let mongo: MongoHandle | null = null;
      let temporal: TemporalClientHandle | null = null;
      try {
        mongo = await connectMongo(deps.config);
        temporal = await connectTemporalClient(deps.config);
      } catch (e) {
        shared.delete(key);
        await mongo?.close().catch(() => undefined);
        throw e;
      }
      return {
        db: mongo.db,
        client: temporal.client,
        async close() {
          shared.delete(key);
          await temporal?.close().catch(() => undefined);
          await mongo?.close().catch(() => undefined);
        },
      };
    })();
    shared.set(key, r);
  }
  return r;
}

/** Closes the connections activities opened (worker shutdown). */
export async function closeActivityResources(): Promise<void> {
  const all = await Promise.allSettled([...shared.values()]);
  for (const r of all) if (r.status === 'fulfilled') await r.value.close();
}
