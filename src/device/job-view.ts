import type { CanonicalState } from '../domain/status.js';
import { DEVICE_STATUS, deviceErrorType, fromDialectStatus } from '../domain/status-mapping.js';
import { durationSeconds, type TaskRecord } from '../domain/task.js';
import { workflowUiUrl, type TemporalUi } from '../domain/temporal-ui.js';

/** A job as `GET /job` shows it (netpulse-job-api.md GetJobResponse), for a task of any kind. */
export interface DeviceJobView {
  id: string;
  status: string;
  queue: string;
  created_at: string | null;
  enqueued_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  worker: string | null;
  result: { type: 'success' | 'failure'; retval: unknown; error: { type: string; message: string } | null } | null;
  duration: number | null;
  queue_time: number | null;
  kind: string;
  host: string | null;
  waiting_reason?: string | null;
  /** The job's workflow (its id is the job id) and its page in the Temporal UI. */
  workflow_id?: string;
  temporal_ui_url?: string;
}

/** ISO 8601 with an explicit offset (`+00:00`), the form the document's examples use. */
export function isoWithOffset(d: Date | null | undefined): string | null {
  if (!d) return null;
  return d.toISOString().replace(/Z$/, '+00:00');
}

const TERMINAL: CanonicalState[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];

export function toJobView(r: TaskRecord, ui?: TemporalUi): DeviceJobView {
  const status = DEVICE_STATUS[r.state] ?? r.status;
  let result: DeviceJobView['result'] = null;
  if (r.state === 'succeeded') result = { type: 'success', retval: r.result ?? null, error: null };
  else if (TERMINAL.includes(r.state)) {
    const type = deviceErrorType(r.state, r.error?.type) ?? (r.state === 'cancelled' ? 'Cancelled' : 'Error');
    result = { type: 'failure', retval: r.result ?? null, error: { type, message: r.error?.message ?? (r.state === 'cancelled' ? 'job was cancelled' : 'failed') } };
  }
  const enqueued = r.enqueue_time ?? r.create_time;
  const view: DeviceJobView = {
    id: r.task_id,
    status,
    queue: r.queue,
    created_at: isoWithOffset(r.create_time),
    enqueued_at: isoWithOffset(enqueued),
    started_at: isoWithOffset(r.start_time),
    ended_at: isoWithOffset(r.end_time),
    worker: r.worker,
    result,
    duration: durationSeconds(r.start_time, r.end_time),
    queue_time: r.start_time ? durationSeconds(enqueued, r.start_time) : null,
    kind: r.kind,
    host: r.host,
  };
  if (status === 'queued') view.waiting_reason = r.waiting_reason ?? null;
  if (ui) {
    view.workflow_id = r.task_id;
    view.temporal_ui_url = workflowUiUrl(ui, r.task_id);
  }
  return view;
}

export const JOB_STATUS_WORDS = ['queued', 'started', 'finished', 'failed', 'cancelled'] as const;

/** `?status=` → the canonical states it stands for; unknown words answer null. */
export function statesForStatus(word: string): CanonicalState[] | null {
  if (!(JOB_STATUS_WORDS as readonly string[]).includes(word)) return null;
  return fromDialectStatus('device', word);
}

export interface JobFilterInput {
  queue?: string;
  status?: string;
  host?: string;
  /** Worker names that stand for `?node=` (the node itself and the workers on that hostname). */
  nodeWorkers?: string[];
}

/** The MongoDB filter of `GET /job` / `DELETE /job` (id handled separately: it beats the rest). */
export function jobFilter(q: JobFilterInput): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  if (q.queue) f.queue = q.queue;
  if (q.host) f.host = q.host;
  if (q.status) {
    const states = statesForStatus(q.status);
    if (!states) throw new Error(`unknown status '${q.status}'`);
    f.state = states.length === 1 ? states[0] : { $in: states };
  }
  if (q.nodeWorkers) f.worker = { $in: q.nodeWorkers };
  return f;
}

/** Why a queued job waits, in words: its place on its pinned host, or the state of the fifo pool. */
export function waitingReason(opts: { queue: string; ahead: string[]; liveWorkers: number; queueStrategy: 'pinned' | 'fifo' }): string {
  if (opts.liveWorkers === 0) return `no worker polls ${opts.queue}`;
  if (opts.queueStrategy === 'pinned') {
    if (opts.ahead.length === 0) return `next on ${opts.queue}`;
    return `behind job ${opts.ahead[opts.ahead.length - 1]} on ${opts.queue}, position ${opts.ahead.length + 1}`;
  }
  if (opts.ahead.length === 0) return `waiting for a free ${opts.queue} worker`;
  return `waiting for a free ${opts.queue} worker, ${opts.ahead.length} job(s) ahead`;
}
