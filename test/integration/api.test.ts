import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { connectMongo } from '../../src/store/mongo.js';
import { TaskStore } from '../../src/store/tasks.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';

const env = testEnv('api', { api: { bodyLimitBytes: 64 * 1024 } });
const { config } = env;
const KEY = { 'X-API-KEY': config.auth.deviceApiKey };
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;

beforeAll(async () => {
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
});

afterAll(async () => {
  await worker?.shutdown();
  await workerDone;
  await api?.shutdown();
  await env.cleanup();
});

const get = (path: string, headers: Record<string, string> = KEY) => fetch(`${api.url}${path}`, { headers });

describe('API skeleton on the real stack', () => {
  it('refuses /health without the key, in the envelope', async () => {
    const res = await get('/health', {});
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 401, message: 'Not authenticated: X-API-KEY missing', data: null });
    const wrong = await get('/health', { 'X-API-KEY': 'nope-nope-nope' });
    expect(wrong.status).toBe(401);
  });

  it('reports a missing worker as unhealthy, then healthy once one runs', async () => {
    const before = await get('/health?verbose=true');
    expect(before.status).toBe(503);
    const body = (await before.json()) as { code: number; message: string; data: { checks: Record<string, { ok: boolean }> } };
    expect(body.code).toBe(503);
    expect(body.message).toMatch(/workers/);
    // Every dependency is checked; only the missing worker is certain to fail (a loaded machine may slow the rest).
    expect(body.data.checks.workers?.ok).toBe(false);
    expect(Object.keys(body.data.checks).sort()).toEqual(['kafka', 'mongodb', 'temporal', 'workers']);

    worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await workflowBundle() });
    workerDone = worker.run();
    const deadline = Date.now() + 20_000;
    let res = await get('/health');
    while (res.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      res = await get('/health');
    }
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 200, message: 'success', data: 'ok' });
    // The key may also come as the query parameter NetPulse accepts.
    expect((await get(`/health?x-api-key=${config.auth.deviceApiKey}`, {})).status).toBe(200);
  });

  it('answers unknown paths with a 404 in the envelope', async () => {
    const res = await get('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 404, data: null });
  });

  it('refuses oversized bodies with 413', async () => {
    const res = await fetch(`${api.url}/device/exec`, { method: 'POST', headers: { ...KEY, 'content-type': 'application/json' }, body: 'x'.repeat(200 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: number }).code).toBe(413);
  });

  it('exposes Prometheus metrics by route and status', async () => {
    await get('/health');
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(/switchyard_http_requests_total\{method="GET",route="\/health",status="\d+"\} \d+/);
    expect(text).toMatch(/switchyard_http_request_duration_seconds_bucket/);
    expect(text).toContain('switchyard_jobs');
  });

  it('counts the mirror\'s jobs by kind and state in switchyard_jobs, from the cluster leader only', async () => {
    const mongo = await connectMongo(config);
    try {
      const tasks = new TaskStore(mongo.db);
      const seed = async (id: string, kind: 'device' | 'gpu', state: 'queued' | 'failed' | 'succeeded') =>
        tasks.apply({ task_id: `${id}_${env.suffix}`, rev: 1, kind, state, status: state, queue: 'q', create_time: new Date() });
      for (const i of [1, 2, 3]) await seed(`dq${i}`, 'device', 'queued');
      await seed('df1', 'device', 'failed');
      for (const i of [1, 2]) await seed(`gs${i}`, 'gpu', 'succeeded');
      // The API and the worker both serve /metrics; only the one holding the leader lease exports the gauge, so a
      // sum over processes is the true figure. Counts are taken at most every 10 s (src/store/job-metrics.ts).
      const exported = async () => {
        const perProcess = await Promise.all(
          [`${api.url}/metrics`, `${worker.probeUrl}/metrics`].map(async (url) => {
            const text = await (await fetch(url)).text();
            return Object.fromEntries([...text.matchAll(/^switchyard_jobs\{kind="(\w+)",state="(\w+)"\} (\d+)$/gm)].map((m) => [`${m[1]}/${m[2]}`, Number(m[3])]));
          }),
        );
        return perProcess.filter((counts) => Object.keys(counts).length > 0).map((counts) => JSON.stringify(Object.fromEntries(Object.entries(counts).sort())));
      };
      const until = (want: Record<string, number>) =>
        eventually(async () => {
          const got = await exported();
          return got.length === 1 && got[0] === JSON.stringify(Object.fromEntries(Object.entries(want).sort())) ? got : null;
        }, `switchyard_jobs from exactly one process to be ${JSON.stringify(want)}`, 40_000, 500);
      await until({ 'device/failed': 1, 'device/queued': 3, 'gpu/succeeded': 2 });
      // A job that moves on moves its count (within the count's period).
      await tasks.apply({ task_id: `dq1_${env.suffix}`, rev: 2, state: 'failed', status: 'failed' });
      await until({ 'device/failed': 2, 'device/queued': 2, 'gpu/succeeded': 2 });
    } finally {
      await mongo.close();
    }
  });

  it('publishes the OpenAPI documents and the interactive reference', async () => {
    const doc = (await (await fetch(`${api.url}/openapi/device.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/health');
    const html = await (await fetch(`${api.url}/docs`)).text();
    expect(html).toContain('/openapi/device.json');
    expect(html).toContain('/docs/vendor/swagger-ui-dist/swagger-ui-bundle.js');
    const asset = await fetch(`${api.url}/docs/vendor/swagger-ui-dist/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
  });

  it('never leaks a stack trace or an API key into a response', async () => {
    const res = await get(`/health?x-api-key=${config.auth.deviceApiKey}&verbose=true`, {});
    const text = await res.text();
    expect(text).not.toContain(config.auth.deviceApiKey);
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });
});
