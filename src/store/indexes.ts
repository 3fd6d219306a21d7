import type { Db } from 'mongodb';
import type { Logger } from '../logging.js';
import { AlertStore } from './alerts.js';
import { ensureCounterIndexes } from './counters.js';
import { ExecutionLogStore } from './execution-logs.js';
import { GpuNodeStore } from './gpu-nodes.js';
import { InstanceStore } from './instances.js';
import { repairBlockedUniqueIndexes, type MigrationOptions, type RepairChange } from './migrations.js';
import { ScheduleStore } from './schedules.js';
import { ServiceTaskStore } from './service-tasks.js';
import { ensureTaskIndexes } from './tasks.js';
import { WorkerStore } from './workers.js';

/**
 * Every index of every collection, whichever process or dialect writes it: api and worker processes build them all
 * before they serve (a unique index that is missing lets duplicates in, and then cannot be built). Idempotent.
 */
export async function ensureAllIndexes(db: Db, options: MigrationOptions): Promise<void> {
  await ensureTaskIndexes(db);
  await ensureCounterIndexes(db);
  await new WorkerStore(db).ensureIndexes();
  await new ScheduleStore(db).ensureIndexes();
  await new ServiceTaskStore(db, options.serviceTaskCollection).ensureIndexes();
  await new GpuNodeStore(db).ensureIndexes();
  await new AlertStore(db).ensureIndexes();
  await new InstanceStore(db).ensureIndexes();
  await new ExecutionLogStore(db).ensureIndexes();
}

/** The migration step, then the index builds: what a process awaits (and retries) before it serves. */
export async function prepareDatabase(db: Db, options: MigrationOptions, logger?: Logger): Promise<RepairChange[]> {
  const changes = await repairBlockedUniqueIndexes(db, options, logger);
  await ensureAllIndexes(db, options);
  return changes;
}
