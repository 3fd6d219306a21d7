import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';
import { connectMongo } from '../store/mongo.js';
import { connectTemporalClient } from '../temporal/connection.js';
import { reconcileAllPages, type ReconcileReport } from './reconciler.js';

/** `switchyard reconcile`: one pass over every waiting or running record, whoever leads the cluster. */
export async function reconcileAll(config: Config, logger: Logger, graceSeconds: number): Promise<ReconcileReport> {
  const limits = { graceSeconds, orphanSeconds: Math.max(graceSeconds, config.reconcile.orphanSeconds) };
  const mongo = await connectMongo(config);
  const temporal = await connectTemporalClient(config);
  try {
    return await reconcileAllPages({ config, logger, temporal: temporal.client, db: mongo.db }, limits);
  } finally {
    await temporal.close().catch(() => undefined);
    await mongo.close().catch(() => undefined);
  }
}
