import type { ActivityDeps } from './deps.js';
import { createGpuActivities } from './gpu.js';
import { createDeviceActivities } from './device.js';
import { createMirrorActivities } from './mirror.js';
import { createScheduledJobActivities } from './scheduled-jobs.js';
import { createServiceTaskActivities } from './service-tasks.js';
import { createShellActivities } from './shell.js';

export type { ActivityDeps } from './deps.js';
export type { MirrorWrite, TaskEvent } from './mirror.js';

/** Every activity of the main task queue, built from the process's dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createMirrorActivities(deps),
    ...createGpuActivities(deps),
    ...createDeviceActivities(deps),
    ...createServiceTaskActivities(deps),
    ...createShellActivities(deps),
    ...createScheduledJobActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
