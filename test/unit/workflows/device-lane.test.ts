/**
 * The host lane's decisions on Temporal's time-skipping test server with mocked activities: the order jobs run
 * in, a cancel that wins before the job starts, ttl expiry while no worker is live, and moving to another owner
 * when the chosen one stops picking up work or heartbeating. Waits of seconds to minutes pass in an instant.
 */
import { randomUUID } from 'node:crypto';
import type { Client} from '@temporalio/client';
import { type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { DeviceBatchInput, DeviceBatchItem } from '../../../activities/device.js';
import { laneCancelUpdate, laneEnqueueSignal, laneInput, laneWorkflowId, type DeviceJobOutcome, type LaneJob } from '../../../src/device/contract.js';
import type { DeviceJobRequest } from '../../../src/device/request.js';
import type { deviceLane } from '../../../workflows/device-lane.js';
import { moveToNewCodeSignal, WORKFLOW_CODE_VERSION, workflowCodeVersionQuery } from '../../../src/temporal/versioning.js';
import type { laneJobProbe } from '../../support/workflow-tests/workflows.js';
import { settledResult, testWorkflowBundle, useTimeSkippingEnv, withClockRunning } from '../../support/time-skipping.js';
import { deviceJobRequest } from '../../support/device-job-request.js';

let env: TestWorkflowEnvironment;
/** A client that never unlocks the server's clock: time passes only where a test says so (`env.sleep`). */
let client: Client;
useTimeSkippingEnv((e, c) => ((env = e), (client = c)));


function ran(jobId: string, worker: string): DeviceBatchItem {
  const now = new Date().toISOString();
  return { jobId, outcome: { ok: true, retval: `ran ${jobId}`, error: null, worker, started_at: now, ended_at: now, rev: 1, recorded: true } };
}

interface Fake {
  /** Live worker names as deviceLiveWorkers answers them. */
  live: string[];
  /** Times the lane asked (it asks once it has taken a batch and looks for an owner). */
  lookups: number;
  /** Batches each owner was handed, in order. */
  batches: { owner: string; jobs: string[] }[];
  /** Jobs whose cancel won the claim: a run skips them, as the real one does. */
  claimedByCancel: Set<string>;
  /** Owners whose batch never ends and never heartbeats (a worker that froze). */
  frozen: Set<string>;
  cancelQueued: string[];
  /** What the run's claim answers a cancel of a job handed to the owner. */
  cancelWins: boolean;
}

/**
 * One worker on the lane's base queue (the lane's workflow tasks and the cancel's local activity), one on the
 * fifo queue (the live-worker lookup) and one per named owner on that owner's own queue, each running its batch with a fake.
 */
async function runLane<T>(owners: string[], fake: Fake, body: (ctx: { base: string; host: string }) => Promise<T>): Promise<T> {
  const base = `lane-test-${randomUUID()}`;
  const host = `10.0.0.${Math.floor(Math.random() * 200) + 1}`;
  const input = laneInput(base, host);
  const workflowBundle = await testWorkflowBundle();
  const main = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: base,
    workflowBundle,
    activities: {
      deviceCancelQueued: async ({ jobId }: { jobId: string }) => {
        fake.cancelQueued.push(jobId);
        if (fake.cancelWins) fake.claimedByCancel.add(jobId);
        return fake.cancelWins;
      },
    },
  });
  // The live-worker lookup runs on the fifo queue (any worker of the deployment answers it).
  const fifo = await Worker.create({ connection: env.nativeConnection, taskQueue: input.fifoTaskQueue, activities: { deviceLiveWorkers: async () => (fake.lookups++, fake.live) } });
  const ownerWorkers = await Promise.all(
    owners.map((owner) =>
      Worker.create({
        connection: env.nativeConnection,
        taskQueue: `${input.workerQueuePrefix}${owner}`,
        activities: {
          deviceRunPinnedBatch: async (b: DeviceBatchInput): Promise<DeviceBatchItem[]> => {
            fake.batches.push({ owner, jobs: b.jobs.map((j) => j.jobId.split('@')[0]!) });
            // A frozen worker: no result, no heartbeat, until the worker shuts down.
            if (fake.frozen.has(owner)) await new Promise((resolve) => Context.current().cancellationSignal.addEventListener('abort', resolve));
            return b.jobs.map((j) => (fake.claimedByCancel.has(j.jobId) ? { jobId: j.jobId, skipped: true as const } : ran(j.jobId, owner)));
          },
        },
      }),
    ),
  );
  const workers = [main, fifo, ...ownerWorkers];
  const runs = workers.map((w) => w.run());
  try {
    return await body({ base, host });
  } finally {
    // A workflow left running with no worker would hold the server's clock (it skips only when all is idle).
    await client.workflow
      .getHandle(laneWorkflowId(base, host))
      .terminate('test over')
      .catch(() => undefined);
    for (const w of workers) w.shutdown();
    await Promise.all(runs);
  }
}

async function laneJob(base: string, host: string, name: string, req: DeviceJobRequest) {
  const jobId = `${name}@${base}`;
  const probe = await client.workflow.start<typeof laneJobProbe>('laneJobProbe', { taskQueue: base, workflowId: jobId });
  // The test server's clock, which skips ahead: the lane compares the ttl against it.
  const job: LaneJob = { jobId, request: req, queue: `pinned_${host}`, enqueuedAt: new Date(await env.currentTimeMs()).toISOString() };
  return { job, probe };
}

/**
 * Enqueues a job the way the device service does (signal-with-start of the lane) and starts its probe;
 * `carried`: jobs the lane starts with, as a run continued-as-new carries them.
 */
async function enqueue(base: string, host: string, name: string, req: DeviceJobRequest, carried: LaneJob[] = []) {
  const { job, probe } = await laneJob(base, host, name, req);
  await client.workflow.signalWithStart<typeof deviceLane, [LaneJob]>('deviceLane', {
    taskQueue: base,
    workflowId: laneWorkflowId(base, host),
    args: [{ ...laneInput(base, host), pending: carried }],
    signal: laneEnqueueSignal,
    signalArgs: [job],
  });
  return probe;
}

function newFake(over: Partial<Fake> = {}): Fake {
  return { live: ['w1'], lookups: 0, batches: [], frozen: new Set(), cancelQueued: [], claimedByCancel: new Set(), cancelWins: true, ...over };
}

describe('device lane (time-skipping)', { timeout: 30_000 }, () => {
  it('runs jobs in submission order: waiting commands together, a config job alone', async () => {
    const fake = newFake();
    await runLane(['w1'], fake, async ({ base, host }) => {
      // A lane continued-as-new with five jobs waiting, then a sixth arrives by signal.
      const carried = [
        await laneJob(base, host, 'job-a', deviceJobRequest()),
        await laneJob(base, host, 'job-b', deviceJobRequest()),
        await laneJob(base, host, 'job-c', deviceJobRequest()),
        await laneJob(base, host, 'job-d', deviceJobRequest({ mode: 'config' })),
        await laneJob(base, host, 'job-e', deviceJobRequest()),
      ];
      const last = await enqueue(base, host, 'job-f', deviceJobRequest(), carried.map((c) => c.job));
      const all = [...carried.map((c) => c.probe), last];
      const outcomes = await Promise.all(all.map((p) => settled(p)));
      expect(outcomes.map((o) => `${o.state} ${o.error?.message ?? ''}`)).toEqual(Array(6).fill('succeeded '));
      expect(fake.batches).toEqual([
        { owner: 'w1', jobs: ['job-a', 'job-b', 'job-c'] },
        { owner: 'w1', jobs: ['job-d'] },
        { owner: 'w1', jobs: ['job-e', 'job-f'] },
      ]);
    });
  });

  it('cancels a job that has not started; a job handed to the owner is cancelled only if its claim agrees', async () => {
    // No worker is live yet: job-a (config) is taken into a batch that waits for an owner, job-b waits behind it.
    const fake = newFake({ live: [] });
    await runLane(['w1'], fake, async ({ base, host }) => {
      const a = await enqueue(base, host, 'job-a', deviceJobRequest({ mode: 'config' }));
      await waitFor(() => fake.lookups > 0);
      const b = await enqueue(base, host, 'job-b', deviceJobRequest());
      const lane = client.workflow.getHandle(laneWorkflowId(base, host));
      // Waiting in the lane: removed there, no claim asked.
      expect(await lane.executeUpdate(laneCancelUpdate, { args: [`job-b@${base}`] })).toBe(true);
      expect(fake.cancelQueued).toEqual([]);
      // Handed to a batch: the claim decides (here the cancel wins, so the run skips it).
      expect(await lane.executeUpdate(laneCancelUpdate, { args: [`job-a@${base}`] })).toBe(true);
      expect(fake.cancelQueued.map((id) => id.split('@')[0])).toEqual(['job-a']);
      // A job the lane no longer holds is refused by the validator.
      await expect(lane.executeUpdate(laneCancelUpdate, { args: [`job-b@${base}`] })).rejects.toMatchObject({ cause: { message: expect.stringMatching(/has started or is not waiting/) } });
      const c = await enqueue(base, host, 'job-c', deviceJobRequest());
      fake.live = ['w1'];
      expect((await settled(b)).state).toBe('cancelled');
      expect((await settled(a)).state).toBe('cancelled');
      expect((await settled(c)).state).toBe('succeeded');
      // Only job-c ran; job-a was skipped by its run (the claim was the cancel's), job-b never left the lane.
      expect(fake.batches.flatMap((x) => x.jobs)).toEqual(['job-a', 'job-c']);
    });
  });

  it('refuses to cancel a job whose run has claimed it', async () => {
    const fake = newFake({ live: [], cancelWins: false });
    await runLane(['w1'], fake, async ({ base, host }) => {
      const a = await enqueue(base, host, 'job-a', deviceJobRequest({ mode: 'config' }));
      await waitFor(() => fake.lookups > 0);
      const lane = client.workflow.getHandle(laneWorkflowId(base, host));
      expect(await lane.executeUpdate(laneCancelUpdate, { args: [`job-a@${base}`] })).toBe(false);
      fake.live = ['w1'];
      expect((await settled(a)).state).toBe('succeeded');
    });
  });

  it('times a job out when no worker is live within its ttl, without running it', async () => {
    const fake = newFake({ live: [] });
    await runLane([], fake, async ({ base, host }) => {
      const t0 = Date.now();
      const p = await enqueue(base, host, 'job-ttl', deviceJobRequest({ ttlSeconds: 4 }));
      const o = await settled(p, true);
      expect(o.state).toBe('timed_out');
      expect(o.error?.message).toMatch(/ttl/);
      expect(fake.batches).toEqual([]);
      // Bounded by the ttl, whether the server's clock skipped (usually) or ran in real time (a loaded machine).
      expect(Date.now() - t0).toBeLessThan(15_000);
    });
  });

  it('moves to another live worker when the owner picks nothing up', async () => {
    // `gone` is listed live but polls nothing: its batch waits out the pick-up timeout and w2 takes the job.
    const fake = newFake({ live: ['gone', 'w2'] });
    await runLane(['w2'], fake, async ({ base, host }) => {
      const owners = new Set<string>();
      const probes: WorkflowHandle<typeof laneJobProbe>[] = [];
      for (let i = 0; i < 4; i++) probes.push(await enqueue(base, host, `job-${i}`, deviceJobRequest()));
      const outcomes = await withClockRunning(env, () => Promise.all(probes.map((p) => settledResult(p))));
      for (const o of outcomes) owners.add(o.worker ?? '');
      expect(outcomes.map((o) => o.state)).toEqual(Array(4).fill('succeeded'));
      expect([...owners]).toEqual(['w2']);
    });
  });

  it('does not re-run a config job whose owner was lost mid-run unless the request allows it', async () => {
    const fake = newFake({ live: ['w1', 'w2'], frozen: new Set(['w1', 'w2']) });
    await runLane(['w1', 'w2'], fake, async ({ base, host }) => {
      const unsafe = await enqueue(base, host, 'cfg-unsafe', deviceJobRequest({ mode: 'config' }));
      const o = await settled(unsafe, true);
      expect(o.state).toBe('failed');
      expect(o.error?.type).toBe('WorkerLost');
      // It ran once, on one owner, and was not handed to the other.
      expect(fake.batches).toHaveLength(1);
      fake.frozen.clear();
      const safe = await enqueue(base, host, 'cfg-safe', deviceJobRequest({ mode: 'config', safeToRetry: true }));
      expect((await settled(safe, true)).state).toBe('succeeded');
    });
  });

  it('continues as new on the current code when asked, carrying the jobs that wait', async () => {
    const fake = newFake({ live: [] });
    await runLane(['w1'], fake, async ({ base, host }) => {
      const a = await enqueue(base, host, 'job-a', deviceJobRequest({ mode: 'config' }));
      await waitFor(() => fake.lookups > 0);
      const b = await enqueue(base, host, 'job-b', deviceJobRequest());
      const lane = client.workflow.getHandle(laneWorkflowId(base, host));
      const firstRun = (await lane.describe()).runId;
      expect(await lane.query(workflowCodeVersionQuery)).toBe(WORKFLOW_CODE_VERSION);
      await lane.signal(moveToNewCodeSignal);
      fake.live = ['w1'];
      expect((await settled(a)).state).toBe('succeeded');
      expect((await settled(b)).state).toBe('succeeded');
      // job-a's batch ended in the first run; job-b ran in the next one, carried across continue-as-new.
      const first = client.workflow.getHandle(laneWorkflowId(base, host), firstRun);
      expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
      expect((await lane.describe()).runId).not.toBe(firstRun);
      expect(fake.batches.flatMap((x) => x.jobs)).toEqual(['job-a', 'job-b']);
    });
  });
});

/**
 * A probe's outcome. `skip`: the server's clock jumps to the next timer whenever nothing runs while the probe
 * waits (timers, ttl, pick-up and heartbeat timeouts pass in an instant); otherwise only real time passes.
 */
async function settled(probe: WorkflowHandle<typeof laneJobProbe>, skip = false): Promise<DeviceJobOutcome> {
  return skip ? withClockRunning(env, () => settledResult(probe)) : settledResult(probe);
}

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
