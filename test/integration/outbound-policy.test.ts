import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createDeviceWorkerPlugin } from '../../src/device/worker-plugin.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';

/**
 * The outbound policy end to end, on loopback only: the test denies 127.0.0.1 and 127.0.0.2 (and ::1), and serves
 * the allowed side on 127.0.0.4. Trap servers on the denied addresses count every connection they get: none may
 * arrive. `localhost` is the DNS name that resolves to a denied address (127.0.0.1, from /etc/hosts).
 */
vi.setConfig({ testTimeout: 300_000 });

const env = testEnv('outbound', {
  outbound: { denyCidrs: ['127.0.0.1/32', '127.0.0.2/32', '::1/128'] },
  services: {
    maxStatusTask: 10,
    // A queue of its own: on `service.http`, other test files' workers (without this policy) would take its tasks.
    list: [{ name: 'http', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 60, task_queue: `service.http.outbound-${randomUUID().slice(0, 8)}` }],
  },
  gpu: { heartbeatTimeoutSeconds: 60, defaultTaskTimeoutSeconds: 120, maxRetries: 0, failureThreshold: 5, queueAlertThreshold: 1000, failureRateAlertThreshold: 0.99, nodeCallTimeoutMs: 3000 },
});
const { config } = env;

let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let emu: DeviceEmulator;
let temporal: TemporalClientHandle;
let good: Server;
let goodUrl: string;
const hooks: unknown[] = [];
/** Connections that reached a denied address: must stay empty. */
const trapped: string[] = [];
const traps: Server[] = [];
let trap1Port = 0; // 127.0.0.1
let trap2Port = 0; // 127.0.0.2

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

function trap(host: string): Server {
  const s = createServer((req, res) => res.writeHead(200).end('trapped'));
  s.on('connection', () => trapped.push(host));
  traps.push(s);
  return s;
}

beforeAll(async () => {
  trap1Port = await listen(trap('127.0.0.1'), '127.0.0.1');
  trap2Port = await listen(trap('127.0.0.2'), '127.0.0.2');
  good = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path.startsWith('/redirect-literal')) return res.writeHead(307, { location: `http://127.0.0.2:${trap2Port}/stolen` }).end();
      if (path.startsWith('/redirect-name')) return res.writeHead(302, { location: `http://localhost:${trap1Port}/stolen` }).end();
      if (path === '/tasks') return res.writeHead(307, { location: `http://127.0.0.2:${trap2Port}/tasks` }).end();
      if (path === '/hook') hooks.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path }));
    });
  });
  goodUrl = `http://127.0.0.4:${await listen(good, '127.0.0.4')}`;
  emu = await startDeviceEmulator({});
  temporal = await connectTemporalClient(config);
  worker = await createWorkerRuntime({
    config,
    logger: env.logger,
    workflowBundle: await workflowBundle(),
    plugins: [createDeviceWorkerPlugin(), createServiceTasksPlugin({ ingest: false })],
    kafka: false,
  });
  workerDone = worker.run();
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
}, 180_000);

afterAll(async () => {
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await temporal?.close();
  await emu?.close();
  good?.close();
  for (const t of traps) t.close();
  await env.cleanup();
}, 60_000);

async function call(path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const service = (path: string, body: unknown) => call(path, body, { Authorization: config.auth.serviceAuthToken });
const device = (body: unknown) => call('/device/exec', body, { 'X-API-KEY': config.auth.deviceApiKey });
const gpu = (path: string, body: unknown) => call(`/api/v2${path}`, body, { authorization: `Bearer ${config.auth.gpuApiKey}` });
const emuArgs = () => ({ host: emu.host, port: emu.port, username: emu.username, password: emu.password, device_type: 'cisco_ios', secret: emu.enableSecret });

/** The failures of a workflow's activities, as its history holds them (type and attempt; messages are encrypted). */
async function activityFailures(workflowId: string): Promise<{ type: string | null | undefined; attempt: number }[]> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const attempts = new Map<string, number>();
  const out: { type: string | null | undefined; attempt: number }[] = [];
  for (const e of history.events ?? []) {
    if (e.activityTaskStartedEventAttributes) attempts.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), e.activityTaskStartedEventAttributes.attempt ?? 0);
    const f = e.activityTaskFailedEventAttributes;
    if (f) out.push({ type: f.failure?.applicationFailureInfo?.type, attempt: attempts.get(String(f.scheduledEventId)) ?? 0 });
  }
  return out;
}

describe('the http service', () => {
  const statusOf = async (id: string) => ((await service('/api/status_task', { data: [{ task_id: id }] })).body.status as Record<string, unknown>[])[0]!;
  const ended = (id: string) =>
    eventually(async () => {
      const s = await statusOf(id);
      return s.status === 'failed' || s.status === 'finished' ? s : null;
    }, `task ${id} to end`, 120_000, 200);

  it('refuses a denied literal address and CR/LF in a header at submission, with a 400 in the dialect envelope', async () => {
    const literal = await service('/api/create_task', { data: { service: 'http', condition: { url: `http://127.0.0.2:${trap2Port}/` } } });
    expect(literal.status).toBe(400);
    expect(literal.body).toMatchObject({ result: 'exception', message: expect.stringMatching(/condition\.url is refused by the outbound policy: 127\.0\.0\.2 is in the denied range 127\.0\.0\.2\/32/) });
    const mapped = await service('/api/create_task', { data: { service: 'http', condition: { url: `http://[::ffff:127.0.0.2]:${trap2Port}/` } } });
    expect(mapped.status).toBe(400);
    const scheme = await service('/api/create_task', { data: { service: 'http', condition: { url: 'file:///etc/passwd' } } });
    expect(scheme.status).toBe(400);
    const injected = await service('/api/create_task', { data: { service: 'http', condition: { url: `${goodUrl}/ok`, headers: { 'X-A': 'a\r\nX-Injected: 1' } } } });
    expect(injected.status).toBe(400);
    expect(injected.body.message).toMatch(/CR, LF or NUL/);
  });

  it('fails, without retrying, a task whose redirect or DNS name leads to a denied address; an allowed one runs', async () => {
    const ok = await service('/api/create_task', { data: { service: 'http', condition: { url: `${goodUrl}/ok` } } });
    const viaLiteral = await service('/api/create_task', { data: { service: 'http', condition: { url: `${goodUrl}/redirect-literal` } } });
    const viaName = await service('/api/create_task', { data: { service: 'http', condition: { url: `${goodUrl}/redirect-name`, method: 'POST', body: { a: 1 } } } });
    const name = await service('/api/create_task', { data: { service: 'http', condition: { url: `http://localhost:${trap1Port}/` } } });
    for (const r of [ok, viaLiteral, viaName, name]) expect(r.status, JSON.stringify(r.body)).toBe(200);

    expect((await ended(ok.body.task_id as string)).status).toBe('finished');
    const literal = await ended(viaLiteral.body.task_id as string);
    expect(literal).toMatchObject({ status: 'failed', message: expect.stringMatching(/outbound policy refused the redirect from http:\/\/127\.0\.0\.4:\d+\/redirect-literal to http:\/\/127\.0\.0\.2:\d+\/stolen: 127\.0\.0\.2 is in the denied range/) });
    // A redirect to a name passes the URL check; its connection is refused on the address the name resolved to.
    const byName = await ended(viaName.body.task_id as string);
    expect(byName).toMatchObject({ status: 'failed', message: expect.stringMatching(/outbound policy refused http:\/\/localhost:\d+: localhost resolves to 127\.0\.0\.1; 127\.0\.0\.1 is in the denied range 127\.0\.0\.1\/32 \(OUTBOUND_DENY_CIDRS\)/) });
    expect((await ended(name.body.task_id as string)).message).toMatch(/localhost resolves to 127\.0\.0\.1/);
    for (const id of [viaLiteral, viaName, name].map((r) => r.body.task_id as string)) {
      expect(await activityFailures(id)).toEqual([{ type: 'OutboundRefused', attempt: 1 }]);
    }
    expect(trapped).toEqual([]);
  });
});

describe('webhooks', () => {
  it('refuses a denied webhook address and header injection at submission (400 naming the field)', async () => {
    const literal = await device({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock', webhook: { url: `http://127.0.0.2:${trap2Port}/hook` } });
    expect(literal.status).toBe(400);
    expect(literal.body).toMatchObject({ code: 400, message: expect.stringMatching(/webhook\.url is refused by the outbound policy: 127\.0\.0\.2/), data: { errors: [{ field: 'webhook.url' }] } });
    const meta = await device({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock', webhook: { url: 'http://169.254.169.254/latest/meta-data/' } });
    expect(meta.status).toBe(400);
    expect(meta.body.message).toMatch(/169\.254\.0\.0\/16/);
    const injected = await device({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock', webhook: { url: `${goodUrl}/hook`, headers: { 'X-Sig': 'v\r\nX-Injected: 1' } } });
    expect(injected.status).toBe(400);
    expect(JSON.stringify(injected.body)).toMatch(/webhook\.headers.*CR, LF or NUL/);
  });

  it('calls an allowed webhook, and refuses (once, not retried) one redirected to a denied address', async () => {
    const sent = await device({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock', webhook: { url: `${goodUrl}/hook`, headers: { 'X-Sig': 'abc' } } });
    const redirected = await device({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock', webhook: { url: `${goodUrl}/redirect-literal` } });
    const named = await device({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock', webhook: { url: `http://localhost:${trap1Port}/hook` } });
    for (const r of [sent, redirected, named]) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const id = (r: { body: Record<string, unknown> }) => (r.body.data as { id: string }).id;
    await eventually(async () => hooks.find((h) => (h as { id: string }).id === id(sent)), 'the allowed webhook', 120_000, 200);
    for (const r of [redirected, named]) {
      const failures = await eventually(async () => {
        const f = await activityFailures(id(r));
        return f.length > 0 ? f : null;
      }, 'the refused webhook', 120_000, 200);
      expect(failures).toEqual([{ type: 'OutboundRefused', attempt: 1 }]);
    }
    expect(trapped).toEqual([]);
  });
});

describe('GPU node addresses', () => {
  const node = (gpuId: string, ip: string, port: number, taskType: number) => ({ gpuId, hostname: gpuId, ip, port, supportedTaskTypes: [taskType], maxConcurrentTasks: 1 });

  it('refuses to register a node at a denied address or at something that is not a host', async () => {
    const denied = await gpu('/gpus/register', node('n_denied', '127.0.0.2', trap2Port, 9101));
    expect(denied.status).toBe(400);
    expect(denied.body).toMatchObject({ code: 400, message: expect.stringMatching(/refused by the outbound policy: 127\.0\.0\.2 is in the denied range/), data: { errors: [{ field: 'ip' }] } });
    expect((await gpu('/gpus/register', node('n_meta', '169.254.169.254', 80, 9101))).status).toBe(400);
    expect((await gpu('/gpus/register', node('n_url', `127.0.0.4:${trap2Port}/x?`, 80, 9101))).status).toBe(400);
  });

  it('marks a node FAULTY, and fails its task naming the policy, when its name or its redirect leads to a denied address', async () => {
    for (const [gpuId, ip, port, taskType] of [
      ['n_name', 'localhost', trap1Port, 9102],
      ['n_redirect', '127.0.0.4', Number(new URL(goodUrl).port), 9103],
    ] as const) {
      expect((await gpu('/gpus/register', node(gpuId, ip, port, taskType))).status).toBe(200);
      const created = await gpu('/tasks', { taskType, payload: '{}', maxRetries: 0, timeout: 60_000 });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const taskId = (created.body.data as { taskId: string }).taskId;
      const t = await eventually(async () => {
        const r = await fetch(`${api.url}/api/v2/tasks/${taskId}`, { headers: { authorization: `Bearer ${config.auth.gpuApiKey}` } });
        const d = ((await r.json()) as { data: { status: string; errorMessage: string | null } }).data;
        return d.status === 'FAILED' ? d : null;
      }, `${gpuId}'s task to fail`, 120_000, 200);
      expect(t.errorMessage).toMatch(/outbound policy refused/);
      const n = await fetch(`${api.url}/api/v2/gpus/${gpuId}`, { headers: { authorization: `Bearer ${config.auth.gpuApiKey}` } });
      expect(((await n.json()) as { data: { status: string; faultReason: string } }).data).toMatchObject({ status: 'FAULTY', faultReason: expect.stringMatching(/outbound policy refused/) });
    }
    expect(trapped).toEqual([]);
  });
});
