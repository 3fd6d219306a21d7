/**
 * A fifo job whose worker is lost under it (no result, no heartbeat: an OOM kill, a native crash) on Temporal's
 * time-skipping test server with mocked activities. It must go to another worker, but a job that takes every worker
 * down with it (a poison pill) ends `WorkerLost` after WORKER_LOST_ATTEMPTS, and a config job that may be half
 * applied runs again only when its request allows it. The 30 s heartbeat timeouts pass in an instant; the pinned
 * path is proven with real worker processes in test/integration/poison-pill.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { DeviceRunInput } from '../../../activities/device.js';
import type { DeviceJobOutcome } from '../../../src/device/contract.js';
import type { DeviceJobRequest } from '../../../src/device/request.js';
import { WORKER_LOST_ATTEMPTS } from '../../../src/domain/worker-lost.js';
import type { deviceJob } from '../../../workflows/device-job.js';
import { testWorkflowBundle, useTimeSkippingEnv, withClockRunning } from '../../support/time-skipping.js';
import { deviceJobRequest } from '../../support/device-job-request.js';

let env: TestWorkflowEnvironment;
let client: Client;
useTimeSkippingEnv((e, c) => ((env = e), (client = c)));

/** The fifo activity's heartbeat timeout (workflows/device-job.ts). */
const HEARTBEAT_TIMEOUT_MS = 30_000;

/** A fifo job (the lane's tests use the pinned default). */
const request = (over: Partial<DeviceJobRequest> = {}) => deviceJobRequest({ queueStrategy: 'fifo', executionTimeoutSeconds: 300, ...over });

/**
 * Runs one fifo job: its workflow on a base queue (the terminal write is recorded), its SSH activity on the fifo
 * queue, where the first `lostRuns` runs freeze (never answer, never heartbeat) and any later one succeeds.
 */
async function runFifoJob(req: DeviceJobRequest, lostRuns: number): Promise<{ outcome: DeviceJobOutcome; runs: number; written: unknown[] }> {
  const base = `fifo-test-${randomUUID()}`;
  const fifoTaskQueue = `${base}.fifo`;
  const written: unknown[] = [];
  let runs = 0;
  const workflowBundle = await testWorkflowBundle();
  const main = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: base,
    workflowBundle,
    activities: { mirrorTask: async (w: unknown) => (written.push(w), 'applied' as const) },
  });
  const fifo = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: fifoTaskQueue,
    activities: {
      deviceRunFifo: async (input: DeviceRunInput) => {
        runs++;
        if (runs <= lostRuns) await new Promise((resolve) => Context.current().cancellationSignal.addEventListener('abort', resolve));
        const now = new Date().toISOString();
        return { ok: true, retval: `ran ${input.jobId}`, error: null, worker: 'w-ok', started_at: now, ended_at: now, rev: 1, recorded: false };
      },
    },
  });
  const workers = [main, fifo];
  const running = workers.map((w) => w.run());
  const jobId = `job-${randomUUID()}`;
  try {
    const handle = await client.workflow.start<typeof deviceJob>('deviceJob', {
      taskQueue: base,
      workflowId: jobId,
      args: [{ jobId, request: req, queue: 'FifoQ', host: req.connection.host, fifoTaskQueue }],
    });
    // The test server does not skip time while an activity runs, so the frozen run's heartbeat timeout is
    // reached by moving the clock past it, once per frozen run.
    let passed = 0;
    const outcome = await withClockRunning(env, async () => {
      for (;;) {
        const status = (await handle.describe()).status.name;
        if (status !== 'RUNNING') return handle.result();
        if (runs > passed && runs <= lostRuns) {
          passed = runs;
          await env.sleep(HEARTBEAT_TIMEOUT_MS + 1000);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    return { outcome, runs, written };
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
  }
}

describe('a fifo job whose worker is lost (time-skipping)', { timeout: 60_000 }, () => {
  it(`a poison pill ends WorkerLost after ${WORKER_LOST_ATTEMPTS} lost workers, not handed round forever`, async () => {
    const { outcome, runs, written } = await runFifoJob(request(), Number.MAX_SAFE_INTEGER);
    expect(runs).toBe(WORKER_LOST_ATTEMPTS);
    expect(outcome.state).toBe('failed');
    expect(outcome.error?.type).toBe('WorkerLost');
    expect(outcome.error?.message).toContain(`lost ${WORKER_LOST_ATTEMPTS} times (attempts: ${WORKER_LOST_ATTEMPTS})`);
    // Its end is recorded, so a client polling the job sees it.
    expect(written).toContainEqual(expect.objectContaining({ state: 'failed' }));
  });

  it('a command job whose worker was lost once runs again on another and succeeds', async () => {
    const { outcome, runs } = await runFifoJob(request(), 1);
    expect(runs).toBe(2);
    expect(outcome.state).toBe('succeeded');
  });

  it('a config job is not run again after a lost worker unless the request says safe_to_retry', async () => {
    const unsafe = await runFifoJob(request({ mode: 'config' }), 1);
    expect(unsafe.runs).toBe(1);
    expect(unsafe.outcome.state).toBe('failed');
    expect(unsafe.outcome.error?.message).toContain('safe_to_retry is off');
    const safe = await runFifoJob(request({ mode: 'config', safeToRetry: true }), 1);
    expect(safe.runs).toBe(2);
    expect(safe.outcome.state).toBe('succeeded');
  });
});
