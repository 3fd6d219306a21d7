import { createServiceTasksPlugin } from './service-tasks/plugin.js';
import { createDeviceWorkerPlugin } from './device/worker-plugin.js';
import type { WorkerPlugin } from './worker.js';

/** Task queues beyond the main one that every worker process serves (dialects add theirs here). */
export const WORKER_PLUGINS: WorkerPlugin[] = [createDeviceWorkerPlugin(), createServiceTasksPlugin()];
