import { Connection } from '@temporalio/client';
import { SignJWT } from 'jose';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createKafka } from '../../src/kafka/client.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { WORKER_PLUGINS } from '../../src/worker-plugins.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { capturingLogger } from '../support/log-capture.js';
import { FakeGpuNode } from '../support/gpu-fake-node.js';
import { startSshd, type SshdHandle } from '../support/sshd.js';

// One job through each dialect with every kind of credential in play (device password and enable secret, the
// device API key, the scheduler's JWT secret and a token signed with it, the GPU API key, the long-task token,
// the payload codec key), then a scan of everything the service keeps or says: every MongoDB collection of its
// database, the raw Temporal history of every workflow it ran (as the server stores it, without the codec),
// every log line at debug level, and every HTTP response body. None may hold a secret in plaintext (nor in
// base64, the form payload bytes take in a history's JSON).
const env = testEnv('secrets', {
  auth: {
    deviceApiKey: 'device-key-SCAN-0f3a9c',
    gpuApiKey: 'gpu-key-SCAN-7d21be',
    serviceAuthToken: 'service-token-SCAN-c41e07',
    schedulerJwtSecret: 'scheduler-jwt-secret-SCAN-9e8d7c6b5a49',
  },
});
const { config } = env;
const { logger, lines: logLines } = capturingLogger();
const responses: string[] = [];
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let sshd: SshdHandle;
let node: FakeGpuNode;
let jwt: string;
const ENABLE_SECRET = 'enable-secret-SCAN-55aa11';

beforeAll(async () => {
  sshd = await startSshd();
  jwt = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(config.auth.schedulerJwtSecret));
  await ensureTopics(createKafka(config), [config.kafka.eventsTopic], 1);
  api = await createApiRuntime({ config, logger, port: 0, kafka: false });
  worker = await createWorkerRuntime({ config, logger, plugins: WORKER_PLUGINS, workflowBundle: await workflowBundle() });
  workerDone = worker.run();
  node = await new FakeGpuNode({ api: api.url, key: config.auth.gpuApiKey, gpuId: `gpu-scan-${env.suffix}`, taskTypes: [77], capacity: 1, completeAfterMs: 50 }).start();
}, 180_000);

afterAll(async () => {
  await node?.stop();
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await sshd?.close();
  await env.cleanup();
});

async function call(path: string, init: { method?: string; headers: Record<string, string>; body?: unknown }): Promise<Record<string, unknown>> {
  const res = await fetch(`${api.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  responses.push(text);
  expect(res.status, `${path}: ${text.slice(0, 300)}`).toBeLessThan(500);
  return JSON.parse(text) as Record<string, unknown>;
}

function secrets(): string[] {
  return [
    sshd.password,
    ENABLE_SECRET,
    config.auth.deviceApiKey,
    config.auth.gpuApiKey,
    config.auth.serviceAuthToken,
    config.auth.schedulerJwtSecret,
    jwt,
    config.codec.key,
    config.auth.codecOperatorToken,
  ].filter((s): s is string => typeof s === 'string' && s.length >= 8);
}

function expectClean(text: string, where: string): void {
  for (const s of secrets()) {
    expect(text.includes(s), `${where} holds a secret in plaintext (${s.slice(0, 4)}…)`).toBe(false);
    expect(text.includes(Buffer.from(s).toString('base64')), `${where} holds a secret in base64 (${s.slice(0, 4)}…)`).toBe(false);
  }
}

describe('secrets after one job through every dialect', () => {
  it('runs the jobs', { timeout: 180_000 }, async () => {
    const device = { 'X-API-KEY': config.auth.deviceApiKey };
    const conn = { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password, secret: ENABLE_SECRET };
    const ok = (await call('/device/exec', { method: 'POST', headers: device, body: { driver: 'paramiko', connection_args: conn, command: 'echo scan' } })).data as { id: string };
    const bad = (await call('/device/exec', { method: 'POST', headers: device, body: { driver: 'paramiko', connection_args: { ...conn, username: 'nobody' }, command: 'echo scan' } })).data as { id: string };
    const sched = { Authorization: `Bearer ${jwt}` };
    const task = (await call('/api/v1/scheduler/tasks', { method: 'POST', headers: sched, body: { name: `scan-${env.suffix}`, project_id: 1, schedule_type: 'ONCE', action: { type: 'command', command: 'env' } } })).data as { id: number };
    const gpu = { Authorization: `Bearer ${config.auth.gpuApiKey}` };
    const gpuTask = (await call('/api/v2/tasks', { method: 'POST', headers: gpu, body: { taskType: 77, payload: '{"scan":1}' } })).data as { taskId: string };
    const service = { Authorization: config.auth.serviceAuthToken };
    const serviceTask = (await call('/api/create_task', { method: 'POST', headers: service, body: { data: { service: 'echo', condition: { scan: 1 } } } })) as { task_id: string };
    expect(serviceTask, JSON.stringify(serviceTask)).toMatchObject({ result: 'ok' });

    let last: unknown[] = [];
    await eventually(async () => {
      const settled = await Promise.allSettled([
        call(`/job?id=${ok.id}`, { headers: device }).then((r) => (r.data as { status: string }[])[0]?.status),
        call(`/job?id=${bad.id}`, { headers: device }).then((r) => (r.data as { status: string }[])[0]?.status),
        call(`/api/v1/scheduler/tasks/${task.id}/executions`, { headers: sched }).then((r) => (r.items as { status: string }[])[0]?.status),
        call(`/api/v2/tasks/${gpuTask.taskId}`, { headers: gpu }).then((r) => (r.data as { status: string }).status),
        call('/api/status_task', { method: 'POST', headers: service, body: { data: [{ task_id: serviceTask.task_id }] } }).then((r) => (r.status as { status: string }[] | undefined)?.[0]?.status ?? JSON.stringify(r)),
      ]);
      const states = settled.map((r) => (r.status === 'fulfilled' ? r.value : `error: ${String(r.reason)}`));
      last = states;
      return states.every((s) => ['finished', 'failed', 'SUCCESS', 'FAILED', 'COMPLETED'].includes(s ?? '')) ? states : null;
    }, 'every job to end', 120_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; last states (device ok, device bad, scheduler, gpu, service): ${JSON.stringify(last)}`);
    });
    // The scheduled command printed its environment: the service's own secrets must not be in it.
    const execs = (await call(`/api/v1/scheduler/tasks/${task.id}/executions`, { headers: sched })).items as { execution_id: string }[];
    const log = await call(`/api/v1/scheduler/executions/${execs[0]!.execution_id}/logs/file?lines=10000`, { headers: sched });
    expect(JSON.stringify(log)).toContain('PATH=');
  });

  it('finds no secret in MongoDB', async () => {
    const client = new MongoClient(config.mongo.url);
    await client.connect();
    try {
      const db = client.db(config.mongo.db);
      const collections = await db.listCollections().toArray();
      expect(collections.length).toBeGreaterThan(3);
      for (const c of collections) expectClean(JSON.stringify(await db.collection(c.name).find({}).toArray()), `collection ${c.name}`);
    } finally {
      await client.close();
    }
  });

  it('finds no secret in the raw Temporal history of any workflow it ran', async () => {
    const raw = await Connection.connect({ address: config.temporal.address });
    try {
      const list = await raw.workflowService.listWorkflowExecutions({ namespace: config.temporal.namespace, query: `TaskQueue = '${config.temporal.taskQueue}'`, pageSize: 200 });
      const ids = list.executions.map((e) => e.execution!);
      expect(ids.length).toBeGreaterThanOrEqual(5);
      for (const execution of ids) {
        const history = await raw.workflowService.getWorkflowExecutionHistory({ namespace: config.temporal.namespace, execution });
        expectClean(JSON.stringify(history.toJSON()), `history of ${execution.workflowId}`);
      }
    } finally {
      await raw.close();
    }
  });

  it('finds no secret in the logs or in any response', () => {
    expect(logLines.length).toBeGreaterThan(10);
    expectClean(logLines.join(''), 'the logs');
    expect(responses.length).toBeGreaterThan(5);
    expectClean(responses.join('\n'), 'the HTTP responses');
  });

  it('decodes payloads only for an authorised operator', async () => {
    const body = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: Buffer.from('x').toString('base64') }] });
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Bearer ${config.auth.gpuApiKey}` }];
    for (const headers of attempts) {
      const res = await fetch(`${api.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body });
      expect(res.status).toBe(401);
    }
  });
});
