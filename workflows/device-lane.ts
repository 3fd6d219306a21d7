import {
  ActivityFailure,
  condition,
  makeContinueAsNewFunc,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
  allHandlersFinished,
  proxyLocalActivities,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DeviceBatchItem, DeviceRunActivities } from '../activities/device.js';
import {
  laneCancelUpdate,
  laneEnqueueSignal,
  laneResultSignal,
  LANE_WORKFLOW_TASK_TIMEOUT_S,
  type DeviceJobOutcome,
  type DeviceLaneInput,
  type LaneJob,
} from '../src/device/contract.js';
import { jobOutcomeOfRun } from '../src/domain/device-outcome.js';
import { WORKER_LOST_ATTEMPTS, workerLostError } from '../src/domain/worker-lost.js';
import { claimRetryDelayMs, classifyFailure, DEVICE_CONNECT_ATTEMPTS, failureOutcome } from './device-job.js';
import { moveToNewCodeSignal, WORKFLOW_CODE_VERSION, workflowCodeVersionQuery } from '../src/temporal/versioning.js';
import { MIRROR_LOCAL } from './presets.js';

const { deviceCancelQueued } = proxyLocalActivities<Pick<Activities, 'deviceCancelQueued'>>(MIRROR_LOCAL);

/** Seconds a job may sit on a worker's own queue before the worker counts as gone and ownership moves. */
export const PINNED_PICKUP_TIMEOUT_S = 3;
/** Seconds without an activity heartbeat before a running job's worker counts as gone. */
export const PINNED_HEARTBEAT_TIMEOUT_S = 5;
/** Jobs per lane run before it continues as new (keeps its history small). */
export const LANE_JOBS_PER_RUN = 200;
/**
 * Waiting `command` jobs handed to the owner in one activity. A round trip through the server costs tens of
 * milliseconds on the dev server, more than an `echo` on a pooled session, so jobs that already wait go
 * together; each still starts (and can be cancelled until then) on its own.
 */
export const LANE_BATCH_MAX = 20;
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
 * and makes sure each job's workflow gets its outcome (the batch signals it as each job ends; the lane signals
 * those it could not). Whether a job may still be cancelled is decided here: a job in
 * `pending` has not started. When the owner stops picking up work or heartbeating, another live worker becomes
 * the owner and the job runs there (a `config` job that had started re-runs only when the request allows it).
 */
export async function deviceLane(input: DeviceLaneInput): Promise<void> {
  const pending: LaneJob[] = [...(input.pending ?? [])];
  let owner: string | null = input.owner ?? null;
  const lost = new Set<string>();
  let served = 0;
  /** Jobs of the batch the owner is running now. */
  const inFlight = new Set<string>();
  // Outcomes on their way to job workflows: not awaited one by one, so the next job starts in the same
  // workflow task; drained before the lane ends or continues as new.
  const inflight = new Set<Promise<void>>();
  const handOver = (jobId: string, outcome: DeviceJobOutcome) => {
    const p = signalJob(jobId, outcome).finally(() => inflight.delete(p));
    inflight.add(p);
  };

  // A new deployment asks the lane to continue on its code: the jobs waiting go along (see the loop).
  let moveOn = false;
  setHandler(moveToNewCodeSignal, () => {
    moveOn = true;
  });
  setHandler(workflowCodeVersionQuery, () => WORKFLOW_CODE_VERSION);
  setHandler(laneEnqueueSignal, (job) => {
    if (!pending.some((j) => j.jobId === job.jobId)) pending.push(job);
  });
  setHandler(
    laneCancelUpdate,
    async (jobId) => {
      const i = pending.findIndex((j) => j.jobId === jobId);
      if (i >= 0) {
        pending.splice(i, 1);
        await signalJob(jobId, failureOutcome('Cancelled', 'job was cancelled before it started', 'cancelled'));
        return true;
      }
      // Handed to the owner but maybe not started: the cancel wins only if it is decided before the job's run.
      if (!inFlight.has(jobId)) return false;
      const ok = await deviceCancelQueued({ jobId, rev: Date.now() * 1000 + 500, at: new Date().toISOString() });
      if (ok) await signalJob(jobId, failureOutcome('Cancelled', 'job was cancelled before it started', 'cancelled'));
      return ok;
    },
    {
      validator: (jobId) => {
        if (!pending.some((j) => j.jobId === jobId) && !inFlight.has(jobId)) throw new Error(`job ${jobId} has started or is not waiting on this host`);
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

  /** The next batch: waiting `command` jobs in order; a `config` job goes alone (see `runBatch`). */
  function takeBatch(): LaneJob[] {
    if (pending[0]?.request.mode === 'config') return [pending.shift()!];
    const batch: LaneJob[] = [];
    while (pending.length > 0 && batch.length < LANE_BATCH_MAX && pending[0]!.request.mode === 'command') batch.push(pending.shift()!);
    return batch;
  }

  function settle(items: DeviceBatchItem[]): Set<string> {
    const settled = new Set<string>();
    for (const item of items) {
      settled.add(item.jobId);
      inFlight.delete(item.jobId);
      // A skipped job's cancel already told its workflow; so did the batch, for a job it could signal itself.
      if ('outcome' in item && !item.signalled) handOver(item.jobId, jobOutcomeOfRun(item.outcome));
    }
    return settled;
  }

  function finish(job: LaneJob, outcome: DeviceJobOutcome): void {
    inFlight.delete(job.jobId);
    handOver(job.jobId, outcome);
  }

  /**
   * Runs a batch on the owner until every job has an outcome. Jobs the activity did not report (the owner was
   * lost, or a job failed to connect) are sent again; the one that may have been running when the owner was
   * lost is a `config` job only when it is alone, and then it re-runs only if the request says it is safe.
   */
  async function runBatch(batch: LaneJob[]): Promise<void> {
    for (const j of batch) inFlight.add(j.jobId);
    let rest = batch;
    let connAttempts = 0;
    let claimWaits = 0;
    const startedOnce = new Set<string>();
    /** Per job: how many owners were lost while it was the one running (the poison-pill bound). */
    const lostUnder = new Map<string, number>();
    while (rest.length > 0) {
      rest = rest.filter((j) => {
        if (!expired(j) || startedOnce.has(j.jobId)) return true;
        finish(j, failureOutcome('Timeout', `job did not start within its ttl of ${j.request.ttlSeconds}s`, 'timed_out'));
        return false;
      });
      if (rest.length === 0) return;
      if (!owner) owner = await pickOwner(rest[0]!);
      if (!owner) {
        for (const j of rest) finish(j, failureOutcome('Timeout', `no live worker for ${j.queue} within the job's ttl`, 'timed_out'));
        return;
      }
      const act = proxyActivities<Pick<DeviceRunActivities, 'deviceRunPinnedBatch'>>({
        taskQueue: `${input.workerQueuePrefix}${owner}`,
        scheduleToStartTimeout: `${PINNED_PICKUP_TIMEOUT_S}s`,
        startToCloseTimeout: `${rest.reduce((sum, j) => sum + j.request.executionTimeoutSeconds, 0)}s`,
        heartbeatTimeout: `${PINNED_HEARTBEAT_TIMEOUT_S}s`,
        retry: { maximumAttempts: 1 },
      });
      try {
        const items = await act.deviceRunPinnedBatch({ jobs: rest.map((j) => ({ jobId: j.jobId, request: j.request, queue: j.queue })), owner });
        lost.clear();
        const settled = settle(items);
        rest = rest.filter((j) => !settled.has(j.jobId));
        continue;
      } catch (e) {
        if (isCancellation(e)) throw e;
        const settled = settle(reportedBefore(e));
        rest = rest.filter((j) => !settled.has(j.jobId));
        if (rest.length === 0) return;
        const first = rest[0]!;
        const f = classifyFailure(e);
        if (f.kind === 'schedule') {
          lost.add(owner);
          owner = null;
          continue;
        }
        if (f.kind === 'heartbeat') {
          lost.add(owner);
          owner = null;
          startedOnce.add(first.jobId);
          // The first job the batch did not report is the one that was running when the owner was lost.
          const times = (lostUnder.get(first.jobId) ?? 0) + 1;
          lostUnder.set(first.jobId, times);
          if (first.request.mode === 'config' && !first.request.safeToRetry) {
            const err = workerLostError(times, ': a config job may be partly applied, so it was not run again (safe_to_retry is off)');
            finish(first, failureOutcome(err.type, err.message));
            rest = rest.slice(1);
          } else if (times >= WORKER_LOST_ATTEMPTS) {
            // A poison pill: it took this many owners down; the jobs behind it go on without it.
            const err = workerLostError(times);
            finish(first, failureOutcome(err.type, err.message));
            rest = rest.slice(1);
          }
          continue;
        }
        if (f.kind === 'claim') {
          // Not started: the ttl check at the top of the loop still bounds how long it waits for MongoDB.
          await sleep(claimRetryDelayMs(claimWaits++));
          continue;
        }
        if (f.kind === 'connection' && ++connAttempts < DEVICE_CONNECT_ATTEMPTS) {
          await sleep(1000 * 2 ** (connAttempts - 1));
          continue;
        }
        finish(first, failureOutcome(f.type, f.message, f.kind === 'run-timeout' ? 'timed_out' : 'failed'));
        rest = rest.slice(1);
      }
    }
  }

  for (;;) {
    const got = await condition(() => pending.length > 0 || moveOn, LANE_IDLE);
    if (!got && pending.length === 0) {
      await Promise.all([...inflight]);
      await condition(allHandlersFinished);
      if (pending.length === 0) return;
    }
    // Between batches: no job of this run is in flight, every waiting one is in `pending`.
    if (served >= LANE_JOBS_PER_RUN || workflowInfo().continueAsNewSuggested || moveOn) {
      await Promise.all([...inflight]);
      await condition(allHandlersFinished);
      await makeContinueAsNewFunc<typeof deviceLane>({ workflowTaskTimeout: `${LANE_WORKFLOW_TASK_TIMEOUT_S}s` })({ ...input, pending: [...pending], owner });
    }
    const batch = takeBatch();
    if (batch.length === 0) continue;
    served += batch.length;
    await runBatch(batch);
  }
}

/** Outcomes a failed batch reported in its heartbeats before it failed. */
function reportedBefore(e: unknown): DeviceBatchItem[] {
  if (!(e instanceof ActivityFailure) || !(e.cause instanceof TimeoutFailure)) return [];
  const details = e.cause.lastHeartbeatDetails;
  return Array.isArray(details) ? (details as DeviceBatchItem[]) : [];
}

async function signalJob(jobId: string, outcome: DeviceJobOutcome): Promise<void> {
  try {
    await getExternalWorkflowHandle(jobId).signal(laneResultSignal, outcome);
  } catch {
    // The job's workflow is gone (terminated by an operator): nobody is waiting for this outcome.
  }
}
