import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import type { DeviceRunActivities } from '../activities/device.js';
import { cancelJobUpdate, laneResultSignal, type DeviceJobInput, type DeviceJobOutcome } from '../src/device/contract.js';
import { deviceFinalWrite, jobOutcomeOfRun } from '../src/domain/device-outcome.js';
import { SA_STATUS } from '../src/temporal/search-attributes.js';
import { WORKER_LOST_ATTEMPTS, workerLostError } from '../src/domain/worker-lost.js';
import { MIRROR_LOCAL } from './presets.js';
import { nowIso, TaskMirror } from './mirror.js';

const { deviceCancelQueued } = proxyLocalActivities<Pick<Activities, 'deviceCancelQueued'>>(MIRROR_LOCAL);
const { deviceWebhook } = proxyActivities<Pick<Activities, 'deviceWebhook'>>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/** Connection errors are retried this many times in all (fifo and pinned alike); any other failure ends the job. */
export const DEVICE_CONNECT_ATTEMPTS = 5;

/**
 * A claim MongoDB did not answer sent nothing to the device: the job waits for MongoDB (within its ttl, like any
 * job that has not started) instead of spending its connection attempts, so an outage of the mirror fails no job.
 */
export function claimRetryDelayMs(waits: number): number {
  return Math.min(10_000, 1000 * 2 ** Math.min(waits, 4));
}

export function failureOutcome(type: string, message: string, state: DeviceJobOutcome['state'] = 'failed'): DeviceJobOutcome {
  return { state, retval: null, error: { type, message }, worker: null, started_at: null, ended_at: nowIso(), rev: 0 };
}

/** Classifies an activity failure the way the device API reports it. */
export function classifyFailure(e: unknown): { kind: 'schedule' | 'heartbeat' | 'run-timeout' | 'connection' | 'claim' | 'cancelled' | 'other'; type: string; message: string } {
  if (e instanceof ActivityFailure) {
    const cause = e.cause;
    if (cause instanceof TimeoutFailure) {
      if (cause.timeoutType === TimeoutType.SCHEDULE_TO_START) return { kind: 'schedule', type: 'Timeout', message: 'no worker picked the job up in time' };
      if (cause.timeoutType === TimeoutType.HEARTBEAT) return { kind: 'heartbeat', type: 'WorkerLost', message: 'the worker running the job stopped answering' };
      return { kind: 'run-timeout', type: 'Timeout', message: 'the job ran longer than its execution_timeout' };
    }
    if (cause instanceof ApplicationFailure) {
      if (cause.type === 'DeviceClaimError') return { kind: 'claim', type: cause.type, message: cause.message };
      if (cause.type === 'SshConnectionError') return { kind: 'connection', type: cause.type, message: cause.message };
      if (cause.type === 'JobNotClaimable') return { kind: 'cancelled', type: 'Cancelled', message: cause.message };
      return { kind: 'other', type: cause.type ?? 'Error', message: cause.message };
    }
    return { kind: 'other', type: cause?.name ?? 'Error', message: cause?.message ?? e.message };
  }
  return { kind: 'other', type: (e as Error).name ?? 'Error', message: (e as Error).message ?? String(e) };
}

/**
 * One device job. Fifo: the SSH activity goes to the fifo queue (any worker, fresh connection); `ttl` is its
 * schedule-to-start timeout. Pinned: the host's lane runs it and signals the outcome here. Either way this
 * workflow writes the terminal record and calls the webhook.
 */
export async function deviceJob(input: DeviceJobInput): Promise<DeviceJobOutcome> {
  const { jobId, request: req } = input;
  const mirror = new TaskMirror(jobId);
  let started = false;
  let done = false;
  let cancelled = false;
  let laneOutcome: DeviceJobOutcome | undefined;

  setHandler(laneResultSignal, (o) => {
    laneOutcome ??= o;
  });
  setHandler(
    cancelJobUpdate,
    async () => {
      if (cancelled) return true;
      const ok = await deviceCancelQueued({ jobId, rev: mirror.nextRev(), at: nowIso() });
      if (ok) cancelled = true;
      return ok;
    },
    {
      validator: () => {
        if (req.queueStrategy === 'pinned') throw new Error('a pinned job is cancelled through its lane');
        if (done || started) throw new Error('job has already started');
      },
    },
  );

  let outcome: DeviceJobOutcome;
  try {
    if (req.queueStrategy === 'fifo') {
      const run = proxyActivities<Pick<DeviceRunActivities, 'deviceRunFifo'>>({
        taskQueue: input.fifoTaskQueue,
        scheduleToStartTimeout: `${req.ttlSeconds}s`,
        startToCloseTimeout: `${req.executionTimeoutSeconds}s`,
        // Long enough that a loaded machine does not pass for a dead worker; a dead one is caught by it.
        heartbeatTimeout: '30s',
        retry: { maximumAttempts: 1 },
      });
      let attempt = 0;
      let lostWorkers = 0;
      let claimWaits = 0;
      const enqueuedAt = Date.now();
      for (;;) {
        attempt++;
        try {
          outcome = jobOutcomeOfRun(await run.deviceRunFifo({ jobId, request: req, queue: input.queue }));
          break;
        } catch (e) {
          if (isCancellation(e)) throw e;
          const f = classifyFailure(e);
          if (f.kind === 'claim') {
            if (Date.now() - enqueuedAt < req.ttlSeconds * 1000) {
              attempt--;
              await sleep(claimRetryDelayMs(claimWaits++));
              continue;
            }
            outcome = failureOutcome('Timeout', `job did not start within its ttl of ${req.ttlSeconds}s (MongoDB did not answer its claim)`, 'timed_out');
            break;
          }
          if (f.kind === 'connection' && attempt < DEVICE_CONNECT_ATTEMPTS) {
            await sleep(1000 * 2 ** (attempt - 1));
            continue;
          }
          if (f.kind === 'heartbeat') {
            // Its worker died or hung under it: once more on another worker, but a job that takes every worker
            // down with it (a poison pill) ends after WORKER_LOST_ATTEMPTS.
            lostWorkers++;
            attempt--;
            const rerun = req.mode === 'command' || req.safeToRetry;
            if (rerun && lostWorkers < WORKER_LOST_ATTEMPTS) continue;
            const err = rerun ? workerLostError(lostWorkers) : workerLostError(lostWorkers, ': a config job may be partly applied, so it was not run again (safe_to_retry is off)');
            outcome = failureOutcome(err.type, err.message);
            break;
          }
          if (f.kind === 'cancelled') {
            outcome = failureOutcome('Cancelled', 'job was cancelled before it started', 'cancelled');
            break;
          }
          if (f.kind === 'schedule') {
            outcome = failureOutcome('Timeout', `job did not start within its ttl of ${req.ttlSeconds}s`, 'timed_out');
            break;
          }
          outcome = failureOutcome(f.type, f.message, f.kind === 'run-timeout' ? 'timed_out' : 'failed');
          break;
        }
      }
    } else {
      // The lane answers; the bound only guards against a lane that vanished (it checks the ttl itself).
      const bound = (req.ttlSeconds + req.executionTimeoutSeconds + 120) * 1000;
      const got = await condition(() => laneOutcome !== undefined, bound);
      outcome = got && laneOutcome ? laneOutcome : failureOutcome('Timeout', `job did not finish within ttl + execution_timeout`, 'timed_out');
    }
  } catch (e) {
    if (!isCancellation(e)) throw e;
    done = true;
    await CancellationScope.nonCancellable(async () => {
      await mirror.write({ state: 'cancelled', status: 'cancelled', end_time: nowIso(), waiting_reason: null, error: { type: 'Cancelled', message: 'job was cancelled before it started' }, publish: true });
    });
    throw e;
  }
  done = true;
  started = outcome.started_at !== null;
  if (cancelled && outcome.state === 'cancelled') return outcome;
  const rev = Math.max(mirror.nextRev(), outcome.rev + 1);
  if (!outcome.recorded) await mirrorTask(deviceFinalWrite(jobId, rev, outcome));
  upsertSearchAttributes([{ key: SA_STATUS, value: outcome.state }]);
  if (req.webhook) {
    try {
      await deviceWebhook({ jobId, webhook: req.webhook });
    } catch {
      // The webhook is best effort once its retries are spent; the job's own state stands.
    }
  }
  return outcome;
}

const { mirrorTask } = proxyLocalActivities<Pick<Activities, 'mirrorTask'>>(MIRROR_LOCAL);

