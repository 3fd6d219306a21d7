import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeviceJobOutcome } from '../domain/device-outcome.js';
import { fifoTaskQueue, workerTaskQueue } from '../temporal/task-queues.js';
import type { DeviceJobRequest } from './request.js';

/**
 * The device job's contract with Temporal: the `deviceJob` and `deviceLane` workflows' inputs, results, signals,
 * updates and ids. Pure and safe inside workflows; the workflows, the device activities, the device service and
 * the scheduled runs all import it. The string names are what running histories hold: never rename them.
 */

export type { DeviceJobOutcome } from '../domain/device-outcome.js';

// ---- the job ------------------------------------------------------------------------------------------------

export const DEVICE_JOB_WORKFLOW = 'deviceJob';

export interface DeviceJobInput {
  jobId: string;
  request: DeviceJobRequest;
  /** `FifoQ` or `pinned_<host>`. */
  queue: string;
  host: string;
  /** Temporal task queue of the fifo SSH activities. */
  fifoTaskQueue: string;
}

/** One device job; workflow id = job id. */
export type DeviceJobWorkflow = (input: DeviceJobInput) => Promise<DeviceJobOutcome>;

/** Cancels a fifo job that has not started; answers whether it was cancelled. Pinned jobs are cancelled in their lane. */
export const cancelJobUpdate = defineUpdate<boolean, []>('cancelJob');

/** Hands a pinned job's workflow its outcome (sent by the job's run, or by its lane). */
export const laneResultSignal = defineSignal<[DeviceJobOutcome]>('laneResult');

// ---- the lane -----------------------------------------------------------------------------------------------

export const DEVICE_LANE_WORKFLOW = 'deviceLane';

/** One pinned job waiting in its host's lane. */
export interface LaneJob {
  jobId: string;
  request: DeviceJobRequest;
  queue: string;
  enqueuedAt: string;
}

export interface DeviceLaneInput {
  host: string;
  /** `workerTaskQueue(base, '')`: a worker's own queue is this prefix + its name. */
  workerQueuePrefix: string;
  /** Base task queue (for the live-worker lookup) and the fifo queue that serves it. */
  base: string;
  fifoTaskQueue: string;
  pending?: LaneJob[];
  owner?: string | null;
}

/** One lane per host: it runs that host's pinned jobs one at a time, in order. */
export type DeviceLaneWorkflow = (input: DeviceLaneInput) => Promise<void>;

export const laneEnqueueSignal = defineSignal<[LaneJob]>('laneEnqueue');

/** Removes a job from the lane if it has not started; rejected (validator) once it has. */
export const laneCancelUpdate = defineUpdate<boolean, [string]>('laneCancel');

/** The lane's workflow id: one lane per host and per deployment's base task queue. */
export function laneWorkflowId(base: string, host: string): string {
  return `lane-${host}@${base}`;
}

/** A new lane's input (the lane is started by the first job's signal-with-start). */
export function laneInput(base: string, host: string): DeviceLaneInput {
  return { host, base, workerQueuePrefix: workerTaskQueue(base, ''), fifoTaskQueue: fifoTaskQueue(base) };
}

/**
 * A host lane's workflow task timeout (seconds). Its tasks are short; one started by a worker that then dies holds
 * the lane until this timeout (Temporal's default, 10 s, was most of the time a host waited after its owner was
 * SIGKILLed). Set on start and on every continue-as-new.
 */
export const LANE_WORKFLOW_TASK_TIMEOUT_S = 3;
