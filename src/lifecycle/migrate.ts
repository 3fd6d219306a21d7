import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';
import { prepareDatabase } from '../store/indexes.js';
import type { RepairChange } from '../store/migrations.js';
import { connectMongo } from '../store/mongo.js';

/**
 * `switchyard migrate`: the migration step and the index builds that every api and worker start runs, once, by
 * hand, answering what it changed (an empty list when nothing blocked an index). No retry: an operator is watching.
 */
export async function migrateCommand(config: Config, logger: Logger): Promise<RepairChange[]> {
  const mongo = await connectMongo(config, config.mongo.db, logger);
  try {
    return await prepareDatabase(mongo.db, { serviceTaskCollection: config.mongo.serviceTaskCollection }, logger);
  } finally {
    await mongo.close().catch(() => undefined);
  }
}
