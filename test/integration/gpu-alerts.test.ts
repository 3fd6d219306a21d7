import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { FakeGpuNode } from '../support/gpu-fake-node.js';

// The documented thresholds, set low enough to cross in seconds: GPU_FAILURE_THRESHOLD (a node FAULTY after that
// many failures in a row), GPU_QUEUE_ALERT_THRESHOLD and GPU_FAILURE_RATE_ALERT_THRESHOLD (WARNING alerts from
// the monitoring round). The other GPU tests set the alert thresholds out of reach.
const env = testEnv('gpualerts', {
  gpu: { heartbeatTimeoutSeconds: 60, defaultTaskTimeoutSeconds: 120, maxRetries: 0, failureThreshold: 2, queueAlertThreshold: 2, failureRateAlertThreshold: 0.5, nodeCallTimeoutMs: 2000 },
  cluster: { id: 'test-gpualerts', heartbeatSeconds: 1, leaseSeconds: 3 },
});
const KEY = env.config.auth.gpuApiKey;
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
const nodes: FakeGpuNode[] = [];

interface Alert {
  id: string;
  title: string;
  message: string;
  level: string;
  status: string;
}

async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(`${api.url}/api/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, data: ((await res.json()) as { data: T }).data };
}
const create = async (body: Record<string, unknown>) => {
  const r = await call<{ taskId: string }>('POST', '/tasks', body);
  expect(r.status).toBe(200);
  return r.data.taskId;
};
const status = async (id: string) => (await call<{ status: string }>('GET', `/tasks/${id}`)).data.status;
const ended = (id: string) => eventually(async () => (['COMPLETED', 'FAILED', 'TIMEOUT'].includes(await status(id)) ? status(id) : null), `task ${id} to end`, 60_000, 200);
const alerts = async () => (await call<Alert[]>('GET', '/monitoring/alerts?size=100')).data;
async function node(opts: Omit<ConstructorParameters<typeof FakeGpuNode>[0], 'api' | 'key'>): Promise<FakeGpuNode> {
  const n = await new FakeGpuNode({ api: api.url, key: KEY, ...opts }).start();
  nodes.push(n);
  return n;
}

beforeAll(async () => {
  worker = await createWorkerRuntime({ config: env.config, logger: env.logger, workflowBundle: await workflowBundle(), kafka: false });
  workerDone = worker.run();
  api = await createApiRuntime({ config: env.config, logger: env.logger, port: 0, kafka: false });
}, 180_000);

afterAll(async () => {
  for (const n of nodes) await n.stop().catch(() => undefined);
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await env.cleanup();
}, 60_000);

describe('GPU thresholds', () => {
  it('raises the failure-rate alert once 10 finished tasks fail more often than the threshold, not before', async () => {
    const ids: string[] = [];
    // Nine time out after a second, the tenth after four: the round in between sees nine finished.
    for (let i = 0; i < 10; i++) ids.push(await create({ taskType: 703, timeout: i < 9 ? 1000 : 4000 }));
    for (const id of ids.slice(0, 9)) expect(await ended(id)).toBe('TIMEOUT');
    // Nine finished: below the ten the rate needs, so no alert yet (the round ran; its record says so).
    await call('POST', '/monitoring/check');
    const nine = await call<{ status: string }>('GET', '/monitoring/health/task');
    expect(await status(ids[9]!)).toBe('QUEUED');
    expect((await alerts()).filter((a) => a.title === '任务失败率告警')).toEqual([]);
    expect(nine.data.status).toBe('HEALTHY');
    expect(await ended(ids[9]!)).toBe('TIMEOUT');
    await call('POST', '/monitoring/check');
    const raised = (await alerts()).filter((a) => a.title === '任务失败率告警');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ level: 'WARNING', status: 'ACTIVE', message: expect.stringMatching(/^最近 10 个任务失败率 100\.0% 超过阈值 50\.0%$/) });
    expect((await call<{ status: string }>('GET', '/monitoring/health/task')).data.status).toBe('WARNING');
  });

  it('raises the queue-length alert when a task type waits beyond the threshold, and clears the queue health when it drains', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await create({ taskType: 702, timeout: 60_000 }));
    await call('POST', '/monitoring/check');
    const raised = (await alerts()).filter((a) => a.title === '队列积压告警' && a.message.includes(' 702 '));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ level: 'WARNING', status: 'ACTIVE', message: '任务类型 702 的队列长度 3 超过阈值 2' });
    expect((await call<{ status: string }>('GET', '/monitoring/health/queue')).data.status).toBe('WARNING');
    await node({ gpuId: 'n_drain', taskTypes: [702], capacity: 3, completeAfterMs: 50 });
    for (const id of ids) expect(await ended(id)).toBe('COMPLETED');
    await call('POST', '/monitoring/check');
    expect((await call<{ status: string }>('GET', '/monitoring/health/queue')).data.status).toBe('HEALTHY');
  });

  it('marks a node FAULTY after GPU_FAILURE_THRESHOLD refusals in a row, not after fewer', async () => {
    await node({ gpuId: 'n_refuse', taskTypes: [704], capacity: 1, answer: 500 });
    expect(await ended(await create({ taskType: 704 }))).toBe('FAILED');
    expect((await call<{ status: string; failureCount: number }>('GET', '/gpus/n_refuse')).data).toMatchObject({ status: 'ACTIVE', failureCount: 1 });
    expect(await ended(await create({ taskType: 704 }))).toBe('FAILED');
    await eventually(async () => (await call<{ status: string }>('GET', '/gpus/n_refuse')).data.status === 'FAULTY', 'the node to be FAULTY');
    expect((await alerts()).filter((a) => a.message.includes('n_refuse') && a.level === 'CRITICAL')).toHaveLength(1);
  });

  it('marks a node FAULTY after GPU_FAILURE_THRESHOLD tasks it reported FAILED in a row', async () => {
    const n = await node({ gpuId: 'n_failing', taskTypes: [705], capacity: 1, completeAfterMs: null });
    for (let i = 0; i < 2; i++) {
      const id = await create({ taskType: 705 });
      await eventually(async () => n.received.some((t) => t.taskId === id), 'the task on the node');
      expect((await call<{ status: string }>('GET', '/gpus/n_failing')).data.status).toBe('ACTIVE');
      const r = await n.call('POST', `/tasks/${id}/status`, { status: 'FAILED', gpuId: 'n_failing', errorMessage: 'CUDA error' });
      expect(r.code).toBe(200);
      expect(await ended(id)).toBe('FAILED');
    }
    await eventually(async () => (await call<{ status: string }>('GET', '/gpus/n_failing')).data.status === 'FAULTY', 'the node to be FAULTY');
  });
});
