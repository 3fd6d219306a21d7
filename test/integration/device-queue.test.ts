import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { deviceClient } from '../support/device-client.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';

// Workflows run, but no worker serves the device queues: fifo jobs wait, so cancellation and ttl can be seen.
const env = testEnv('devqueue');
const { config } = env;
const KEY = { 'X-API-KEY': config.auth.deviceApiKey, 'content-type': 'application/json' };
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;

beforeAll(async () => {
  worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await workflowBundle(), kafka: false });
  workerDone = worker.run();
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
}, 120_000);

afterAll(async () => {
  await worker?.shutdown();
  await workerDone;
  await api?.shutdown();
  await env.cleanup();
}, 60_000);

interface Job {
  id: string;
  status: string;
  waiting_reason?: string | null;
  result: { type: string; error: { type: string; message: string } | null } | null;
}

const body = (extra: Record<string, unknown> = {}) => ({
  driver: 'paramiko',
  connection_args: { host: '192.0.2.10', username: 'u', password: 'queue-test-pw' },
  command: 'echo x',
  ...extra,
});
const { submit, job } = deviceClient<Job>({ url: () => api.url, apiKey: config.auth.deviceApiKey });

describe('fifo jobs that wait', () => {
  it('say why they wait, and are cancelled by id, queue or host before they start', async () => {
    const a = await submit(body());
    const b = await submit(body());
    const c = await submit(body({ connection_args: { host: '192.0.2.11', username: 'u', password: 'queue-test-pw' } }));
    expect((await job(a))?.waiting_reason).toBe('no worker polls FifoQ');
    const byId = await fetch(`${api.url}/job?id=${a}`, { method: 'DELETE', headers: KEY });
    expect(((await byId.json()) as { data: unknown }).data).toEqual({ cancelled_count: 1, cancelled_jobs: [a] });
    const byHost = await fetch(`${api.url}/job?host=192.0.2.11`, { method: 'DELETE', headers: KEY });
    expect(((await byHost.json()) as { data: unknown }).data).toEqual({ cancelled_count: 1, cancelled_jobs: [c] });
    const byQueue = await fetch(`${api.url}/jobs?queue=FifoQ`, { method: 'DELETE', headers: KEY });
    expect(((await byQueue.json()) as { data: unknown }).data).toEqual({ cancelled_count: 1, cancelled_jobs: [b] });
    for (const id of [a, b, c]) {
      const j = await eventually(async () => {
        const x = await job(id);
        return x?.status === 'cancelled' ? x : null;
      }, `job ${id} cancelled`);
      expect(j.result?.error?.type).toBe('Cancelled');
    }
    // Nothing left to cancel.
    const again = await fetch(`${api.url}/job?queue=FifoQ`, { method: 'DELETE', headers: KEY });
    expect(((await again.json()) as { data: unknown }).data).toEqual({ cancelled_count: 0, cancelled_jobs: [] });
  });

  it('fail with error type Timeout when their ttl runs out before they start', async () => {
    const id = await submit(body({ ttl: 1 }));
    const j = await eventually(async () => {
      const x = await job(id);
      return x?.status === 'failed' ? x : null;
    }, 'the ttl to expire', 60_000);
    expect(j.result?.error?.type).toBe('Timeout');
  });
});
