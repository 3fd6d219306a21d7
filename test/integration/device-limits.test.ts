import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createDeviceWorkerPlugin } from '../../src/device/worker-plugin.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { startSshd, type SshdHandle } from '../support/sshd.js';

// DEVICE_FIFO_CONCURRENCY and DEVICE_BULK_TTL as documented, against OpenSSH on loopback: one worker that runs two
// fifo jobs at once, and bulk jobs that may wait two seconds for a slot.
const env = testEnv('devlimits', { device: { fifoConcurrency: 2, bulkTtlSeconds: 2 } });
const { config } = env;
const KEY = { 'X-API-KEY': config.auth.deviceApiKey, 'content-type': 'application/json' };

let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let sshd: SshdHandle;

beforeAll(async () => {
  sshd = await startSshd();
  worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await workflowBundle(), plugins: [createDeviceWorkerPlugin()], kafka: false });
  workerDone = worker.run();
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
}, 120_000);

afterAll(async () => {
  await worker?.shutdown();
  await workerDone;
  await api?.shutdown();
  await sshd?.close();
  await env.cleanup();
}, 60_000);

interface Job {
  id: string;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  result: { error: { type: string; message: string } | null } | null;
}

const conn = () => ({ host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password });

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: KEY, body: JSON.stringify(body) });
  const j = (await res.json()) as { data: T };
  expect(res.status, JSON.stringify(j)).toBe(200);
  return j.data;
}

async function job(id: string): Promise<Job> {
  const res = await fetch(`${api.url}/job?id=${id}`, { headers: KEY });
  return ((await res.json()) as { data: Job[] }).data[0]!;
}

const ended = (id: string) =>
  eventually(async () => {
    const j = await job(id);
    return ['finished', 'failed', 'cancelled'].includes(j.status) ? j : null;
  }, `job ${id} to end`, 90_000, 200);

/** The most jobs whose [started_at, ended_at] overlap at one instant. */
function mostAtOnce(jobs: Job[]): number {
  const edges = jobs.flatMap((j) => [
    { t: Date.parse(j.started_at!), d: 1 },
    { t: Date.parse(j.ended_at!), d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (now += e.d));
  return most;
}

describe('device job limits', () => {
  it('runs at most DEVICE_FIFO_CONCURRENCY fifo jobs at once on one worker', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await post<{ id: string }>('/device/exec', { driver: 'ssh', connection_args: conn(), command: `sleep 2; echo c${i}` })).id);
    const jobs = await Promise.all(ids.map(ended));
    for (const j of jobs) expect(j.status, JSON.stringify(j.result)).toBe('finished');
    // Two at once, not one (the limit is used) and not four (the limit holds).
    expect(mostAtOnce(jobs)).toBe(2);
  });

  it('ends a bulk job that could not start within DEVICE_BULK_TTL; an exec job with the default ttl waits on', async () => {
    const busy: string[] = [];
    for (let i = 0; i < 2; i++) busy.push((await post<{ id: string }>('/device/exec', { driver: 'ssh', connection_args: conn(), command: `sleep 8; echo busy${i}` })).id);
    await eventually(async () => (await Promise.all(busy.map(job))).every((j) => j.status === 'started'), 'both slots to be taken', 60_000, 200);
    const bulk = await post<{ succeeded: Array<{ id: string }> }>('/device/bulk', { driver: 'ssh', connection_args: { username: sshd.username, password: sshd.password, port: sshd.port }, command: 'echo bulk', devices: [{ host: sshd.host }] });
    const patient = await post<{ id: string }>('/device/exec', { driver: 'ssh', connection_args: conn(), command: 'echo patient' });
    const timedOut = await ended(bulk.succeeded[0]!.id);
    expect(timedOut.status).toBe('failed');
    expect(timedOut.result?.error).toEqual({ type: 'Timeout', message: 'job did not start within its ttl of 2s' });
    expect(timedOut.started_at).toBeNull();
    expect((await ended(patient.id)).status).toBe('finished');
    for (const id of busy) expect((await ended(id)).status).toBe('finished');
  });
});
