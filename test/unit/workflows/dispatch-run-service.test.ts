/**
 * The GPU dispatcher, a scheduled command run and a service task on Temporal's time-skipping test server with
 * mocked activities: the dispatcher's VIP/NORMAL rules and its retry on another node, the run's timeout and
 * retries, and the service task's legal status transitions and timeout.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { MirrorWrite } from '../../../activities/index.js';
import type { DispatchRoundInput, DispatchRoundOutput } from '../../../activities/gpu.js';
import type { RunCommandResult } from '../../../activities/shell.js';
import { dispatcherWorkflowId, gpuEnqueueSignal, gpuWakeSignal } from '../../../src/gpu/contract.js';
import { planAssignments, type NodeSlots, type QueueEntry } from '../../../src/gpu/priority.js';
import type { CommandRunInput } from '../../../src/scheduler/contract.js';
import { serviceStatusUpdate, TRANSITION_REFUSED, type ServiceTaskInput } from '../../../src/service-tasks/contract.js';
import type { commandRun, gpuDispatcher, serviceTask } from '../../../workflows/index.js';
import { settledResult, testWorkflowBundle, useTimeSkippingEnv, withClockRunning } from '../../support/time-skipping.js';

let env: TestWorkflowEnvironment;
let client: Client;
useTimeSkippingEnv((e, c) => ((env = e), (client = c)));

/** A worker on a fresh task queue with these activities, for the length of `body`. */
async function withWorker<T>(activities: object, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await testWorkflowBundle(), activities });
  const run = worker.run();
  try {
    return await body(taskQueue);
  } finally {
    worker.shutdown();
    await run;
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---- the GPU dispatcher -------------------------------------------------------------------------------------

/** A cluster the fake round places on with the real placement rule; `refuses` nodes answer a task with an error. */
class FakeCluster {
  placed = new Map<string, string>();
  rounds: string[][] = [];
  constructor(
    readonly nodes: NodeSlots[],
    readonly refuses: Set<string> = new Set(),
  ) {}

  round = async (input: DispatchRoundInput): Promise<DispatchRoundOutput> => {
    this.rounds.push(input.waiting.map((e) => e.taskId));
    const out: DispatchRoundOutput = { placed: [], failed: [], dropped: [], retry: [], soon: [] };
    for (const a of planAssignments(input.waiting, this.nodes)) {
      if (this.refuses.has(a.gpuId)) {
        out.failed.push({ taskId: a.taskId, gpuId: a.gpuId, reason: 'node refused' });
        continue;
      }
      this.nodes.find((n) => n.gpuId === a.gpuId)!.freeSlots -= 1;
      this.placed.set(a.taskId, a.gpuId);
      out.placed.push(a.taskId);
    }
    return out;
  };

  free(gpuId: string): void {
    this.nodes.find((n) => n.gpuId === gpuId)!.freeSlots += 1;
  }
}

function entry(taskId: string, priority: number, seq: number): QueueEntry {
  return { taskId, priority, seq, attempt: 0, maxRetries: 3, excluded: [] };
}

async function startDispatcher(taskQueue: string, queue: QueueEntry[]) {
  const taskType = Math.floor(Math.random() * 1e6);
  return client.workflow.start<typeof gpuDispatcher>('gpuDispatcher', { taskQueue, workflowId: dispatcherWorkflowId(taskQueue, taskType), args: [{ taskType, queue }] });
}

describe('GPU dispatcher (time-skipping)', { timeout: 30_000 }, () => {
  it('places VIP tasks first and keeps the VIP node for VIP work while a VIP task waits', async () => {
    // One VIP slot, and the NORMAL node is full.
    const cluster = new FakeCluster([
      { gpuId: 'vip-1', supportedTaskPriority: 'VIP', freeSlots: 1 },
      { gpuId: 'normal-1', supportedTaskPriority: 'NORMAL', freeSlots: 0 },
    ]);
    await withWorker({ gpuDispatchRound: cluster.round }, async (tq) => {
      // A NORMAL task came first, then two VIP tasks.
      const d = await startDispatcher(tq, [entry('n-old', 1, 1), entry('v-a', 2, 2), entry('v-b', 3, 3)]);
      try {
        await waitFor(() => cluster.placed.size === 1, 'the first placement');
        // The round saw VIP first (higher priority first), then NORMAL.
        expect(cluster.rounds[0]).toEqual(['v-b', 'v-a', 'n-old']);
        expect(Object.fromEntries(cluster.placed)).toEqual({ 'v-b': 'vip-1' });
        // The VIP slot frees: v-a (VIP) gets it, not n-old, though n-old waited longer.
        cluster.free('vip-1');
        await d.signal(gpuWakeSignal);
        await waitFor(() => cluster.placed.size === 2, 'the VIP slot reused');
        expect(cluster.placed.get('v-a')).toBe('vip-1');
        expect(cluster.placed.has('n-old')).toBe(false);
        // No VIP task waits now: the NORMAL task may use the free VIP node.
        cluster.free('vip-1');
        await d.signal(gpuWakeSignal);
        await waitFor(() => cluster.placed.size === 3, 'the NORMAL task');
        expect(cluster.placed.get('n-old')).toBe('vip-1');
      } finally {
        await d.terminate('test over');
      }
    });
  });

  it('sends a task a node refused to another node and never back to the one that refused', async () => {
    const cluster = new FakeCluster(
      [
        { gpuId: 'a-bad', supportedTaskPriority: 'NORMAL', freeSlots: 4 },
        { gpuId: 'b-good', supportedTaskPriority: 'NORMAL', freeSlots: 1 },
      ],
      new Set(['a-bad']),
    );
    await withWorker({ gpuDispatchRound: cluster.round }, async (tq) => {
      const d = await startDispatcher(tq, []);
      try {
        await d.signal(gpuEnqueueSignal, entry('t1', 1, 1));
        await waitFor(() => cluster.placed.size === 1, 'the retry');
        expect(cluster.placed.get('t1')).toBe('b-good');
        // The first round offered a-bad (most free slots); the second round carried the exclusion.
        expect(cluster.rounds.length).toBeGreaterThanOrEqual(2);
      } finally {
        await d.terminate('test over');
      }
    });
  });
});

// ---- a scheduled command run --------------------------------------------------------------------------------

function runInput(over: Partial<CommandRunInput> = {}): CommandRunInput {
  return { scheduleId: 7, taskName: 't', owner: 'o', command: 'true', env: {}, timeoutSeconds: 5, retryCount: 0, priority: 1, maxInstances: 1, source: 'command', ...over };
}

function result(over: Partial<RunCommandResult>): RunCommandResult {
  const now = new Date().toISOString();
  return {
    exitCode: 0,
    signal: null,
    timedOut: false,
    startedAt: now,
    endedAt: now,
    durationSeconds: 0.1,
    maxMemoryMb: 1,
    avgCpuPercent: 1,
    outputSummary: null,
    errorTail: null,
    logFilePath: '/l',
    errorLogPath: '/e',
    workspacePath: '/w',
    truncated: false,
    ...over,
  };
}

describe('command run (time-skipping)', { timeout: 30_000 }, () => {
  async function run(input: CommandRunInput, runCommand: (a: { attempt: number }) => Promise<RunCommandResult>, skip = false) {
    const writes: MirrorWrite[] = [];
    const attempts: number[] = [];
    const out = await withWorker(
      {
        mirrorTask: async (w: MirrorWrite) => (writes.push(w), 'applied'),
        countRunningExecutions: async () => 0,
        runCommand: async (a: { attempt: number }) => (attempts.push(a.attempt), runCommand(a)),
      },
      async (tq) => {
        const h = await client.workflow.start<typeof commandRun>('commandRun', { taskQueue: tq, workflowId: `sched-x-7-${randomUUID()}`, args: [input] });
        return skip ? withClockRunning(env, () => settledResult(h)) : settledResult(h);
      },
    );
    return { out, writes, attempts, last: writes.at(-1)! };
  }

  it('retries a failed attempt retryCount times and ends with the attempt that succeeded', async () => {
    const script = [result({ exitCode: 1, errorTail: 'boom' }), result({ timedOut: true, exitCode: null, signal: 'SIGKILL' }), result({ exitCode: 0 })];
    const r = await run(runInput({ retryCount: 2 }), async ({ attempt }) => script[attempt - 1]!);
    expect(r.out).toEqual({ state: 'succeeded', exitCode: 0 });
    expect(r.attempts).toEqual([1, 2, 3]);
    expect(r.last).toMatchObject({ state: 'succeeded', error: null, details: { attempts: 3, exit_code: 0 } });
  });

  it('ends TIMEOUT when every attempt ran past timeout_seconds, with no more attempts than allowed', async () => {
    const r = await run(runInput({ retryCount: 1, timeoutSeconds: 7 }), async () => result({ timedOut: true, exitCode: null, signal: 'SIGKILL' }));
    expect(r.out.state).toBe('timed_out');
    expect(r.attempts).toEqual([1, 2]);
    expect(r.last).toMatchObject({ state: 'timed_out', status: 'TIMEOUT', error: { type: 'Timeout', message: expect.stringContaining('7 s') } });
  });
});

// ---- a service task -----------------------------------------------------------------------------------------

describe('service task (time-skipping)', { timeout: 30_000 }, () => {
  function serviceInput(over: Partial<ServiceTaskInput> = {}): ServiceTaskInput {
    return { taskId: `svc-${randomUUID()}`, service: 'algo', sourceName: 's', condition: {}, dispatch: 'kafka', timeoutSeconds: 600, ...over };
  }

  async function withServiceWorker<T>(body: (tq: string, writes: MirrorWrite[], published: unknown[]) => Promise<T>): Promise<T> {
    const writes: MirrorWrite[] = [];
    const published: unknown[] = [];
    return withWorker(
      {
        mirrorServiceTask: async (w: MirrorWrite) => (writes.push(w), 'applied'),
        publishServiceTask: async (m: unknown) => void published.push(m),
      },
      (tq) => body(tq, writes, published),
    );
  }

  it('takes waiting → running → finished from the module and refuses what is not a legal report', async () => {
    await withServiceWorker(async (tq, writes, published) => {
      const input = serviceInput();
      const h = await client.workflow.start<typeof serviceTask>('serviceTask', { taskQueue: tq, workflowId: input.taskId, args: [input] });
      await waitFor(() => published.length === 1, 'the task message published');
      const refused = (status: unknown) =>
        expect(h.executeUpdate(serviceStatusUpdate, { args: [{ status } as never] })).rejects.toMatchObject({ cause: { type: TRANSITION_REFUSED } });
      await refused('bogus');
      expect(await h.executeUpdate(serviceStatusUpdate, { args: [{ status: 'running', message: 'started' }] })).toEqual({ task_id: input.taskId, status: 'running' });
      // running → running is allowed (progress), as is the final word.
      await h.executeUpdate(serviceStatusUpdate, { args: [{ status: 'running', message: 'half way' }] });
      await h.executeUpdate(serviceStatusUpdate, { args: [{ status: 'finished', data: { n: 1 } }] });
      const out = await settledResult(h);
      expect(out).toEqual({ status: 'finished', data: { n: 1 }, message: null });
      expect(writes.map((w) => w.state)).toEqual(['queued', 'running', 'running', 'succeeded']);
      // Revisions only grow, so a late write never overtakes a newer one.
      const revs = writes.map((w) => w.rev);
      expect([...revs].sort((a, b) => a - b)).toEqual(revs);
    });
  });

  it('fails a Kafka task that hears nothing within timeout_seconds; a finished task takes no more reports', async () => {
    await withServiceWorker(async (tq, writes) => {
      // A 2 s timeout in real time: the test server's clock does not jump while any activity of an earlier test in
      // this file is still scheduled, so skipping an hour here made the outcome depend on test order and load.
      const kafka = serviceInput({ timeoutSeconds: 2 });
      const hk = await client.workflow.start<typeof serviceTask>('serviceTask', { taskQueue: tq, workflowId: kafka.taskId, args: [kafka] });
      const out = await settledResult(hk);
      expect(out.status).toBe('failed');
      expect(out.message).toMatch(/timeout: no final status within 2 s/);
      expect(writes.at(-1)).toMatchObject({ state: 'timed_out', error: { type: 'Timeout' } });
      await expect(hk.executeUpdate(serviceStatusUpdate, { args: [{ status: 'running' }] })).rejects.toThrow();
    });
  });

  it('refuses reports for a task its Temporal service worker runs', async () => {
    await withServiceWorker(async (tq) => {
      const temporal = serviceInput({ dispatch: 'temporal', timeoutSeconds: 30 });
      // No worker polls `service.algo`: the task stays running, and a report is refused all the same.
      const ht = await client.workflow.start<typeof serviceTask>('serviceTask', { taskQueue: tq, workflowId: temporal.taskId, args: [temporal] });
      try {
        await expect(ht.executeUpdate(serviceStatusUpdate, { args: [{ status: 'finished' }] })).rejects.toMatchObject({ cause: { type: TRANSITION_REFUSED } });
      } finally {
        await ht.terminate('test over');
      }
    });
  });
});
