import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { OwnQueueActivities } from '../activities/index.js';
import { WORKSPACE_CLEANUP_PICKUP_SECONDS, type WorkerCleanupSummary, type WorkspaceCleanupInput, type WorkspaceCleanupResult } from '../src/scheduler/contract.js';
import { workerTaskQueue } from '../src/temporal/task-queues.js';

/**
 * Removes old execution workspaces on every worker named, in parallel: each worker's own task queue takes the
 * activity, so it runs on the disk that holds the workspaces. A worker that does not take it within
 * WORKSPACE_CLEANUP_PICKUP_SECONDS (gone since its last heartbeat) is reported as unreachable, not waited for.
 */
export async function workspaceCleanup(input: WorkspaceCleanupInput): Promise<WorkspaceCleanupResult> {
  const byWorker: Record<string, WorkerCleanupSummary> = {};
  const unreachable: string[] = [];
  await Promise.all(
    input.workers.map(async (worker) => {
      const { cleanupLocalWorkspaces } = proxyActivities<OwnQueueActivities>({
        taskQueue: workerTaskQueue(input.baseTaskQueue, worker),
        scheduleToStartTimeout: `${WORKSPACE_CLEANUP_PICKUP_SECONDS}s`,
        startToCloseTimeout: '10m',
        retry: { maximumAttempts: 2, initialInterval: '1s' },
      });
      try {
        byWorker[worker] = await cleanupLocalWorkspaces({ maxAgeHours: input.maxAgeHours, now: input.now });
      } catch (e) {
        if (!(e instanceof ActivityFailure)) throw e;
        unreachable.push(worker);
      }
    }),
  );
  return { byWorker, unreachable: unreachable.sort() };
}
