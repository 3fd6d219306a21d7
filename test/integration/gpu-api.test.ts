import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGpuActivities } from '../../activities/gpu.js';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { dispatcherWorkflowId, monitorWorkflowId } from '../../src/gpu/contract.js';
import { moveToNewCodeSignal } from '../../src/temporal/versioning.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { FakeGpuNode } from '../support/gpu-fake-node.js';

const env = testEnv('gpuapi', {
  gpu: { heartbeatTimeoutSeconds: 4, defaultTaskTimeoutSeconds: 120, maxRetries: 2, failureThreshold: 3, queueAlertThreshold: 1000, failureRateAlertThreshold: 0.99, nodeCallTimeoutMs: 2000 },
  cluster: { id: 'test-cluster', heartbeatSeconds: 1, leaseSeconds: 3 },
});
const KEY = env.config.auth.gpuApiKey;
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
const nodes: FakeGpuNode[] = [];
const keep: FakeGpuNode[] = [];

type Env<T = unknown> = { code: number; message: string; data: T };
async function call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }): Promise<{ status: number; body: Env<T> }> {
  const res = await fetch(`${api.url}/api/v2${path}`, {
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Env<T> };
}
interface TaskDO {
  taskId: string;
  status: string;
  gpuId: string | null;
  result: string | null;
  errorMessage: string | null;
  retryCount: number;
  waitingReason?: string;
  priority: number;
  displayId: number;
}
const task = async (id: string) => (await call<TaskDO>('GET', `/tasks/${id}`)).body.data;
const create = async (body: Record<string, unknown>) => {
  const r = await call<{ taskId: string; displayId: number; status: string; estimatedWaitTime: number }>('POST', '/tasks', body);
  expect(r.status).toBe(200);
  return r.body.data;
};
const waitStatus = (id: string, status: string, ms = 60_000) => eventually(async () => ((await task(id)).status === status ? task(id) : null), `${id} ${status}`, ms, 200);
async function node(opts: Omit<ConstructorParameters<typeof FakeGpuNode>[0], 'api' | 'key'>): Promise<FakeGpuNode> {
  const n = await new FakeGpuNode({ api: api.url, key: KEY, ...opts }).start();
  nodes.push(n);
  return n;
}

beforeAll(async () => {
  worker = await createWorkerRuntime({ config: env.config, logger: env.logger, workflowBundle: await workflowBundle(), kafka: false });
  workerDone = worker.run();
  api = await createApiRuntime({ config: env.config, logger: env.logger, port: 0, kafka: false });
});

// Nodes of a finished test stop and leave (a silent node stays registered, OFFLINE, until the end). A result
// report the API answered with a 5xx fails the test that caused it: the fake node does not retry it away.
afterEach(async () => {
  const failures = nodes.flatMap((n) => n.reportFailures);
  for (const n of nodes.splice(0)) {
    if ((n.opts.heartbeatMs ?? 1000) === 0) {
      keep.push(n);
      continue;
    }
    await n.stop().catch(() => undefined);
    await call('DELETE', `/gpus/${n.opts.gpuId}`).catch(() => undefined);
  }
  expect(failures).toEqual([]);
});

afterAll(async () => {
  for (const n of [...nodes, ...keep]) await n.stop().catch(() => undefined);
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await env.cleanup();
});

describe('GPU dialect: auth, errors, OpenAPI', () => {
  it('answers 401 in the envelope without or with a wrong key, and accepts Bearer or X-API-Key', async () => {
    expect(await call('GET', '/gpus', undefined, {})).toMatchObject({ status: 401, body: { code: 401, data: null } });
    expect((await call('GET', '/gpus', undefined, { authorization: 'Bearer nope-nope-nope' })).status).toBe(401);
    expect((await call('GET', '/gpus', undefined, { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await call('GET', '/gpus', undefined, { 'x-api-key': KEY })).body).toMatchObject({ code: 200, message: 'success' });
    expect((await call('GET', '/gpus')).body.code).toBe(200);
  });

  it('names the bad field in a 400 and answers 404 for unknown ids', async () => {
    const bad = await call('POST', '/tasks', { taskType: 'two' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('taskType');
    const badReg = await call('POST', '/gpus/register', { gpuId: 'x', hostname: 'h', ip: '127.0.0.1', port: 99999, supportedTaskTypes: [1] });
    expect(badReg.status).toBe(400);
    expect(badReg.body.message).toContain('port');
    expect((await call('GET', '/gpus/nope')).status).toBe(404);
    expect((await call('POST', '/gpus/nope/heartbeat')).status).toBe(404);
    expect((await call('GET', '/tasks/task_nope')).status).toBe(404);
    expect((await call('GET', '/tasks/task_nope/progress')).status).toBe(404);
    expect((await call('POST', '/monitoring/alerts/nope/acknowledge')).status).toBe(404);
    expect((await call('GET', '/monitoring/metrics/nope')).status).toBe(404);
    expect((await call('GET', '/nothing-here')).body).toMatchObject({ code: 404, data: null });
  });

  it('serves an OpenAPI document listing every endpoint with auth', async () => {
    const doc = (await (await fetch(`${api.url}/openapi/gpu.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown }>>; components: { securitySchemes: object } };
    const paths = Object.keys(doc.paths);
    for (const p of ['/api/v2/gpus', '/api/v2/gpus/{gpuId}', '/api/v2/gpus/by-task-type/{taskType}', '/api/v2/gpus/register', '/api/v2/tasks', '/api/v2/tasks/{taskId}/progress', '/api/v2/monitoring/overview', '/api/v2/monitoring/alerts/stats', '/api/v2/cluster/status']) {
      expect(paths).toContain(p);
    }
    expect(doc.paths['/api/v2/gpus']!.get!.security).toBeTruthy();
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['BearerKey', 'ApiKeyHeader']));
  });
});

describe('GPU nodes', () => {
  it('registers idempotently, heartbeats, faults, recovers, lists by task type and deregisters', async () => {
    const reg = { gpuId: 'n_life', hostname: 'h1', ip: '127.0.0.1', port: 1, supportedTaskTypes: [501, 502], supportedTaskPriority: 'VIP', version: '1.0.0', maxConcurrentTasks: 2, metadata: { gpuModel: 'RTX 4090' } };
    expect((await call('POST', '/gpus/register', reg)).body).toEqual({ code: 200, message: 'success', data: 'GPU注册成功' });
    expect((await call('POST', '/gpus/register', { ...reg, maxConcurrentTasks: 4, version: '1.1.0' })).body.code).toBe(200);
    const got = (await call<Record<string, unknown>>('GET', '/gpus/n_life')).body.data;
    expect(got).toMatchObject({ gpuId: 'n_life', status: 'ACTIVE', maxConcurrentTasks: 4, version: '1.1.0', currentTasks: 0, failureCount: 0, supportedTaskTypes: [501, 502] });
    expect((await call<unknown[]>('GET', '/gpus')).body.data.length).toBeGreaterThanOrEqual(1);
    expect((await call<{ gpuId: string }[]>('GET', '/gpus/by-task-type/501')).body.data.map((n) => n.gpuId)).toEqual(['n_life']);
    expect((await call<unknown[]>('GET', '/gpus/by-task-type/501?priority=NORMAL')).body.data).toEqual([]);
    expect((await call<unknown[]>('GET', '/gpus/by-task-type/501?priority=VIP')).body.data).toHaveLength(1);
    expect((await call('GET', '/gpus/by-task-type/501?priority=GOLD')).status).toBe(400);
    expect((await call('POST', '/gpus/n_life/heartbeat')).body.data).toBe('心跳更新成功');
    expect((await call('POST', `/gpus/n_life/fault?reason=${encodeURIComponent('手动标记')}`)).body.data).toBe('GPU已标记为故障');
    expect((await call<{ status: string }>('GET', '/gpus/n_life')).body.data.status).toBe('FAULTY');
    const alerts = (await call<{ message: string; level: string }[]>('GET', '/monitoring/alerts?level=CRITICAL')).body.data.filter((a) => a.message.includes('n_life'));
    expect(alerts).toHaveLength(1);
    expect((await call('POST', '/gpus/n_life/recover')).body.data).toBe('GPU恢复成功');
    expect((await call<{ status: string }>('GET', '/gpus/n_life')).body.data.status).toBe('ACTIVE');
    expect((await call('DELETE', '/gpus/n_life')).body.data).toBe('GPU注销成功');
    expect((await call('GET', '/gpus/n_life')).status).toBe(404);
  });
});

describe('GPU tasks', () => {
  it('runs a task on a node: QUEUED → PROCESSING with progress → COMPLETED with the result', async () => {
    const n = await node({ gpuId: 'n_run', taskTypes: [601], capacity: 2, completeAfterMs: null });
    const created = await create({ taskType: 601, userId: 'u1', app: 'face_swap_app', priority: 1, payload: '{"input":"a.jpg"}', env: 'prod' });
    expect(created).toMatchObject({ status: 'QUEUED' });
    expect(created.displayId).toBeGreaterThan(0);
    const second = await create({ taskType: 601, payload: { x: 1 } });
    expect(second.displayId).toBeGreaterThan(created.displayId);
    await eventually(async () => n.received.some((t) => t.taskId === created.taskId), 'the node received the task');
    const got = n.received.find((t) => t.taskId === created.taskId)!;
    expect(got).toMatchObject({ taskType: 601, priority: 1, payload: '{"input":"a.jpg"}', timeout: 120_000 });
    await waitStatus(created.taskId, 'PROCESSING');
    expect((await call('POST', `/tasks/${created.taskId}/status`, { status: 'PROCESSING', gpuId: 'n_run', progress: 40, message: 'step 2' })).body.data).toBe('任务状态更新成功');
    const prog = await eventually(async () => {
      const p = (await call<{ progress: number; queuePosition: number; status: string; gpuId: string }>('GET', `/tasks/${created.taskId}/progress`)).body.data;
      return p.progress === 40 ? p : null;
    }, 'progress 40');
    expect(prog).toMatchObject({ status: 'PROCESSING', queuePosition: 0, gpuId: 'n_run' });
    expect((await call('POST', `/tasks/${created.taskId}/result`, { result: '{"resultImages":["r.jpg"]}' })).body.data).toBe('任务结果更新成功');
    const done = await waitStatus(created.taskId, 'COMPLETED');
    expect(done).toMatchObject({ gpuId: 'n_run', result: '{"resultImages":["r.jpg"]}', errorMessage: null, retryCount: 0 });
    const result = (await call<{ result: unknown; status: string; completedAt: number }>('GET', `/tasks/${created.taskId}/result`)).body.data;
    expect(result).toMatchObject({ status: 'COMPLETED', result: { resultImages: ['r.jpg'] } });
    expect(result.completedAt).toBeGreaterThan(0);
    // A finished task refuses further reports.
    expect((await call('POST', `/tasks/${created.taskId}/result`, { result: 'again' })).status).toBe(409);
    // A waiting task whose workflow has not started yet (its start retried through a Temporal restart while the
    // dispatcher already placed it): the node is told to report again shortly, not that the task ended.
    const early = `task_${'e'.repeat(24)}${env.suffix}`;
    await api.deps.tasks.apply({ task_id: early, rev: 1, kind: 'gpu', state: 'queued', status: 'QUEUED', queue: 'gpu:699', create_time: new Date(), details: { taskType: 699 } });
    const tooEarly = await call('POST', `/tasks/${early}/result`, { result: 'soon' });
    expect(tooEarly.status).toBe(503);
    expect(tooEarly.body).toMatchObject({ code: 503, data: null });
    await api.deps.db.collection<{ _id: string }>('tasks').deleteOne({ _id: early });
    await n.complete(second.taskId, 'ok');
    await waitStatus(second.taskId, 'COMPLETED');

    const list = (await call<TaskDO[]>('GET', '/tasks?taskType=601&status=COMPLETED&page=1&size=1')).body.data;
    expect(list).toHaveLength(1);
    const page2 = (await call<TaskDO[]>('GET', '/tasks?taskType=601&page=2&size=1')).body.data;
    expect(page2).toHaveLength(1);
    expect(page2[0]!.taskId).not.toBe(list[0]!.taskId);
    expect((await call<TaskDO[]>('GET', '/tasks?gpuId=n_run')).body.data.map((t) => t.taskId).sort()).toEqual([created.taskId, second.taskId].sort());
    expect((await call<{ currentTasks: number }>('GET', '/gpus/n_run')).body.data.currentTasks).toBe(0);
  });

  it('read-your-writes: once a status or result report is answered, the next read shows it', async () => {
    const n = await node({ gpuId: 'n_ryw', taskTypes: [611], capacity: 6, completeAfterMs: null });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await create({ taskType: 611, payload: { i } })).taskId);
    for (const id of ids) await waitStatus(id, 'PROCESSING');
    const progressOf = async (id: string) => (await call<{ progress: number }>('GET', `/tasks/${id}/progress`)).body.data.progress;
    const seen: [string, string | number][] = [];
    for (const [i, id] of ids.entries()) {
      expect((await call('POST', `/tasks/${id}/status`, { status: 'PROCESSING', gpuId: 'n_ryw', progress: 10 + i })).status).toBe(200);
      seen.push([id, await progressOf(id)]);
      const end = i % 3 === 0 ? ['result', { result: `r${i}` }, 'COMPLETED'] : i % 3 === 1 ? ['status', { status: 'COMPLETED', gpuId: 'n_ryw', message: `m${i}` }, 'COMPLETED'] : ['status', { status: 'FAILED', gpuId: 'n_ryw', message: 'boom' }, 'FAILED'];
      expect((await call('POST', `/tasks/${id}/${end[0] as string}`, end[1])).status).toBe(200);
      seen.push([id, (await task(id)).status]);
      expect(seen.slice(-2)).toEqual([
        [id, 10 + i],
        [id, end[2]],
      ]);
    }
    void n;
  });

  it('says why a task waits, and times it out', async () => {
    const created = await create({ taskType: 699, timeout: 3000 });
    const d = await task(created.taskId);
    expect(d.status).toBe('QUEUED');
    expect(d.waitingReason).toContain('no ACTIVE GPU node supports taskType 699');
    const p = (await call<{ queuePosition: number; waitingReason: string }>('GET', `/tasks/${created.taskId}/progress`)).body.data;
    expect(p.queuePosition).toBe(1);
    const done = await waitStatus(created.taskId, 'TIMEOUT');
    expect(done.errorMessage).toContain('timed out');
  });

  it('dispatches by priority with capacity 1: VIP first, higher priority first, then FIFO', async () => {
    const n = await node({ gpuId: 'n_prio', taskTypes: [602], capacity: 1, completeAfterMs: null });
    const blocker = await create({ taskType: 602, priority: 0 });
    await eventually(async () => n.received.length === 1, 'the blocker on the node');
    const order = [
      await create({ taskType: 602, priority: 0, payload: 'n0a' }),
      await create({ taskType: 602, priority: 1, payload: 'n1' }),
      await create({ taskType: 602, priority: 2, payload: 'v2a' }),
      await create({ taskType: 602, priority: 0, payload: 'n0b' }),
      await create({ taskType: 602, priority: 3, payload: 'v3' }),
      await create({ taskType: 602, priority: 2, payload: 'v2b' }),
    ];
    const waiting = await task(order[0]!.taskId);
    expect(waiting.waitingReason).toMatch(/VIP task\(s\) ahead|at capacity/);
    let current = blocker.taskId;
    for (let i = 0; i < order.length; i++) {
      await n.complete(current, 'ok');
      await eventually(async () => n.received.length === i + 2, `dispatch #${i + 2}`);
      current = n.received[i + 1]!.taskId;
    }
    await n.complete(current, 'ok');
    expect(n.received.slice(1).map((t) => t.payload)).toEqual(['v3', 'v2a', 'v2b', 'n1', 'n0a', 'n0b']);
    expect(n.maxRunning).toBe(1);
  });

  it('sends a task straight to a free node when nothing of its type waits, and queues it behind one that does', async () => {
    const n = await node({ gpuId: 'n_direct', taskTypes: [607], capacity: 2, completeAfterMs: null });
    const dispatcher = api.deps.temporal.workflow.getHandle(dispatcherWorkflowId(env.config.temporal.taskQueue, 607));
    const noDispatcher = async () => dispatcher.describe().then(() => false, (e: unknown) => e instanceof WorkflowNotFoundError);
    // Back to back: the first still reads QUEUED when the second arrives, but it holds its slot, so it is not waiting.
    const first = await create({ taskType: 607, payload: 'd1' });
    const second = await create({ taskType: 607, payload: 'd2' });
    expect(n.received.map((t) => t.taskId)).toEqual([first.taskId, second.taskId]);
    await waitStatus(first.taskId, 'PROCESSING');
    await waitStatus(second.taskId, 'PROCESSING');
    expect(await noDispatcher()).toBe(true);
    // The node is full: the third waits in its dispatcher's queue and goes when a slot frees.
    const third = await create({ taskType: 607, payload: 'd3' });
    expect((await task(third.taskId)).status).toBe('QUEUED');
    expect(await noDispatcher()).toBe(false);
    await n.complete(first.taskId, 'ok');
    await eventually(async () => n.received.length === 3, 'the third on the node');
    expect(n.received[2]!.taskId).toBe(third.taskId);
    await n.complete(second.taskId, 'ok');
    await n.complete(third.taskId, 'ok');
    await waitStatus(third.taskId, 'COMPLETED');
    expect(n.maxRunning).toBe(2);
    expect((await call<{ currentTasks: number }>('GET', '/gpus/n_direct')).body.data.currentTasks).toBe(0);
  });

  it('fails a task whose one allowed node refuses it at once, without retries', async () => {
    await node({ gpuId: 'n_direct_ref', taskTypes: [608], capacity: 1, answer: 500 });
    const created = await create({ taskType: 608, maxRetries: 0 });
    const done = await waitStatus(created.taskId, 'FAILED');
    expect(done.errorMessage).toContain('refused');
    expect(done.errorMessage).toContain('no retries left (maxRetries 0)');
    expect((await call<{ failureCount: number; currentTasks: number }>('GET', '/gpus/n_direct_ref')).body.data).toMatchObject({ failureCount: 1, currentTasks: 0 });
  });

  it('fails over from a node that refuses', async () => {
    const bad = await node({ gpuId: 'n_refuse', taskTypes: [603], capacity: 8, answer: 503 });
    const good = await node({ gpuId: 'n_accept', taskTypes: [603], capacity: 1, completeAfterMs: 100 });
    const created = await create({ taskType: 603 });
    const done = await waitStatus(created.taskId, 'COMPLETED');
    expect(bad.received.map((t) => t.taskId)).toContain(created.taskId);
    expect(good.received.map((t) => t.taskId)).toEqual([created.taskId]);
    expect(done.gpuId).toBe('n_accept');
    expect((await call<{ failureCount: number; currentTasks: number }>('GET', '/gpus/n_refuse')).body.data).toMatchObject({ failureCount: 1, currentTasks: 0 });
  });

  // The dispatcher's own round (not the API's direct path) meets the refusal, and the next round of the same run
  // sends the task to the other node; before that, the dispatcher and the monitor move to new code with the task
  // queued. `npm run histories:record` keeps these runs for the replay gate (failover, continue-as-new).
  it('a dispatcher round fails over from a refusing node; dispatcher and monitor move to new code with the queue', async () => {
    const good = await node({ gpuId: 'n_round_ok', taskTypes: [609], capacity: 1, completeAfterMs: null });
    const first = await create({ taskType: 609, payload: 'r1' });
    await waitStatus(first.taskId, 'PROCESSING');
    const second = await create({ taskType: 609, payload: 'r2' });
    expect((await task(second.taskId)).status).toBe('QUEUED');
    const dispatcher = api.deps.temporal.workflow.getHandle(dispatcherWorkflowId(env.config.temporal.taskQueue, 609));
    const monitor = api.deps.temporal.workflow.getHandle(monitorWorkflowId(env.config.temporal.taskQueue));
    const before = { dispatcher: (await dispatcher.describe()).runId, monitor: (await monitor.describe()).runId };
    await dispatcher.signal(moveToNewCodeSignal);
    await monitor.signal(moveToNewCodeSignal);
    await eventually(async () => (await dispatcher.describe()).runId !== before.dispatcher, 'the dispatcher continued as new');
    await eventually(async () => (await monitor.describe()).runId !== before.monitor, 'the monitor continued as new');
    // The queued task went along; a node that refuses gets it from the new run's next round.
    const bad = await node({ gpuId: 'n_round_refuse', taskTypes: [609], capacity: 1, answer: 503 });
    await eventually(async () => bad.received.some((t) => t.taskId === second.taskId), 'the refusing node tried', 30_000);
    expect((await task(second.taskId)).status).toBe('QUEUED');
    await good.complete(first.taskId, 'ok');
    await eventually(async () => good.received.some((t) => t.taskId === second.taskId), 'the other node got it', 30_000);
    await good.complete(second.taskId, 'ok');
    const done = await waitStatus(second.taskId, 'COMPLETED');
    expect(done.gpuId).toBe('n_round_ok');
    expect(bad.received.map((t) => t.taskId)).toEqual([second.taskId]);
  });

  it('fails a task after maxRetries refusals with the reason', async () => {
    await node({ gpuId: 'n_ref_a', taskTypes: [604], capacity: 1, answer: 500 });
    await node({ gpuId: 'n_ref_b', taskTypes: [604], capacity: 1, answer: 500 });
    await node({ gpuId: 'n_ref_c', taskTypes: [604], capacity: 1, answer: 500 });
    const created = await create({ taskType: 604 });
    const done = await waitStatus(created.taskId, 'FAILED');
    expect(done.errorMessage).toContain('refused');
    expect(done.errorMessage).toContain('no retries left');
  });

  it('a silent node goes OFFLINE, raises one alert, and its running task completes on another node', async () => {
    const silent = await node({ gpuId: 'n_silent', taskTypes: [605], capacity: 1, completeAfterMs: null, heartbeatMs: 0 });
    const created = await create({ taskType: 605 });
    await eventually(async () => silent.received.length === 1, 'the task on the silent node');
    await waitStatus(created.taskId, 'PROCESSING');
    const rescuer = await node({ gpuId: 'n_rescue', taskTypes: [605], capacity: 1, completeAfterMs: 100 });
    const done = await waitStatus(created.taskId, 'COMPLETED', 90_000);
    expect(done.gpuId).toBe('n_rescue');
    expect(done.retryCount).toBe(1);
    expect(rescuer.received.map((t) => t.taskId)).toEqual([created.taskId]);
    expect(silent.cancelled).toContain(created.taskId);
    expect((await call<{ status: string }>('GET', '/gpus/n_silent')).body.data.status).toBe('OFFLINE');
    await call('POST', '/monitoring/check');
    await call('POST', '/monitoring/check');
    const alerts = (await call<{ message: string; level: string; status: string }[]>('GET', '/monitoring/alerts?size=100')).body.data.filter((a) => a.message.includes('n_silent'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ level: 'CRITICAL', status: 'ACTIVE' });
  });

  it('a round whose queue predates a VIP task the API accepted places nothing that task goes before', async () => {
    const n = await node({ gpuId: 'n_stale', taskTypes: [611], capacity: 1, completeAfterMs: null });
    const round = createGpuActivities({ config: env.config, logger: env.logger, tasks: api.deps.tasks, producer: null, events: null, workerName: 'round-test' }).gpuDispatchRound;
    const now = Date.now();
    const record = (taskId: string, priority: number, at: number) =>
      api.deps.tasks.apply({ task_id: taskId, rev: 1, kind: 'gpu', state: 'queued', status: 'QUEUED', queue: 'gpu:611', priority, create_time: new Date(at), details: { taskType: 611 } });
    const normal = `task_stale_n_${now}`;
    const vip = `task_stale_v_${now}`;
    await record(normal, 0, now - 1000);
    await record(vip, 5, now);
    // The round's queue has only the NORMAL task: the VIP task's signal has not reached the dispatcher yet.
    const waiting = [{ taskId: normal, priority: 0, seq: now - 1000, attempt: 0, maxRetries: 2, excluded: [] }];
    const held = await round({ taskType: 611, waiting });
    expect(held).toMatchObject({ placed: [], soon: [normal] });
    expect(n.received).toEqual([]);
    // Once the VIP task no longer waits (here: it ended), the same round sends the NORMAL task.
    await api.deps.tasks.apply({ task_id: vip, rev: 2, kind: 'gpu', state: 'cancelled', status: 'CANCELLED', queue: 'gpu:611' });
    await round({ taskType: 611, waiting });
    expect(n.received.map((t) => t.taskId)).toEqual([normal]);
    await api.deps.db.collection<{ _id: string }>('tasks').deleteMany({ _id: { $in: [normal, vip] } });
  });

  it('never exceeds a node\'s capacity, nor runs a task twice, under 50 concurrent tasks on 3 nodes', async () => {
    const ns = [
      await node({ gpuId: 'n_cap1', taskTypes: [606], capacity: 2, completeAfterMs: 150 }),
      await node({ gpuId: 'n_cap2', taskTypes: [606], capacity: 3, completeAfterMs: 100, priorityClass: 'VIP' }),
      await node({ gpuId: 'n_cap3', taskTypes: [606], capacity: 1, completeAfterMs: 50 }),
    ];
    const created = await Promise.all([...Array(50).keys()].map((i) => create({ taskType: 606, priority: i % 4, payload: `p${i}` })));
    await eventually(async () => {
      const rows = (await call<TaskDO[]>('GET', '/tasks?taskType=606&status=COMPLETED&size=100')).body.data;
      return rows.length === 50;
    }, 'all 50 completed', 280_000, 1000);
    expect(ns[0]!.maxRunning).toBeLessThanOrEqual(2);
    expect(ns[1]!.maxRunning).toBeLessThanOrEqual(3);
    expect(ns[2]!.maxRunning).toBeLessThanOrEqual(1);
    const all = ns.flatMap((n) => n.received.map((t) => t.taskId));
    expect(all.sort()).toEqual(created.map((c) => c.taskId).sort());
    for (const n of ns) expect((await call<{ currentTasks: number }>('GET', `/gpus/${n.opts.gpuId}`)).body.data.currentTasks).toBe(0);
  }, 300_000);
});

describe('monitoring, alerts, cluster', () => {
  it('answers overview, health, components, metrics and checks with real counts', async () => {
    // What it counts, seeded here: a completed task, a timed-out one, and a FAULTY node beside an ACTIVE one.
    await node({ gpuId: 'n_mon', taskTypes: [620], capacity: 1, completeAfterMs: 50 });
    await call('POST', '/gpus/register', { gpuId: 'n_mon_bad', hostname: 'h', ip: '127.0.0.1', port: 1, supportedTaskTypes: [621], supportedTaskPriority: 'NORMAL', version: '1', maxConcurrentTasks: 1, metadata: {} });
    await call('POST', '/gpus/n_mon_bad/fault?reason=seeded');
    const completed = await create({ taskType: 620 });
    const timedOut = await create({ taskType: 622, timeout: 1000 });
    await waitStatus(completed.taskId, 'COMPLETED');
    await waitStatus(timedOut.taskId, 'TIMEOUT');
    // The counts the monitoring views give, against the lists of the same records.
    const gpus = (await call<{ gpuId: string; status: string }[]>('GET', '/gpus')).body.data;
    const countTasks = async (status: string) => {
      const rows = (await call<TaskDO[]>('GET', `/tasks?status=${status}&size=500`)).body.data;
      expect(rows.length).toBeLessThan(500);
      return rows.length;
    };
    const ov = (await call<{ instance_id: string; is_leader: boolean; health_status: { total_gpu_count: number }; metrics: { completed_tasks: number } }>('GET', '/monitoring/overview')).body.data;
    expect(ov.metrics.completed_tasks).toBe(await countTasks('COMPLETED'));
    expect(ov.metrics.completed_tasks).toBeGreaterThanOrEqual(1);
    expect(typeof ov.is_leader).toBe('boolean');
    expect(ov.instance_id).toMatch(/^api-/);
    const h = (await call<{ overall_health: string; active_gpu_count: number; total_gpu_count: number }>('GET', '/monitoring/health')).body.data;
    expect(h.total_gpu_count).toBe(gpus.length);
    expect(h.active_gpu_count).toBe(gpus.filter((g) => g.status === 'ACTIVE').length);
    expect(h.active_gpu_count).toBeGreaterThanOrEqual(1);
    expect(h.active_gpu_count).toBeLessThan(h.total_gpu_count);
    for (const comp of ['system', 'gpu', 'task', 'queue', 'cluster']) {
      const r = await call<{ component: string; status: string }>('GET', `/monitoring/health/${comp}`);
      expect(r.body.data.component).toBe(comp);
    }
    expect((await call('GET', '/monitoring/health/nope')).status).toBe(404);
    const m = (await call<{ gpu_status_counts: Record<string, number>; task_status_counts: Record<string, number>; queue_lengths: Record<string, number>; system_metrics: Record<string, number> }>('GET', '/monitoring/metrics')).body.data;
    for (const st of ['ACTIVE', 'FAULTY', 'OFFLINE']) expect(m.gpu_status_counts[st] ?? 0, st).toBe(gpus.filter((g) => g.status === st).length);
    expect(m.gpu_status_counts.FAULTY).toBeGreaterThanOrEqual(1);
    expect(m.task_status_counts.TIMEOUT).toBe(await countTasks('TIMEOUT'));
    expect(m.task_status_counts.TIMEOUT).toBeGreaterThanOrEqual(1);
    expect(m.task_status_counts.COMPLETED).toBe(await countTasks('COMPLETED'));
    expect(m.system_metrics).toHaveProperty('memory_usage');
    const one = (await call<{ key: string; value: Record<string, number> }>('GET', '/monitoring/metrics/gpu_status_counts')).body.data;
    expect(one.value).toEqual(m.gpu_status_counts);
    expect((await call('POST', '/monitoring/check')).body.data).toBe('监控检查已触发');
    expect((await call('POST', '/monitoring/health/check')).body.data).toBe('健康检查已触发');
  });

  it('lists, pages, acknowledges and counts alerts', async () => {
    // Two alerts of its own: two nodes marked FAULTY by hand raise one CRITICAL alert each.
    for (const gpuId of ['n_alert1', 'n_alert2']) {
      await call('POST', '/gpus/register', { gpuId, hostname: 'h', ip: '127.0.0.1', port: 1, supportedTaskTypes: [623], supportedTaskPriority: 'NORMAL', version: '1', maxConcurrentTasks: 1, metadata: {} });
      await call('POST', `/gpus/${gpuId}/fault?reason=seeded`);
    }
    const all = (await call<{ id: string; status: string; message: string }[]>('GET', '/monitoring/alerts?size=100')).body.data;
    for (const gpuId of ['n_alert1', 'n_alert2']) expect(all.filter((a) => a.message.includes(gpuId) && a.status === 'ACTIVE'), gpuId).toHaveLength(1);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const first = (await call<{ id: string }[]>('GET', '/monitoring/alerts?page=1&size=1')).body.data;
    expect(first).toHaveLength(1);
    const before = (await call<{ acknowledged_alerts: number; total_alerts: number; critical_alerts: number }>('GET', '/monitoring/alerts/stats')).body.data;
    expect(before.total_alerts).toBe(all.length);
    const active = all.find((a) => a.status === 'ACTIVE')!;
    expect((await call('POST', `/monitoring/alerts/${active.id}/acknowledge`, undefined, { authorization: `Bearer ${KEY}`, 'x-user': 'ops1' })).body.data).toBe('告警已确认');
    const acked = (await call<{ id: string; acknowledgedBy: string; acknowledgedAt: number }[]>('GET', '/monitoring/alerts?status=ACKNOWLEDGED&size=100')).body.data.find((a) => a.id === active.id)!;
    expect(acked.acknowledgedBy).toBe('ops1');
    const after = (await call<{ acknowledged_alerts: number }>('GET', '/monitoring/alerts/stats')).body.data;
    expect(after.acknowledged_alerts).toBe(before.acknowledged_alerts + 1);
  });

  it('shows the cluster: this API and the worker, one leader', async () => {
    const s = (await call<{ cluster_id: string; leader_instance: string; total_instances: number; instances: { instance_id: string; role: string }[] }>('GET', '/cluster/status')).body.data;
    expect(s.cluster_id).toBe('test-cluster');
    expect(s.total_instances).toBeGreaterThanOrEqual(2);
    expect(s.instances.filter((i) => i.role === 'LEADER')).toHaveLength(1);
    expect(s.instances.map((i) => i.instance_id)).toContain(worker.name);
    const inst = (await call<{ instance_id: string; version: string }[]>('GET', '/cluster/instances')).body.data;
    expect(inst.length).toBe(s.total_instances);
  });
});
