import { Worker } from '@temporalio/worker';
import { createDeviceRunActivities } from '../../activities/device.js';
import { SessionPool } from '../ssh/session-pool.js';
import { ParsePool } from '../parsing/parse-pool.js';
import { WorkerStore } from '../store/workers.js';
import { DEVICE_FIFO_QUEUE, fifoTaskQueue } from '../temporal/task-queues.js';
import type { WorkerPlugin } from '../worker.js';

/**
 * The device dialect's queues in every worker process: the fifo SSH queue (a fresh connection per job, any
 * worker) and activities for the worker's own queue, where pinned hosts this worker owns are served from a session pool.
 */
export function createDeviceWorkerPlugin(): WorkerPlugin {
  return async (ctx) => {
    const pool = new SessionPool({
      idleTimeout: ctx.config.device.sessionIdleSeconds,
      logger: {
        debug: (o, m) => ctx.logger.debug(o, m),
        info: (o, m) => ctx.logger.info(o, m),
        warn: (o, m) => ctx.logger.warn(o, m),
      },
    });
    const workers = new WorkerStore(ctx.mongo.db);
    // Jobs' regex and TextFSM parsing: on threads, so a pattern cannot stall this worker's event loop.
    const parser = new ParsePool({
      threads: ctx.config.device.parseThreads,
      budgetMs: ctx.config.device.parseBudgetMs,
      onThreadStopped: (info) => ctx.logger.warn(info, 'parse thread stopped and replaced'),
    });
    // In the background: the worker starts polling meanwhile, and the first parse waits for its thread if need be.
    void parser.warm();
    const activities = createDeviceRunActivities({ deps: ctx.deps, workers, pool, parser });
    const fifo = await Worker.create({
      ...ctx.baseOptions,
      taskQueue: fifoTaskQueue(ctx.config.temporal.taskQueue),
      activities,
      maxConcurrentActivityTaskExecutions: ctx.config.device.fifoConcurrency,
    });
    return {
      workers: [fifo],
      // The worker's own queue (polled by the runtime) serves the pinned hosts this worker owns.
      ownQueueActivities: activities,
      queues: [DEVICE_FIFO_QUEUE],
      close: async () => {
        await workers.flushJobCounts().catch(() => undefined);
        await pool.closeAll();
        await parser.close();
      },
    };
  };
}
