import { defineSignal } from '@temporalio/workflow';
import type { QueueEntry } from './priority.js';

/**
 * The GPU contract with Temporal: the `gpuTask`, `gpuDispatcher` and `gpuMonitor` workflows' inputs, results,
 * signals and ids, and the body a node receives. Pure and safe inside workflows; the GPU API, activities and
 * workflows import it. The string names are what running histories hold: never rename them.
 */

// ---- names and ids ------------------------------------------------------------------------------------------

export const GPU_TASK_WORKFLOW = 'gpuTask';
export const GPU_DISPATCHER_WORKFLOW = 'gpuDispatcher';
export const GPU_MONITOR_WORKFLOW = 'gpuMonitor';

/** Workflow id of a task type's dispatcher (one arbiter per task type and task queue). */
export function dispatcherWorkflowId(taskQueue: string, taskType: number): string {
  return `gpu-dispatcher-${taskQueue}-${taskType}`;
}

/** Workflow id of the GPU health monitor (one per task queue). */
export function monitorWorkflowId(taskQueue: string): string {
  return `gpu-monitor-${taskQueue}`;
}

export function gpuQueueName(taskType: number): string {
  return `gpu:${taskType}`;
}

/** A node slot claimed for a task's attempt (the claim's unique id: a retried placement finds it again). */
export function claimIdOf(taskId: string, attempt: number): string {
  return `${taskId}#${attempt}`;
}

// ---- the task -----------------------------------------------------------------------------------------------

export interface AssignedSignal {
  gpuId: string;
  claimId: string;
  attempt: number;
  ip: string;
  port: number;
}

export interface NodeStatusSignal {
  status: 'PROCESSING' | 'COMPLETED' | 'FAILED';
  gpuId?: string;
  progress?: number;
  message?: string;
  at: number;
}

export interface NodeResultSignal {
  result: string;
  gpuId?: string;
  at: number;
}

export interface DispatchFailedSignal {
  reason: string;
  gpuId?: string;
}

export interface NodeLostSignal {
  gpuId: string;
  reason: string;
}

/** The body a node receives (DESIGN.md "How a GPU node receives work"). */
export interface NodeTaskBody {
  taskId: string;
  taskType: number;
  priority: number;
  payload: string;
  timeout: number;
}

export interface GpuTaskInput {
  taskId: string;
  displayId: number;
  taskType: number;
  priority: number;
  userId: string | null;
  app: string | null;
  env: string | null;
  payload: string;
  /** ms */
  timeout: number;
  maxRetries: number;
  createdAt: number;
  estimatedWaitTime: number;
  /** Set when the API sent the task to its node itself (nothing waited before it): the task starts running there. */
  assigned?: AssignedSignal;
}

export interface GpuTaskOutcome {
  status: string;
  gpuId: string | null;
  result: string | null;
  errorMessage: string | null;
}

/** One GPU task; workflow id = task id. */
export type GpuTaskWorkflow = (input: GpuTaskInput) => Promise<GpuTaskOutcome>;

/** The dispatcher placed the task on a node (or the API did, then the task starts with `assigned`). */
export const gpuAssignedSignal = defineSignal<[AssignedSignal]>('gpuAssigned');
/** No node took the task and it has no retries left. */
export const gpuDispatchFailedSignal = defineSignal<[DispatchFailedSignal]>('gpuDispatchFailed');
/** A node's `POST /api/v2/tasks/{id}/status` report. */
export const gpuNodeStatusSignal = defineSignal<[NodeStatusSignal]>('gpuNodeStatus');
/** A node's `POST /api/v2/tasks/{id}/result` report. */
export const gpuNodeResultSignal = defineSignal<[NodeResultSignal]>('gpuNodeResult');
/** The node running the task went OFFLINE, FAULTY or was deregistered. */
export const gpuNodeLostSignal = defineSignal<[NodeLostSignal]>('gpuNodeLost');

// ---- the dispatcher and the monitor -------------------------------------------------------------------------

export interface GpuDispatcherState {
  taskType: number;
  queue: QueueEntry[];
}

/** The one arbiter of a task type's queue. */
export type GpuDispatcherWorkflow = (state: GpuDispatcherState) => Promise<void>;

export const gpuEnqueueSignal = defineSignal<[QueueEntry]>('gpuEnqueue');
export const gpuWakeSignal = defineSignal('gpuWake');
export const gpuRemoveSignal = defineSignal<[string]>('gpuRemove');

export interface GpuMonitorInput {
  intervalMs: number;
}

/** The health monitor: marks silent nodes OFFLINE, raises and resolves alerts. */
export type GpuMonitorWorkflow = (input: GpuMonitorInput) => Promise<void>;
