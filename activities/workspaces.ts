import { isTerminal } from '../src/domain/status.js';
import type { WorkerCleanupSummary } from '../src/scheduler/contract.js';
import { cleanupWorkspaces } from '../src/scheduler/host.js';
import { ExecutionStore } from '../src/store/executions.js';
import type { ActivityDeps } from './deps.js';

/**
 * Activities on a worker's own task queue: they act on that worker's disk (`SCHEDULER_WORKSPACE_ROOT` is a folder
 * of the worker's host or container, not one the API or another worker sees).
 */
export function createWorkspaceActivities(deps: ActivityDeps) {
  const executions = new ExecutionStore(deps.tasks.collection.db);
  return {
    /** Removes this worker's workspaces older than `maxAgeHours`, except those of executions still running. */
    async cleanupLocalWorkspaces(input: { maxAgeHours: number; now: string }): Promise<WorkerCleanupSummary> {
      const s = await cleanupWorkspaces(
        deps.config.scheduler.workspaceRoot,
        input.maxAgeHours,
        async (name) => {
          const r = await executions.current(name);
          return r !== null && !isTerminal(r.state);
        },
        new Date(input.now),
      );
      deps.logger.info({ removed: s.directories_removed, freedMb: s.space_freed_mb }, 'workspaces cleaned up');
      return { ...s, oldest_removed: s.oldest_removed?.toISOString() ?? null };
    },
  };
}
