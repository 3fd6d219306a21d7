import type { DeviceJobRequest } from '../device/request.js';
import type { CanonicalState } from '../domain/status.js';
import type { GpuCreateTask } from '../gpu/request.js';

/**
 * The scheduled run's contract with Temporal: the `commandRun` workflow's input and result, and the ids of a
 * task's schedule and runs. Pure and safe inside workflows; the workflow, the scheduler service and the scheduled
 * job activities import it. The string names are what running histories and schedules hold: never rename them.
 */

export const COMMAND_RUN_WORKFLOW = 'commandRun';

/** What a scheduled task's schedule hands each run (set again by every task update). */
export interface CommandRunInput {
  scheduleId: number;
  taskName: string;
  owner: string;
  command: string;
  env: Record<string, string>;
  cwd?: string;
  timeoutSeconds: number;
  retryCount: number;
  priority: number;
  maxInstances: number;
  /**
   * `command` (the task's own), `project` (the project's entry command), or the job kind a run creates and
   * follows to its end: `service` (a long-task service task), `device` (a device job), `gpu` (a GPU task).
   */
  source: 'command' | 'project' | 'service' | 'device' | 'gpu';
  /** A `service` action: each run creates a task of this service and follows it to its end. */
  serviceJob?: { service: string; condition: Record<string, unknown> };
  /** A `device` action: the validated `/device/exec` request (credentials included: a Temporal payload only). */
  deviceJob?: { request: DeviceJobRequest };
  /** A `gpu` action: the validated `/api/v2/tasks` body. */
  gpuJob?: { body: GpuCreateTask };
}

export interface CommandRunResult {
  state: CanonicalState;
  exitCode: number | null;
}

/** One execution of a scheduled task; workflow id = execution id. */
export type CommandRunWorkflow = (input: CommandRunInput) => Promise<CommandRunResult>;

/** Which scheduled execution submitted a job: kept in the job's record (`details.origin`). */
export interface JobOrigin {
  schedule_id: number;
  execution_id: string;
}

// ---- ids ------------------------------------------------------------------------------------------------------

/** The Temporal Schedule of a task, unique per database (several deployments or test runs share a namespace). */
export function scheduleIdFor(dbName: string, taskId: number): string {
  return `sched-${dbName}-${taskId}`;
}

/** The workflow id prefix of a task's runs: Temporal appends `-<ISO time>` to a scheduled run's id. */
export function executionPrefix(dbName: string, taskId: number): string {
  return `exec-${dbName}-${taskId}`;
}

/**
 * The id of a run started now by `trigger`: the prefix and the time to the millisecond (Temporal's own trigger
 * names a run by the second, which two runs in one second would share).
 */
export function triggeredExecutionId(prefix: string, at: Date): string {
  return `${prefix}-${at.toISOString()}`;
}

const SCHEDULED_TIME = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)$/;

/** The time written into a run's id (the scheduled time, or a trigger's), as ISO text; null for an id without one. */
export function scheduledTimeOf(executionId: string): string | null {
  return SCHEDULED_TIME.exec(executionId)?.[1] ?? null;
}

// ---- workspace cleanup ------------------------------------------------------------------------------------------

export const WORKSPACE_CLEANUP_WORKFLOW = 'workspaceCleanup';

/**
 * `POST /cleanup-workspaces`: workspaces live on the disk of the worker that ran the execution, so the cleanup
 * runs there, as an activity on each live worker's own task queue (`workerTaskQueue(base, name)`).
 */
export interface WorkspaceCleanupInput {
  /** The main task queue's name (the base of every worker's own queue). */
  baseTaskQueue: string;
  workers: string[];
  maxAgeHours: number;
  /** The request's time: every worker measures ages from it. */
  now: string;
}

/** What one worker removed; `oldest_removed` as ISO text. */
export interface WorkerCleanupSummary {
  directories_removed: number;
  space_freed_mb: number;
  oldest_removed: string | null;
}

export interface WorkspaceCleanupResult {
  byWorker: Record<string, WorkerCleanupSummary>;
  /** Workers that did not take the cleanup in time (gone since their last heartbeat, or busy). */
  unreachable: string[];
}

export type WorkspaceCleanupWorkflow = (input: WorkspaceCleanupInput) => Promise<WorkspaceCleanupResult>;

/** How long a worker has to take its cleanup activity before it counts as unreachable. */
export const WORKSPACE_CLEANUP_PICKUP_SECONDS = 20;
