import { DEVICE_STATUS } from './status-mapping.js';

/** How a device job ended, as its run reports it and its workflow returns it. */
export interface DeviceOutcomeFields {
  state: 'succeeded' | 'failed' | 'timed_out' | 'cancelled';
  retval: unknown;
  error: { type: string; message: string } | null;
  worker: string | null;
  started_at: string | null;
  ended_at: string;
}

/**
 * The job's terminal record write (a mirror write: times as ISO strings), the same whether the run that did the
 * work writes it or the job's workflow does.
 */
export function deviceFinalWrite(jobId: string, rev: number, o: DeviceOutcomeFields) {
  return {
    task_id: jobId,
    rev,
    state: o.state,
    status: DEVICE_STATUS[o.state],
    end_time: o.ended_at,
    waiting_reason: null,
    result: o.retval,
    error: o.error,
    ...(o.worker ? { worker: o.worker } : {}),
    ...(o.started_at ? { start_time: o.started_at } : {}),
    publish: true,
  };
}

/** What a job ends with: the lane or the run hands it to a pinned job's workflow, which returns it. */
export interface DeviceJobOutcome extends DeviceOutcomeFields {
  rev: number;
  /** The run that did the work wrote the terminal record already. */
  recorded?: boolean;
}

/** What a job's run reports (the device activities' outcome carries more). */
export interface DeviceRunReport {
  ok: boolean;
  retval: unknown;
  error: { type: string; message: string } | null;
  worker: string;
  started_at: string;
  ended_at: string;
  /** The revision of the `started` write: the workflow's final write must be newer. */
  rev: number;
  /** The terminal record is written (the run writes it when MongoDB answers; the job's workflow otherwise). */
  recorded?: boolean;
}

/** A run's report as the job's outcome. */
export function jobOutcomeOfRun(r: DeviceRunReport): DeviceJobOutcome {
  return { state: r.ok ? 'succeeded' : 'failed', retval: r.retval, error: r.error, worker: r.worker, started_at: r.started_at, ended_at: r.ended_at, rev: r.rev, recorded: r.recorded };
}
