import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceClient } from '../support/device-client.js';
import { startDeviceStackWithSshd, type DeviceStackWithSshd } from '../support/device-stack.js';
import { eventually, testEnv } from '../support/env.js';

// DEVICE_FIFO_CONCURRENCY and DEVICE_BULK_TTL as documented, against OpenSSH on loopback: one worker that runs two
// fifo jobs at once, and bulk jobs that may wait two seconds for a slot.
const env = testEnv('devlimits', { device: { fifoConcurrency: 2, bulkTtlSeconds: 2 } });

let stack: DeviceStackWithSshd;

beforeAll(async () => {
  stack = await startDeviceStackWithSshd(env);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env.cleanup();
}, 60_000);

interface Job {
  id: string;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  result: { error: { type: string; message: string } | null } | null;
}

const conn = () => ({ host: stack.sshd.host, port: stack.sshd.port, username: stack.sshd.username, password: stack.sshd.password });
const { post, submit, job, settled: ended } = deviceClient<Job>({ url: () => stack.api.url, apiKey: env.config.auth.deviceApiKey });

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
    for (let i = 0; i < 4; i++) ids.push(await submit({ driver: 'ssh', connection_args: conn(), command: `sleep 2; echo c${i}` }));
    const jobs = await Promise.all(ids.map(ended));
    for (const j of jobs) expect(j.status, JSON.stringify(j.result)).toBe('finished');
    // Two at once, not one (the limit is used) and not four (the limit holds).
    expect(mostAtOnce(jobs)).toBe(2);
  });

  it('ends a bulk job that could not start within DEVICE_BULK_TTL; an exec job with the default ttl waits on', async () => {
    const busy: string[] = [];
    for (let i = 0; i < 2; i++) busy.push(await submit({ driver: 'ssh', connection_args: conn(), command: `sleep 8; echo busy${i}` }));
    await eventually(async () => (await Promise.all(busy.map(job))).every((j) => j?.status === 'started'), 'both slots to be taken', 60_000, 200);
    const bulk = await post<{ succeeded: Array<{ id: string }> }>('/device/bulk', { driver: 'ssh', connection_args: { username: stack.sshd.username, password: stack.sshd.password, port: stack.sshd.port }, command: 'echo bulk', devices: [{ host: stack.sshd.host }] });
    const patient = await submit({ driver: 'ssh', connection_args: conn(), command: 'echo patient' });
    const timedOut = await ended(bulk.succeeded[0]!.id);
    expect(timedOut.status).toBe('failed');
    expect(timedOut.result?.error).toEqual({ type: 'Timeout', message: 'job did not start within its ttl of 2s' });
    expect(timedOut.started_at).toBeNull();
    expect((await ended(patient)).status).toBe('finished');
    for (const id of busy) expect((await ended(id)).status).toBe('finished');
  });
});
