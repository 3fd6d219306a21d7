import type { ActivityDeps } from './deps.js';
import { createGpuActivities } from './gpu.js';
import { createDeviceActivities } from './device.js';
import { createMirrorActivities } from './mirror.js';
import { createScheduledJobActivities } from './scheduled-jobs.js';
import { createServiceTaskActivities } from './service-tasks.js';
import { createShellActivities } from './shell.js';
import { createWorkspaceActivities } from './workspaces.js';

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

/** Every activity of a worker's own task queue (work that must run on that worker's disk), besides the plugins'. */
export function createOwnQueueActivities(deps: ActivityDeps) {
  return createWorkspaceActivities(deps);
}

export type OwnQueueActivities = ReturnType<typeof createOwnQueueActivities>;
