import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config/index.js';
import type { JsonProducer } from '../kafka/producer.js';
import type { Readiness } from '../lifecycle/readiness.js';
import type { Logger } from '../logging.js';
import type { TaskStore } from '../store/tasks.js';
import type { WorkerStore } from '../store/workers.js';
import type { AesGcmCodec } from '../temporal/codec.js';

/** Everything the HTTP layer may use; built once by `switchyard api` (or by a test). */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  db: Db;
  tasks: TaskStore;
  workers: WorkerStore;
  codec: AesGcmCodec;
  producer: JsonProducer | null;
  /** Reachability checks for /health; each resolves or throws. */
  checks: Record<string, () => Promise<unknown>>;
  /** What /readyz answers (starting, ready, unavailable, draining). */
  readiness: Readiness;
}

export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
  };
};
