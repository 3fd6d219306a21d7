import type { CanonicalState, TaskKind } from '../domain/status.js';
import { DEVICE_STATUS, GPU_STATUS, SCHEDULER_STATUS, SERVICE_STATUS } from '../domain/status-mapping.js';
import type { TaskError, TaskUpdate } from '../domain/task.js';

/** The status word each kind's own dialect writes for a state (the record's `status`). */
export function statusWordOf(kind: TaskKind, state: CanonicalState): string {
  switch (kind) {
    case 'device':
      return DEVICE_STATUS[state];
    case 'command':
      return SCHEDULER_STATUS[state];
    case 'gpu':
      return GPU_STATUS[state];
    case 'service':
      return SERVICE_STATUS[state];
  }
}

/** A workflow execution as the reconciler needs it: how it closed, when, and what it returned. */
export interface ClosedWorkflow {
  type: string;
  /** Temporal's execution status name: COMPLETED, FAILED, TERMINATED, TIMED_OUT, CANCELLED. */
  status: string;
  closeTime: Date;
  /** The workflow's return value when it COMPLETED. */
  result?: unknown;
  /** The failure message when it did not complete. */
  failure?: string;
}

/** The fields of a record's terminal write, as its workflow would have written it. */
export type TerminalFields = Omit<TaskUpdate, 'task_id' | 'rev'> & { state: CanonicalState };

function iso(v: unknown): Date | undefined {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined;
}

/**
 * What a record whose workflow has closed must say, from the workflow's own outcome: the return value of each
 * job workflow (deviceJob, commandRun, gpuTask, serviceTask) carries its final state and result, and a workflow
 * that was terminated, failed or timed out ends its job `failed` / `timed_out` with a reason naming it.
 */
export function terminalFieldsFrom(kind: TaskKind, w: ClosedWorkflow): TerminalFields {
  const ended = w.closeTime;
  const notCompleted = (state: CanonicalState, error: TaskError): TerminalFields => ({ state, status: statusWordOf(kind, state), end_time: ended, waiting_reason: null, error });
  switch (w.status) {
    case 'TERMINATED':
      return notCompleted('failed', { type: 'WorkflowTerminated', message: `its workflow was terminated${w.failure ? `: ${w.failure}` : ''}` });
    case 'TIMED_OUT':
      return notCompleted('timed_out', { type: 'Timeout', message: 'its workflow ran past its execution timeout' });
    case 'CANCELLED':
      return notCompleted('cancelled', { type: 'Cancelled', message: 'its workflow was cancelled' });
    case 'COMPLETED':
      break;
    default:
      return notCompleted('failed', { type: 'WorkflowFailed', message: w.failure ?? 'its workflow failed' });
  }
  const r = (w.result ?? {}) as Record<string, unknown>;
  const base = { end_time: ended, waiting_reason: null };
  switch (w.type) {
    case 'deviceJob': {
      const state = (r.state as CanonicalState | undefined) ?? 'failed';
      return {
        ...base,
        state,
        status: statusWordOf(kind, state),
        result: r.retval ?? null,
        error: (r.error as TaskError | null | undefined) ?? null,
        ...(iso(r.ended_at) ? { end_time: iso(r.ended_at) } : {}),
        ...(iso(r.started_at) ? { start_time: iso(r.started_at) } : {}),
        ...(typeof r.worker === 'string' ? { worker: r.worker } : {}),
      };
    }
    case 'commandRun': {
      const state = (r.state as CanonicalState | undefined) ?? 'failed';
      const error = state === 'succeeded' ? null : { type: state === 'timed_out' ? 'Timeout' : 'CommandFailed', message: `exit code ${String(r.exitCode ?? 'none')}` };
      return { ...base, state, status: statusWordOf(kind, state), result: { exit_code: r.exitCode ?? null }, error };
    }
    case 'gpuTask': {
      const state: CanonicalState = r.status === 'COMPLETED' ? 'succeeded' : r.status === 'TIMEOUT' ? 'timed_out' : 'failed';
      const error = state === 'succeeded' ? null : { type: state === 'timed_out' ? 'Timeout' : 'GpuTaskFailed', message: String(r.errorMessage ?? 'failed') };
      return { ...base, state, status: statusWordOf(kind, state), result: r.result ?? null, error };
    }
    case 'serviceTask': {
      const ok = r.status === 'finished';
      const message = typeof r.message === 'string' ? r.message : null;
      const state: CanonicalState = ok ? 'succeeded' : message?.startsWith('timeout') ? 'timed_out' : 'failed';
      return {
        ...base,
        state,
        status: statusWordOf(kind, state),
        result: r.data ?? null,
        error: ok ? null : { type: state === 'timed_out' ? 'Timeout' : 'ServiceFailed', message: message ?? 'failed' },
      };
    }
    default:
      return { ...base, state: 'failed', status: statusWordOf(kind, 'failed'), error: { type: 'WorkflowFailed', message: `unexpected workflow type ${w.type}` } };
  }
}

/** A record that waits or runs although no workflow run exists for it. */
export function orphanFields(kind: TaskKind, now: Date): TerminalFields {
  return {
    state: 'failed',
    status: statusWordOf(kind, 'failed'),
    end_time: now,
    waiting_reason: null,
    error: { type: 'NotStarted', message: 'no workflow was ever started for this task (the process that accepted it stopped first); submit it again' },
  };
}
