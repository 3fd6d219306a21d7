import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { scheduleIdFor } from '../../src/scheduler/contract.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle, type TestEnv } from '../support/env.js';
import { startPrivateTemporal, type PrivateTemporal } from '../support/temporal-dev.js';

// A task's `priority` orders its runs where they wait for a worker (Temporal task-queue priority). Priority
// holds per task-queue partition, and the shared dev server gives each task queue 4: runs spread over them
// come out only roughly in priority order. This file runs its own dev server with one partition per task
// queue (`matching.numTaskqueueReadPartitions` / `WritePartitions` = 1), where the order is exact.
const P = '/api/v1/scheduler';
const workspaceRoot = mkdtempSync(join(tmpdir(), 'sched-prio-'));
const orderDir = mkdtempSync(join(tmpdir(), 'sched-prio-order-'));
let temporal: PrivateTemporal;
let env: TestEnv;
let api: ApiRuntime;
let client: TemporalClientHandle;
let worker: WorkerRuntime | null = null;
let workerDone: Promise<void> = Promise.resolve();
let token: string;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

beforeAll(async () => {
  temporal = await startPrivateTemporal({ 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 });
  env = testEnv('schedprio', {
    temporal: { address: temporal.address, namespace: 'default', taskQueue: 'tq_schedprio' },
    scheduler: { projects: [{ id: 1, name: 'p1', entry_command: 'echo p1' }], workspaceRoot },
    // One run at a time: a worker with a single activity slot (and the fewest workflow-task slots it allows).
    worker: { name: 'w_schedprio', heartbeatSeconds: 1, deadAfterSeconds: 5, shutdownGraceSeconds: 5, maxConcurrentActivities: 1, maxConcurrentWorkflowTasks: 2 },
  });
  token = await mintSchedulerToken(env.config.auth.schedulerJwtSecret, 'root', 'admin');
  api = await createApiRuntime({ config: env.config, logger: env.logger, port: 0, kafka: false });
  client = await connectTemporalClient(env.config);
}, 120_000);

afterAll(async () => {
  await worker?.shutdown();
  await workerDone;
  await api?.shutdown();
  await client?.close();
  await env?.cleanup();
  await temporal?.close();
  rmSync(workspaceRoot, { recursive: true, force: true });
  rmSync(orderDir, { recursive: true, force: true });
}, 120_000);

describe('scheduler priority', () => {
  it('hands waiting runs to a worker highest priority first', { timeout: 180_000 }, async () => {
    const order = join(orderDir, 'order.log');
    const tasks: { id: number; name: string; priority: number }[] = [];
    // Low-priority runs are queued first: first come first served would start them first.
    for (const [name, priority] of [['low-1', -10], ['low-2', -10], ['low-3', -10], ['high-1', 10], ['high-2', 10], ['high-3', 10]] as const) {
      const r = await call('POST', `${P}/tasks`, { name: `prio-${name}`, project_id: 1, schedule_type: 'ONCE', priority, action: { type: 'command', command: `echo ${name} >> ${order}; sleep 1` } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      tasks.push({ id: r.body.data.id as number, name, priority });
      // Wait for the run to be queued before the next one, so arrival order is the creation order.
      await eventually(async () => (await client.client.schedule.getHandle(scheduleIdFor(env.config.mongo.db, r.body.data.id as number)).describe()).info.recentActions.length > 0, `run of ${name} started`);
    }
    const low = await client.client.schedule.getHandle(scheduleIdFor(env.config.mongo.db, tasks[0]!.id)).describe();
    const high = await client.client.schedule.getHandle(scheduleIdFor(env.config.mongo.db, tasks[5]!.id)).describe();
    expect((low.action as { priority?: { priorityKey?: number } }).priority?.priorityKey).toBe(5);
    expect((high.action as { priority?: { priorityKey?: number } }).priority?.priorityKey).toBe(1);
    const waiting = await client.client.workflow.count(`WorkflowType = 'commandRun' AND ExecutionStatus = 'Running'`);
    expect(waiting.count).toBe(6);

    // Now a worker with one slot comes up and takes the waiting runs one by one.
    worker = await createWorkerRuntime({ config: env.config, logger: env.logger, workflowBundle: await workflowBundle(), kafka: false });
    workerDone = worker.run();
    for (const t of tasks) {
      await eventually(
        async () => {
          const items = (await call('GET', `${P}/tasks/${t.id}/executions`)).body.items as Json[];
          return items[0]?.status === 'SUCCESS';
        },
        `run of ${t.name} to succeed`,
        120_000,
        300,
      );
    }
    const started = readFileSync(order, 'utf8').trim().split('\n');
    expect(started).toHaveLength(6);
    expect(started.slice(0, 3).sort(), started.join(' ')).toEqual(['high-1', 'high-2', 'high-3']);
    expect(started.slice(3).sort(), started.join(' ')).toEqual(['low-1', 'low-2', 'low-3']);

    // The run's workflow and its command activity carry the key (the history says so).
    const highRun = (await call('GET', `${P}/tasks/${tasks[5]!.id}/executions`)).body.items[0].execution_id as string;
    const history = await client.client.workflow.getHandle(highRun).fetchHistory();
    const startedEvent = history.events?.find((e) => e.workflowExecutionStartedEventAttributes)?.workflowExecutionStartedEventAttributes;
    const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
    expect(startedEvent?.priority?.priorityKey).toBe(1);
    expect(scheduled?.priority?.priorityKey).toBe(1);
  });
});
