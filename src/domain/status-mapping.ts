import type { CanonicalState } from './status.js';

/**
 * Each dialect's status words for the canonical states, cell by cell as DESIGN.md's table gives them.
 * A `ready` task (created, not started) only exists in the long-task dialect; the other dialects show it as
 * waiting, which is what their clients can poll through (docs/decisions.md).
 */
export const DEVICE_STATUS = {
  ready: 'queued',
  queued: 'queued',
  running: 'started',
  succeeded: 'finished',
  failed: 'failed',
  timed_out: 'failed',
  cancelled: 'cancelled',
} as const satisfies Record<CanonicalState, string>;
export type DeviceStatus = (typeof DEVICE_STATUS)[CanonicalState];

export const SCHEDULER_STATUS = {
  ready: 'PENDING',
  queued: 'PENDING',
  running: 'RUNNING',
  succeeded: 'SUCCESS',
  failed: 'FAILED',
  timed_out: 'TIMEOUT',
  cancelled: 'CANCELLED',
} as const satisfies Record<CanonicalState, string>;
export type SchedulerStatus = (typeof SCHEDULER_STATUS)[CanonicalState];

export const GPU_STATUS = {
  ready: 'QUEUED',
  queued: 'QUEUED',
  running: 'PROCESSING',
  succeeded: 'COMPLETED',
  failed: 'FAILED',
  timed_out: 'TIMEOUT',
  cancelled: 'FAILED',
} as const satisfies Record<CanonicalState, string>;
export type GpuStatus = (typeof GPU_STATUS)[CanonicalState];

export const SERVICE_STATUS = {
  ready: 'ready',
  queued: 'waiting',
  running: 'running',
  succeeded: 'finished',
  failed: 'failed',
  timed_out: 'failed',
  cancelled: 'failed',
} as const satisfies Record<CanonicalState, string>;
export type ServiceStatus = (typeof SERVICE_STATUS)[CanonicalState];

export type Dialect = 'device' | 'scheduler' | 'gpu' | 'service';

const TABLES: Record<Dialect, Record<CanonicalState, string>> = {
  device: DEVICE_STATUS,
  scheduler: SCHEDULER_STATUS,
  gpu: GPU_STATUS,
  service: SERVICE_STATUS,
};

export function toDialectStatus(dialect: Dialect, state: CanonicalState): string {
  return TABLES[dialect][state];
}

/** Every canonical state a dialect's status word stands for: the filter a `?status=` query turns into. */
export function fromDialectStatus(dialect: Dialect, word: string): CanonicalState[] {
  const table = TABLES[dialect];
  return (Object.keys(table) as CanonicalState[]).filter((s) => table[s] === word);
}

/** The error type a device client sees for a timed-out job (NetPulse reports the timeout class name). */
export function deviceErrorType(state: CanonicalState, errorType: string | undefined): string | undefined {
  if (state === 'timed_out') return 'Timeout';
  return errorType;
}

/** What the GPU dialect says of a cancelled task, whose status word is FAILED. */
export const GPU_CANCELLED_MESSAGE = 'Task was cancelled';
