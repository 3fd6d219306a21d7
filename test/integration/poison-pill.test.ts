import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { WORKER_LOST_ATTEMPTS } from '../../src/domain/worker-lost.js';
import { deviceClient } from '../support/device-client.js';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { startWorkerProcess } from '../support/worker-process.js';

// A job that kills whichever worker runs it (test/support/poison-hook.mjs: SIGKILL when its turn comes, as an OOM
// kill or a native crash would). Three worker processes, restarted when they die as a supervisor would. The job
// must end WorkerLost after WORKER_LOST_ATTEMPTS lost workers, not go round the fleet forever, and the jobs around
// it (the same host behind it, another host beside it) must all finish.
const env = testEnv('poison');
const { config } = env;
const bundleFile = join(tmpdir(), `sy-poison-${env.suffix}.js`);
const MARKER = `poison-pill-${env.suffix}`;

let api: ApiRuntime;
let hostA: DeviceEmulator;
let hostB: DeviceEmulator;
const workers = new Map<string, ChildProcess>();
let deaths = 0;
let stopping = false;

/** Starts a worker and starts it again whenever it dies. */
async function supervise(name: string): Promise<void> {
  const child = await startWorkerProcess({ name, plugin: 'device', config, bundleFile, env: { SY_TEST_POISON_MARKER: MARKER } });
  workers.set(name, child);
  child.once('exit', () => {
    if (stopping) return;
    deaths++;
    void supervise(name).catch(() => undefined);
  });
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

beforeAll(async () => {
  writeFileSync(bundleFile, (await workflowBundle()).code);
  [hostA, hostB] = await Promise.all([
    startDeviceEmulator({ listenHost: '127.0.0.31', commandDelayMs: (c) => (c === 'show clock' ? 100 : 0) }),
    startDeviceEmulator({ listenHost: '127.0.0.32', commandDelayMs: (c) => (c === 'show clock' ? 100 : 0) }),
  ]);
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
  await Promise.all(['pa', 'pb', 'pc'].map((n) => supervise(`${n}_${env.suffix}`)));
}, 180_000);

afterAll(async () => {
  stopping = true;
  for (const c of workers.values()) if (alive(c)) c.kill('SIGKILL');
  await api?.shutdown();
  await hostA?.close();
  await hostB?.close();
  await env.cleanup();
}, 60_000);

interface Job {
  id: string;
  status: string;
  result: { error: { type: string; message: string } | null } | null;
}

const conn = (d: DeviceEmulator) => ({ host: d.host, port: d.port, username: d.username, password: d.password, device_type: 'cisco_ios', secret: d.enableSecret });

const { submit: submitJob, settled } = deviceClient<Job>({ url: () => api.url, apiKey: config.auth.deviceApiKey, settleTimeoutMs: 240_000, pollMs: 250 });
const submit = (d: DeviceEmulator, command: string) => submitJob({ driver: 'netmiko', connection_args: conn(d), command });

describe('a poison pill: a job that kills its worker on every attempt', () => {
  it(`ends WorkerLost after ${WORKER_LOST_ATTEMPTS} lost workers while the jobs around it finish`, async () => {
    const before = await submit(hostA, 'show clock');
    const poison = await submit(hostA, `show ${MARKER}`);
    const behind = [await submit(hostA, 'show clock'), await submit(hostA, 'show version')];
    const beside: string[] = [];
    // Jobs keep arriving on another host while the poison goes round.
    const poisonEnd = settled(poison);
    let ended = false;
    void poisonEnd.finally(() => (ended = true));
    while (!ended && beside.length < 30) {
      beside.push(await submit(hostB, 'show clock'));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const p = await poisonEnd;
    expect(p.status).toBe('failed');
    expect(p.result?.error?.type).toBe('WorkerLost');
    expect(p.result?.error?.message).toContain(`lost ${WORKER_LOST_ATTEMPTS} times (attempts: ${WORKER_LOST_ATTEMPTS})`);
    expect(deaths).toBe(WORKER_LOST_ATTEMPTS);

    // After it, both hosts are served again.
    const after = [await submit(hostA, 'show clock'), await submit(hostB, 'show clock')];
    for (const id of [before, ...behind, ...beside, ...after]) {
      const j = await settled(id);
      expect(j.status, `${id}: ${JSON.stringify(j.result?.error)}`).toBe('finished');
    }
    expect(deaths).toBe(WORKER_LOST_ATTEMPTS);
    // Every worker is up at the end (the supervisor restarted each one the poison killed).
    await eventually(async () => [...workers.values()].every(alive), 'every worker to be running', 60_000);
  }, 400_000);
});
