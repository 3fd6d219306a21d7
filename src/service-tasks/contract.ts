import { defineUpdate } from '@temporalio/workflow';

/**
 * The long-running service task's contract with Temporal: the `serviceTask` workflow's input and result, its
 * status Update and the rule that decides which reports it takes. Pure and safe inside workflows; the workflow,
 * the service-task activities, the service and the scheduled runs import it. The string names are what running
 * histories hold: never rename them.
 */

export const SERVICE_TASK_WORKFLOW = 'serviceTask';

/** What the long-task dialect hands the `serviceTask` workflow (also what an ingest message turns into). */
export interface ServiceTaskInput {
  taskId: string;
  service: string;
  sourceName: string;
  condition: unknown;
  dispatch: 'kafka' | 'temporal';
  /** Kafka topic of the algorithm module (dispatch kafka). */
  topic?: string;
  timeoutSeconds: number;
  /**
   * Seconds a `dispatch: temporal` attempt may go without a heartbeat before its worker counts as lost and the
   * attempt runs again elsewhere. Absent: no heartbeat is asked for (a service worker that does not heartbeat).
   */
  heartbeatSeconds?: number;
  /** `dispatch: temporal`: the service's task queue when configured (`task_queue`); absent: `service.<name>`. */
  taskQueue?: string;
}

export interface ServiceTaskResult {
  status: 'finished' | 'failed';
  data: unknown;
  message: string | null;
}

/** One service task; workflow id = task id. */
export type ServiceTaskWorkflow = (input: ServiceTaskInput) => Promise<ServiceTaskResult>;

/** The word a status update may carry (the document's `update_status_task`). */
export type ReportedStatus = 'running' | 'finished' | 'failed';
export const REPORTED_STATUSES: readonly ReportedStatus[] = ['running', 'finished', 'failed'];

export interface StatusChange {
  status: ReportedStatus;
  message?: string | null;
  /** The result `result_task` shows (DESIGN.md "Contract extensions"). */
  data?: unknown;
}

export interface StatusChangeReply {
  task_id: string;
  status: ReportedStatus;
}

/** The message sent to an algorithm module, and the payload a `dispatch: temporal` activity receives. */
export interface ServiceTaskMessage {
  task_id: string;
  service: string;
  source_name: string;
  condition: unknown;
}

export const serviceStatusUpdate = defineUpdate<StatusChangeReply, [StatusChange]>('serviceStatus');

/**
 * Why a status report is refused, or null when the task takes it: only a `dispatch: kafka` task is reported from
 * outside (a Temporal-dispatched one reports through its own activity), only with a reported status word, and only
 * while it waits or runs. The workflow's Update validator decides with it, and the API decides with it from the
 * record before asking a worker.
 */
export function statusReportRefusal(task: { taskId: string; dispatch: string | undefined; status: string }, change: { status: unknown }): string | null {
  if (task.dispatch !== 'kafka') return `task ${task.taskId} is run by its Temporal service worker, not reported`;
  if (!(REPORTED_STATUSES as readonly unknown[]).includes(change.status)) return `bad status: ${String(change.status)}`;
  if (task.status !== 'waiting' && task.status !== 'running') return `task is ${task.status}: cannot become ${String(change.status)}`;
  return null;
}

/** Activity type a `dispatch: temporal` service implements on task queue `service.<name>` (any SDK language). */
export const RUN_SERVICE_ACTIVITY = 'runServiceTask';

/** Error type the Update validator raises; the API maps it to its answer. */
export const TRANSITION_REFUSED = 'TransitionRefused';

/** The services Switchyard ships (activities/service-builtins.ts implements each). */
export const BUILTIN_SERVICE_NAMES = ['echo', 'http'] as const;
export type BuiltinServiceName = (typeof BUILTIN_SERVICE_NAMES)[number];

/** Seconds a built-in service's attempt may go without a heartbeat before it runs again on another worker. */
export const BUILTIN_HEARTBEAT_TIMEOUT_SECONDS = 10;
