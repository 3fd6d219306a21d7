import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { startWorkerProcess } from '../support/worker-process.js';

const env = testEnv('svcfail');
const { config } = env;
const bundleFile = join(tmpdir(), `sy-svcfail-${env.suffix}.js`);
const children: ChildProcess[] = [];
let api: ApiRuntime;
let server: Server;
let url: string;
/** Requests the slow endpoint has seen; the first is held until its caller goes away. */
let hits = 0;

async function call(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', Authorization: config.auth.serviceAuthToken }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  writeFileSync(bundleFile, (await workflowBundle()).code);
  server = createServer((_req, res) => {
    if (++hits === 1) return; // never answered: the worker running it is killed meanwhile
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ attempt: hits }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  server?.closeAllConnections();
  server?.close();
  await api?.shutdown();
  await env.cleanup();
}, 60_000);

describe('a built-in service task whose worker is SIGKILLed mid-attempt', () => {
  it('runs again on another worker within seconds and finishes', async () => {
    const first = await startWorkerProcess({ name: `sa_${env.suffix}`, plugin: 'service', config, bundleFile });
    children.push(first);
    const created = await call('/api/create_task', { data: { service: 'http', condition: { url, timeout: 120 } } });
    const id = created.task_id as string;
    await eventually(async () => hits === 1, 'the first attempt reached the endpoint');
    children.push(await startWorkerProcess({ name: `sb_${env.suffix}`, plugin: 'service', config, bundleFile }));
    first.kill('SIGKILL');

    // The default timeout_seconds of `http` is 300: only the heartbeat timeout can bring the task back this soon.
    await eventually(async () => ((await call('/api/status_task', { data: [{ task_id: id }] })).status as { status: string }[])[0]!.status === 'finished', 'task finished on the second worker', 40_000, 250);
    expect(hits).toBe(2);
    const result = await call('/api/result_task', { data: { task_id: id } });
    expect(result.data).toMatchObject({ status: 200, body: { attempt: 2 } });
  }, 120_000);
});
