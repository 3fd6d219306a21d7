import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createKafka } from '../../src/kafka/client.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually as eventuallyWithin, testEnv, workflowBundle } from '../support/env.js';
import { kcatConsumeAll } from '../support/kcat.js';

const suffix = Math.random().toString(16).slice(2, 10);
const ALGO = `algo_${suffix}`;
const SLOW = `slow_${suffix}`;
const ALGO_TOPIC = `t.svc_${suffix}.algo`;
const SLOW_TOPIC = `t.svc_${suffix}.slow`;
const COLLECTION = 'dev_task';

// The machine is shared by several engineers' tests: waits are generous, nothing is timed.
vi.setConfig({ testTimeout: 900_000 });
const eventually = <T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 180_000) => eventuallyWithin(fn, what, Math.max(timeoutMs, 180_000), 200);

const env = testEnv('servicetasks', {
  mongo: { serviceTaskCollection: COLLECTION },
  services: {
    maxStatusTask: 3,
    list: [
      { name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 120 },
      { name: 'http', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 120 },
      { name: ALGO, source_name: 'mongo', topic_name: ALGO_TOPIC, consumer_id: 'c_algo', dispatch: 'kafka', timeout_seconds: 600 },
      { name: SLOW, source_name: 'mysql', topic_name: SLOW_TOPIC, consumer_id: 'c_slow', dispatch: 'kafka', timeout_seconds: 3 },
    ],
  },
});
const { config } = env;
const TOKEN = config.auth.serviceAuthToken;
const brokers = config.kafka.brokers.join(',');
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let mongo: MongoHandle;
let module: Consumer | null = null;
let httpServer: Server;
let httpUrl: string;

type Json = Record<string, unknown>;

async function call(path: string, body: unknown, headers: Record<string, string> = { Authorization: TOKEN }): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function statusOf(taskId: string): Promise<Json> {
  const r = await call('/api/status_task', { data: [{ task_id: taskId }] });
  return (r.body.status as Json[])[0]!;
}

beforeAll(async () => {
  await ensureTopics(createKafka(config), [ALGO_TOPIC, SLOW_TOPIC, config.kafka.eventsTopic], 1);
  worker = await createWorkerRuntime({
    config,
    logger: env.logger,
    workflowBundle: await workflowBundle(),
    plugins: [createServiceTasksPlugin({ ingest: false })],
  });
  workerDone = worker.run();
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
  mongo = await connectMongo(config);
  httpServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(2 * 1024 * 1024));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, got: body ? (JSON.parse(body) as unknown) : null }));
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  httpUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await module?.disconnect();
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await mongo?.close();
  httpServer?.close();
  await env.cleanup();
});

describe('long-task dialect: auth and failure answers', () => {
  it('refuses a missing or wrong token in the exception envelope', async () => {
    const none = await call('/api/service_task', {}, {});
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ result: 'exception', message: 'Unauthorized: Authorization header missing' });
    const wrong = await call('/api/service_task', {}, { Authorization: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.result).toBe('exception');
  });

  it('lists the services', async () => {
    const r = await call('/api/service_task', '');
    expect(r).toEqual({ status: 200, body: { result: 'ok', count: 4, data: ['echo', 'http', ALGO, SLOW] } });
  });

  it('answers every bad request with an exception and a 4xx', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/api/create_task', '{not json', 400, /^Invalid parameter/],
      ['/api/create_task', { data: { condition: {} } }, 400, /^Invalid parameter: data\.service/],
      ['/api/create_task', { data: { service: 'nope', condition: {} } }, 400, /^service not support$/],
      ['/api/create_task', { data: { service: 'echo' } }, 400, /^Invalid parameter: data\.condition/],
      ['/api/status_task', { data: [] }, 400, /^Invalid parameter/],
      ['/api/status_task', { data: [1, 2, 3, 4].map((i) => ({ task_id: `x${i}` })) }, 400, /at most 3 task ids/],
      ['/api/update_status_task', { data: { task_id: 'ts_x', status: 'done' } }, 400, /^Invalid parameter: data\.status/],
      ['/api/update_status_task', { data: { task_id: 'ts_unknown', status: 'running' } }, 404, /task not found/],
      ['/api/result_task', { data: { task_id: 'ts_unknown' } }, 404, /task not found/],
      ['/api/result_task', {}, 400, /^Invalid parameter/],
      ['/api/tasks', { p_size: 0 }, 400, /^Invalid parameter: p_size/],
      ['/api/tasks', { status: 'bogus' }, 400, /^Invalid parameter: status/],
      ['/api/start_task', { task_id: 'ts_unknown' }, 404, /task not found/],
      ['/api/update_task', { task_id: 'ts_unknown', condition: {} }, 404, /task not found/],
      ['/api/update_task', { task_id: 'ts_unknown' }, 400, /^Invalid parameter: condition/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await call(path, body);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect(r.body.result).toBe('exception');
      expect(r.body.message).toMatch(message);
      expect(Object.keys(r.body).sort()).toEqual(['message', 'result']);
    }
  });

  it('serves an OpenAPI document listing every endpoint with its auth', async () => {
    const res = await fetch(`${api.url}/openapi/service-tasks.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, { post: { security: unknown[]; requestBody?: unknown; responses: Record<string, unknown> } }>; components: { securitySchemes: Json } };
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/api/create_task', '/api/status_task', '/api/update_status_task', '/api/result_task', '/api/tasks', '/api/start_task', '/api/update_task', '/api/service_task'].sort(),
    );
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(item.post.security, path).toEqual([{ ServiceToken: [] }]);
      expect(Object.keys(item.post.responses), path).toEqual(expect.arrayContaining(['200', '400', '401']));
      if (path !== '/api/service_task') expect(item.post.requestBody, path).toBeDefined();
    }
    expect(doc.components.securitySchemes.ServiceToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    const list = (await (await fetch(`${api.url}/openapi`)).json()) as { documents: { url: string }[] };
    expect(list.documents.map((d) => d.url)).toContain('/openapi/service-tasks.json');
  });
});

describe('dispatch: temporal (built-in services)', () => {
  it('runs echo: create → finished, result, status, MongoDB document field by field', async () => {
    const created = await call('/api/create_task', { data: { service: 'echo', condition: { x: 'x', n: 1 } } });
    expect(created.status).toBe(200);
    const taskId = created.body.task_id as string;
    expect(created.body).toEqual({ result: 'ok', task_id: taskId });
    expect(taskId).toMatch(/^ts_echo_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const st = await eventually(async () => {
      const e = await statusOf(taskId);
      return e.status === 'finished' ? e : null;
    }, 'echo task finished');
    expect(st).toMatchObject({ task_id: taskId, status: 'finished', message: null });
    expect(st.start_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(st.end_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const result = await call('/api/result_task', { data: { task_id: taskId } });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ result: 'ok', data: { x: 'x', n: 1 }, start_time: st.start_time, end_time: st.end_time });
    expect(typeof result.body.spend_time).toBe('number');

    const doc = await eventually(async () => {
      const d = await mongo.db.collection(COLLECTION).findOne({ task_id: taskId });
      return d?.status === 'finished' ? d : null;
    }, 'the documented record');
    expect(Object.keys(doc).sort()).toEqual(['_id', 'condition', 'create_time', 'end_time', 'service', 'source_name', 'start_time', 'status', 'status_message', 'task_id']);
    expect(doc._id.constructor.name).toBe('ObjectId');
    expect(doc).toMatchObject({ task_id: taskId, status: 'finished', service: 'echo', source_name: 'builtin', condition: { x: 'x', n: 1 } });
    for (const f of ['create_time', 'start_time', 'end_time']) expect(doc[f], f).toBeInstanceOf(Date);
    expect(doc.status_message).toEqual({ failed: null, running: null, finished: null });
    expect(doc.create_time.getTime()).toBeLessThanOrEqual(doc.start_time.getTime());
    expect(doc.start_time.getTime()).toBeLessThanOrEqual(doc.end_time.getTime());

    // The shared tasks collection holds the same task for every dialect (kind service, canonical state).
    const shared = await mongo.db.collection('tasks').findOne({ task_id: taskId });
    expect(shared).toMatchObject({ kind: 'service', state: 'succeeded', status: 'finished', queue: 'service.echo' });

    // A temporal-dispatched task is not reported from outside.
    const refused = await call('/api/update_status_task', { data: { task_id: taskId, status: 'running' } });
    expect(refused.status).toBe(409);
    expect(refused.body.result).toBe('exception');
  });

  it('runs http against a local server and bounds the response size', async () => {
    const ok = await call('/api/create_task', { data: { service: 'http', condition: { url: `${httpUrl}/hello`, method: 'post', body: { a: 1 } } } });
    const id = ok.body.task_id as string;
    await eventually(async () => (await statusOf(id)).status === 'finished', 'http task finished');
    const r = await call('/api/result_task', { data: { task_id: id } });
    expect(r.body.data).toMatchObject({ status: 201, body: { method: 'POST', url: '/hello', got: { a: 1 } } });

    const big = await call('/api/create_task', { data: { service: 'http', condition: { url: `${httpUrl}/big` } } });
    const bigId = big.body.task_id as string;
    const st = await eventually(async () => {
      const e = await statusOf(bigId);
      return e.status === 'failed' ? e : null;
    }, 'oversized http task failed');
    expect(st.message).toMatch(/larger than/);
  });
});

describe('dispatch: kafka (external algorithm module)', () => {
  it('publishes the documented message and follows the module’s status reports', async () => {
    // The simulated module: reads its topic and reports through update_status_task.
    const kafka = createKafka(config, undefined, '-module');
    module = kafka.consumer({ groupId: `module_${suffix}` });
    await module.connect();
    await module.subscribe({ topic: ALGO_TOPIC, fromBeginning: true });
    const seen: string[] = [];
    await module.run({
      eachMessage: async ({ message }) => {
        const { Task } = JSON.parse(message.value!.toString('utf8')) as { Task: { task_id: string; condition: Json } };
        seen.push(Task.task_id);
        if (Task.condition.manual) return;
        await call('/api/update_status_task', { data: { task_id: Task.task_id, status: 'running', message: 'started computing' } });
        await call('/api/update_status_task', { data: { task_id: Task.task_id, status: 'finished', message: 'done', data: { answer: 42 } } });
      },
    });

    const created = await call('/api/create_task', { data: { service: ALGO, condition: { xx: 'xx' } } });
    const taskId = created.body.task_id as string;
    expect(taskId.startsWith(`ts_${ALGO}_`)).toBe(true);

    const done = await eventually(async () => {
      const e = await statusOf(taskId);
      return e.status === 'finished' ? e : null;
    }, 'kafka task finished by the module', 60_000);
    expect(done.message).toBe('done');
    const result = await call('/api/result_task', { data: { task_id: taskId } });
    expect(result.body.data).toEqual({ answer: 42 });

    // The message on the topic, read by kcat, is exactly the documented one.
    const msgs = kcatConsumeAll(brokers, ALGO_TOPIC).filter((m) => m.key === taskId);
    expect(msgs).toHaveLength(1);
    expect(JSON.parse(msgs[0]!.payload!)).toEqual({ Task: { task_id: taskId, service: ALGO, source_name: 'mongo', condition: { xx: 'xx' } } });
    expect(Buffer.from(msgs[0]!.payload!, 'utf8').toString('utf8')).toBe(msgs[0]!.payload);

    const doc = await eventually(async () => {
      const d = await mongo.db.collection(COLLECTION).findOne({ task_id: taskId });
      return d?.status === 'finished' ? d : null;
    }, 'documented record finished');
    expect(doc.status_message).toEqual({ failed: null, running: 'started computing', finished: 'done' });
    expect(doc.source_name).toBe('mongo');
  });

  it('refuses illegal transitions, re-runs with start_task, changes the condition with update_task', async () => {
    const created = await call('/api/create_task', { data: { service: ALGO, condition: { manual: true } } });
    const taskId = created.body.task_id as string;
    await eventually(async () => (await statusOf(taskId)).status === 'waiting', 'waiting after hand-off');

    expect((await call('/api/start_task', { task_id: taskId })).status).toBe(409);
    expect((await call('/api/update_task', { task_id: taskId, condition: { manual: true, v: 2 } })).status).toBe(409);

    const running = await call('/api/update_status_task', { data: { task_id: taskId, status: 'running', message: 'm1' } });
    expect(running).toEqual({ status: 200, body: { result: 'ok', status: { task_id: taskId, status: 'running' } } });
    expect(await statusOf(taskId)).toMatchObject({ status: 'running', message: 'm1' });
    const upd = await call('/api/update_task', { task_id: taskId, condition: { manual: true, v: 2 } });
    expect(upd.status).toBe(409);
    expect(upd.body.message).toMatch(/running/);

    const failed = await call('/api/update_status_task', { data: { task_id: taskId, status: 'failed', message: 'boom' } });
    expect(failed.status).toBe(200);
    const again = await call('/api/update_status_task', { data: { task_id: taskId, status: 'running' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ result: 'exception' });
    expect(await statusOf(taskId)).toMatchObject({ status: 'failed', message: 'boom' });

    const changed = await call('/api/update_task', { task_id: taskId, condition: { manual: true, v: 3 } });
    expect(changed).toEqual({ status: 200, body: { result: 'ok', task_id: taskId } });
    expect(await statusOf(taskId)).toMatchObject({ status: 'ready', start_time: null, end_time: null });

    const started = await call('/api/start_task', { task_id: taskId });
    expect(started).toEqual({ status: 200, body: { result: 'ok', task_id: taskId } });
    await eventually(async () => (await statusOf(taskId)).status === 'waiting', 'waiting again');
    const msgs = await eventually(async () => {
      const m = kcatConsumeAll(brokers, ALGO_TOPIC).filter((x) => x.key === taskId);
      return m.length === 2 ? m : null;
    }, 'a second hand-off message');
    expect(JSON.parse(msgs[1]!.payload!).Task.condition).toEqual({ manual: true, v: 3 });
    await call('/api/update_status_task', { data: { task_id: taskId, status: 'finished', data: { v: 3 } } });
    await eventually(async () => (await statusOf(taskId)).status === 'finished', 'finished after re-run');
  });

  it('read-your-writes: once update_status_task answers an end, the next update_task and start_task see it', async () => {
    // Several rounds: the gap between the answer and the run closing is short, and a round may miss it.
    for (let round = 0; round < 4; round++) {
      const created = await call('/api/create_task', { data: { service: ALGO, condition: { manual: true, ryw: round } } });
      const taskId = created.body.task_id as string;
      await eventually(async () => (await statusOf(taskId)).status === 'waiting', 'waiting after hand-off');
      const final = round % 2 === 0 ? 'failed' : 'finished';
      const reported = await call('/api/update_status_task', { data: { task_id: taskId, status: final, message: `r${round}` } });
      expect(reported).toEqual({ status: 200, body: { result: 'ok', status: { task_id: taskId, status: final } } });
      // Each call at once after the answer, no waiting in between.
      expect(await statusOf(taskId)).toMatchObject({ status: final });
      const changed = await call('/api/update_task', { task_id: taskId, condition: { manual: true, ryw: round, v: 2 } });
      expect({ round, changed }).toEqual({ round, changed: { status: 200, body: { result: 'ok', task_id: taskId } } });
      const started = await call('/api/start_task', { task_id: taskId });
      expect({ round, started }).toEqual({ round, started: { status: 200, body: { result: 'ok', task_id: taskId } } });
      await eventually(async () => (await statusOf(taskId)).status === 'waiting', 'waiting again after start_task');
      expect((await call('/api/update_status_task', { data: { task_id: taskId, status: 'failed' } })).status).toBe(200);
    }
  });

  it('read-your-writes: a module that reports the end the moment it reads the message, then re-runs the task at once', async () => {
    // The module answers within milliseconds of the hand-off, while the run may still be recording the publish.
    // (`manual`: the module of the test above leaves these tasks alone.)
    const kafka = createKafka(config, undefined, '-ryw');
    const fast = kafka.consumer({ groupId: `module_ryw_${suffix}` });
    const answers: { taskId: string; round: number; calls: { status: number; body: Json }[] }[] = [];
    await fast.connect();
    await fast.subscribe({ topic: ALGO_TOPIC, fromBeginning: true });
    await fast.run({
      eachMessage: async ({ message }) => {
        const { Task } = JSON.parse(message.value!.toString('utf8')) as { Task: { task_id: string; condition: Json } };
        if (typeof Task.condition.fast !== 'number' || Task.condition.rerun) return;
        const calls = [await call('/api/update_status_task', { data: { task_id: Task.task_id, status: 'failed', message: 'at once' } })];
        calls.push(await call('/api/update_task', { task_id: Task.task_id, condition: { ...Task.condition, rerun: true } }));
        calls.push(await call('/api/start_task', { task_id: Task.task_id }));
        answers.push({ taskId: Task.task_id, round: Task.condition.fast, calls });
      },
    });
    try {
      const rounds = 5;
      for (let round = 0; round < rounds; round++) await call('/api/create_task', { data: { service: ALGO, condition: { manual: true, fast: round } } });
      await eventually(async () => answers.length === rounds, 'the module answered every task');
      for (const a of answers) {
        expect(a.calls.map((c) => [c.status, c.body.message ?? null])).toEqual([
          [200, null],
          [200, null],
          [200, null],
        ]);
      }
    } finally {
      await fast.disconnect();
    }
  });

  it('never answers a contradiction: a record that says ended while its run is still open is not "only a failed task can be started"', async () => {
    const created = await call('/api/create_task', { data: { service: ALGO, condition: { manual: true, closing: true } } });
    const taskId = created.body.task_id as string;
    await eventually(async () => (await statusOf(taskId)).status === 'waiting', 'waiting after hand-off');
    // The record as it stands between the run recording its end and the run closing.
    await mongo.db.collection<{ _id: string }>('tasks').updateOne({ _id: taskId }, { $set: { state: 'failed', status: 'failed' } });
    for (const [path, body] of [
      ['/api/start_task', { task_id: taskId }],
      ['/api/update_task', { task_id: taskId, condition: { v: 2 } }],
    ] as const) {
      const r = await call(path, body);
      expect({ path, status: r.status }).toEqual({ path, status: 409 });
      expect(r.body.message).toBe('task is failed, but its run has not closed yet: try again shortly');
    }
    // Its run takes the report, closes, and the next call sees a task that can start.
    expect((await call('/api/update_status_task', { data: { task_id: taskId, status: 'failed', message: 'x' } })).status).toBe(200);
    expect(await call('/api/start_task', { task_id: taskId })).toEqual({ status: 200, body: { result: 'ok', task_id: taskId } });
  });

  it('takes a report for a task whose record says it ended while its run still waits (an Update lost with a Temporal restart)', async () => {
    const created = await call('/api/create_task', { data: { service: ALGO, condition: { manual: true, lost: true } } });
    const taskId = created.body.task_id as string;
    await eventually(async () => (await statusOf(taskId)).status === 'waiting', 'waiting after hand-off');
    // The record as the lost report's mirror write left it: finished, while the run never saw that report.
    await mongo.db.collection<{ _id: string }>('tasks').updateOne({ _id: taskId }, { $set: { state: 'succeeded', status: 'finished' } });
    const retried = await call('/api/update_status_task', { data: { task_id: taskId, status: 'finished', data: { v: 'again' } } });
    expect(retried).toEqual({ status: 200, body: { result: 'ok', status: { task_id: taskId, status: 'finished' } } });
    await api.deps.temporal.workflow.getHandle(taskId).result();
    expect((await call('/api/result_task', { data: { task_id: taskId } })).body.data).toEqual({ v: 'again' });
    // Once the run has ended, the record's word stands.
    expect((await call('/api/update_status_task', { data: { task_id: taskId, status: 'failed' } })).status).toBe(409);
  });

  it('fails a task whose module never answers within timeout_seconds', async () => {
    const created = await call('/api/create_task', { data: { service: SLOW, condition: { q: 1 } } });
    const taskId = created.body.task_id as string;
    const st = await eventually(async () => {
      const e = await statusOf(taskId);
      return e.status === 'failed' ? e : null;
    }, 'timed-out task failed', 60_000);
    expect(st.message).toMatch(/timeout/);
    const shared = await mongo.db.collection('tasks').findOne({ task_id: taskId });
    expect(shared?.state).toBe('timed_out');
  });

  it('answers a batch status with Invalid for unknown ids, and lists tasks paged and filtered', async () => {
    const a = (await call('/api/create_task', { data: { service: ALGO, condition: { manual: true, i: 1 } } })).body.task_id as string;
    // Let the hand-off write land first: the list below then reads settled records.
    await eventually(async () => (await statusOf(a)).status === 'waiting', 'waiting after hand-off');
    const r = await call('/api/status_task', { data: [{ task_id: a }, { task_id: 'ts_nope_1' }, { task_id: a }] });
    expect(r.status).toBe(200);
    const entries = r.body.status as Json[];
    expect(entries.map((e) => e.task_id)).toEqual([a, 'ts_nope_1', a]);
    expect(entries[1]).toEqual({ task_id: 'ts_nope_1', status: 'Invalid', message: 'invalid task_id', start_time: null, end_time: null });
    expect(Object.keys(entries[0]!).sort()).toEqual(['end_time', 'message', 'start_time', 'status', 'task_id']);

    const all = await call('/api/tasks', {});
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(Math.min(10, all.body.total as number));
    const page = await call('/api/tasks', { p_size: 2, page: 1, service: ALGO });
    const total = page.body.total as number;
    expect(total).toBeGreaterThanOrEqual(3);
    expect({ count: page.body.count, body: page.body }).toMatchObject({ count: 2 });
    const rows = page.body.data as Json[];
    expect(Object.keys(rows[0]!).sort()).toEqual(['condition', 'create_time', 'service', 'status', 'task_id']);
    expect(rows.every((x) => x.service === ALGO)).toBe(true);
    const last = await call('/api/tasks', { p_size: 2, page: Math.ceil(total / 2), service: ALGO });
    expect({ count: last.body.count, total, body: last.body }).toMatchObject({ count: total % 2 === 0 ? 2 : 1 });
    const finished = await call('/api/tasks', { status: 'finished', p_size: 100 });
    expect((finished.body.data as Json[]).every((x) => x.status === 'finished')).toBe(true);
    expect(finished.body.total).toBeGreaterThanOrEqual(3);
  });
});
