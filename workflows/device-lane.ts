import {
  condition,
  continueAsNew,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { DeviceRunActivities } from '../activities/device.js';
import type { DeviceJobRequest } from '../src/device/request.js';
import { classifyFailure, DEVICE_CONNECT_ATTEMPTS, failureOutcome, laneResultSignal, outcomeOf, type DeviceJobOutcome } from './device-job.js';

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

export const laneEnqueueSignal = defineSignal<[LaneJob]>('laneEnqueue');
/** Removes a job from the lane if it has not started; rejected (validator) once it has. */
export const laneCancelUpdate = defineUpdate<boolean, [string]>('laneCancel');

/** The lane's workflow id: one lane per host (and per deployment's base task queue). */
export function laneWorkflowId(base: string, host: string): string {
  return `lane-${host}@${base}`;
}

/** Seconds a job may sit on a worker's own queue before the worker counts as gone and ownership moves. */
export const PINNED_PICKUP_TIMEOUT_S = 10;
/** Seconds without an activity heartbeat before a running job's worker counts as gone. */
export const PINNED_HEARTBEAT_TIMEOUT_S = 10;
/** Jobs per lane run before it continues as new (keeps its history small). */
export const LANE_JOBS_PER_RUN = 200;
/** A lane with nothing to do ends after this long; the next job starts it again. */
const LANE_IDLE = '10 minutes';

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * The per-host lane (Temporal's mutex sample, made a scheduler): it holds the host's waiting jobs in submission
 * order, runs each job's SSH activity on the owning worker's own task queue, one at a time and back to back,
 * and signals each job's workflow its outcome. Whether a job may still be cancelled is decided here: a job in
 * `pending` has not started. When the owner stops picking up work or heartbeating, another live worker becomes
 * the owner and the job runs there (a `config` job that had started re-runs only when the request allows it).
 */
export async function deviceLane(input: DeviceLaneInput): Promise<void> {
  const pending: LaneJob[] = [...(input.pending ?? [])];
  let owner: string | null = input.owner ?? null;
  const lost = new Set<string>();
  let served = 0;
  // Outcomes on their way to job workflows: not awaited one by one, so the next job starts in the same
  // workflow task; drained before the lane ends or continues as new.
  const inflight = new Set<Promise<void>>();
  const handOver = (jobId: string, outcome: DeviceJobOutcome) => {
    const p = signalJob(jobId, outcome).finally(() => inflight.delete(p));
    inflight.add(p);
  };

  setHandler(laneEnqueueSignal, (job) => {
    if (!pending.some((j) => j.jobId === job.jobId)) pending.push(job);
  });
  setHandler(
    laneCancelUpdate,
    async (jobId) => {
      const i = pending.findIndex((j) => j.jobId === jobId);
      if (i < 0) return false;
      pending.splice(i, 1);
      await signalJob(jobId, failureOutcome('Cancelled', 'job was cancelled before it started', 'cancelled'));
      return true;
    },
    {
      validator: (jobId) => {
        if (!pending.some((j) => j.jobId === jobId)) throw new Error(`job ${jobId} has started or is not waiting on this host`);
      },
    },
  );

  const { deviceLiveWorkers } = proxyActivities<Pick<DeviceRunActivities, 'deviceLiveWorkers'>>({
    taskQueue: input.fifoTaskQueue,
    startToCloseTimeout: '10s',
    scheduleToStartTimeout: '30s',
    retry: { maximumAttempts: 3 },
  });

  const expired = (job: LaneJob) => Date.now() - new Date(job.enqueuedAt).getTime() > job.request.ttlSeconds * 1000;

  async function pickOwner(job: LaneJob): Promise<string | null> {
    for (;;) {
      let names: string[] = [];
      try {
        names = await deviceLiveWorkers({ base: input.base });
      } catch (e) {
        if (isCancellation(e)) throw e;
      }
      if (owner && names.includes(owner) && !lost.has(owner)) return owner;
      let candidates = names.filter((n) => !lost.has(n));
      if (candidates.length === 0 && names.length > 0) {
        lost.clear();
        candidates = names;
      }
      if (candidates.length > 0) return candidates[hash(input.host) % candidates.length]!;
      if (expired(job)) return null;
      await sleep('2s');
    }
  }

  async function run(job: LaneJob): Promise<DeviceJobOutcome> {
    let connAttempts = 0;
    let startedOnce = false;
    for (;;) {
      if (expired(job) && !startedOnce) return failureOutcome('Timeout', `job did not start within its ttl of ${job.request.ttlSeconds}s`, 'timed_out');
      if (!owner) owner = await pickOwner(job);
      if (!owner) return failureOutcome('Timeout', `no live worker for ${job.queue} within the job's ttl`, 'timed_out');
      const act = proxyActivities<Pick<DeviceRunActivities, 'deviceRunPinned'>>({
        taskQueue: `${input.workerQueuePrefix}${owner}`,
        scheduleToStartTimeout: `${PINNED_PICKUP_TIMEOUT_S}s`,
        startToCloseTimeout: `${job.request.executionTimeoutSeconds}s`,
        heartbeatTimeout: `${PINNED_HEARTBEAT_TIMEOUT_S}s`,
        retry: { maximumAttempts: 1 },
      });
      try {
        const r = await act.deviceRunPinned({ jobId: job.jobId, request: job.request, queue: job.queue, owner });
        lost.clear();
        return outcomeOf(r);
      } catch (e) {
        if (isCancellation(e)) throw e;
        const f = classifyFailure(e);
        if (f.kind === 'schedule') {
          lost.add(owner);
          owner = null;
          continue;
        }
        if (f.kind === 'heartbeat') {
          lost.add(owner);
          owner = null;
          startedOnce = true;
          if (job.request.mode === 'config' && !job.request.safeToRetry) {
            return failureOutcome('WorkerLost', 'the worker running this config job was lost; the configuration may be partly applied, so it was not run again');
          }
          continue;
        }
        if (f.kind === 'connection' && ++connAttempts < DEVICE_CONNECT_ATTEMPTS) {
          await sleep(1000 * 2 ** (connAttempts - 1));
          continue;
        }
        if (f.kind === 'cancelled') return failureOutcome('Cancelled', f.message, 'cancelled');
        return failureOutcome(f.type, f.message, f.kind === 'run-timeout' ? 'timed_out' : 'failed');
      }
    }
  }

  for (;;) {
    const got = await condition(() => pending.length > 0, LANE_IDLE);
    if (!got && pending.length === 0) {
      await Promise.all([...inflight]);
      await condition(allHandlersFinished);
      if (pending.length === 0) return;
    }
    if (served >= LANE_JOBS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await Promise.all([...inflight]);
      await condition(allHandlersFinished);
      await continueAsNew<typeof deviceLane>({ ...input, pending: [...pending], owner });
    }
    const job = pending.shift();
    if (!job) continue;
    served++;
    handOver(job.jobId, await run(job));
  }
}

async function signalJob(jobId: string, outcome: DeviceJobOutcome): Promise<void> {
  try {
    await getExternalWorkflowHandle(jobId).signal(laneResultSignal, outcome);
  } catch {
    // The job's workflow is gone (terminated by an operator): nobody is waiting for this outcome.
  }
}
