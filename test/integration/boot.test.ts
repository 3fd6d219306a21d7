import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime } from '../../src/api/server.js';
import { COMMAND_RUN_WORKFLOW, type CommandRunWorkflow } from '../../src/scheduler/contract.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { CliProcess } from '../support/cli-process.js';
import { eventually, testEnv } from '../support/env.js';
import { freePort, PrivateStack } from '../faults/private-stack.js';

// Real `switchyard api` and `switchyard worker` processes started before their MongoDB exists (a private FerretDB
// on a free port, started later and stopped here; the shared stack is never touched), and processes whose
// dependency never comes.
const env = testEnv('boot');
const { config } = env;
let stack: PrivateStack;
let temporal: TemporalClientHandle;
const children: CliProcess[] = [];

/** The environment of a child process: this file's database, queue and topics, the given MongoDB. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  return {
    LOG_LEVEL: 'info',
    MONGO_DB: config.mongo.db,
    MONGO_TIMEOUT_MS: '1000',
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    KAFKA_EVENTS_TOPIC: config.kafka.eventsTopic,
    KAFKA_INGEST_TOPICS: config.kafka.ingestTopics.join(','),
    KAFKA_INGEST_GROUP: config.kafka.ingestGroup,
    KAFKA_DEAD_LETTER_TOPIC: config.kafka.deadLetterTopic,
    WORKER_HEARTBEAT_SECONDS: '1',
    WORKER_SHUTDOWN_GRACE_SECONDS: '20',
    ...extra,
  };
}

function start(command: 'api' | 'worker', extra: Record<string, string>): CliProcess {
  const p = new CliProcess(command, childEnv(extra));
  children.push(p);
  return p;
}

const attemptsOf = (p: CliProcess, dependency: string) => p.logs().filter((r) => r.dependency === dependency && typeof r.attempt === 'number' && r.level !== 30);

/** Probe bodies may say the state and nothing else. */
function expectOnlyState(body: string, state: string): void {
  expect(JSON.parse(body)).toEqual({ status: state });
  expect(body).not.toMatch(/\d+\.\d+|127\.0\.0\.1|localhost|mongo|temporal|kafka|error|ECONN/i);
}

beforeAll(async () => {
  stack = await PrivateStack.create({ tag: `boot${env.suffix}` });
  temporal = await connectTemporalClient(config);
}, 60_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await temporal?.close();
  await stack?.destroy();
  await env.cleanup();
}, 60_000);

describe('a dependency that comes late', () => {
  it('api and worker retry MongoDB with one log line per attempt, then serve; probes say only the state; readyz is 503 while the worker drains', async () => {
    const mongoUrl = stack.serviceEnv().MONGO_URL!;
    const [apiPort, probePort] = [await freePort(), await freePort()];
    const api = start('api', { MONGO_URL: mongoUrl, API_PORT: String(apiPort) });
    const worker = start('worker', { MONGO_URL: mongoUrl, WORKER_HTTP_PORT: String(probePort), WORKER_NAME: `w_boot_${env.suffix}` });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const probeUrl = `http://127.0.0.1:${probePort}`;

    // Nothing listens on MongoDB's port yet: both keep trying.
    await eventually(async () => attemptsOf(api, 'mongodb').length >= 2 && attemptsOf(worker, 'mongodb').length >= 2, 'two failed MongoDB attempts in each process', 60_000, 200);
    // The worker's probe port is open while it waits; the API serves nothing before it is whole.
    const live = await fetch(`${probeUrl}/livez`);
    expect(live.status).toBe(200);
    expectOnlyState(await live.text(), 'live');
    const starting = await fetch(`${probeUrl}/readyz`);
    expect(starting.status).toBe(503);
    expectOnlyState(await starting.text(), 'starting');
    await expect(fetch(`${apiUrl}/livez`)).rejects.toThrow();

    await stack.up(['ferretdb']);
    await api.waitForLog((r) => r.msg === 'API listening', 'the API to listen');
    await worker.waitForLog((r) => r.msg === 'worker running', 'the worker to run');

    for (const p of [api, worker]) {
      const attempts = attemptsOf(p, 'mongodb');
      // One line per attempt, numbered in order, each naming the next try and the error in one line.
      expect(attempts.map((r) => r.attempt)).toEqual(attempts.map((_r, i) => i + 1));
      for (const r of attempts) {
        expect(r.next_try_s).toEqual(expect.any(Number));
        expect(String(r.err)).toMatch(/ECONNREFUSED/);
        expect(String(r.msg)).toMatch(new RegExp(`^mongodb not ready: attempt ${String(r.attempt)} failed, next try in [\\d.]+ s: `));
      }
      expect(p.logs().some((r) => r.dependency === 'mongodb' && r.msg === `mongodb ready after ${attempts.length + 1} attempts`)).toBe(true);
      expect(p.stdout.concat(p.stderr).join('\n')).not.toMatch(/^\s+at /m);
    }

    for (const url of [apiUrl, probeUrl]) {
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status, url).toBe(200);
      expectOnlyState(await ready.text(), 'ready');
      expectOnlyState(await (await fetch(`${url}/livez`)).text(), 'live');
    }

    // A dependency gone: not ready, and still nothing but the state.
    await stack.stop('ferretdb');
    const down = await eventually(async () => {
      const r = await fetch(`${apiUrl}/readyz`);
      return r.status === 503 ? r.text() : null;
    }, 'readyz 503 with MongoDB stopped', 20_000, 300);
    expectOnlyState(down, 'unavailable');
    await stack.start('ferretdb');
    await eventually(async () => (await fetch(`${apiUrl}/readyz`)).status === 200 && (await fetch(`${probeUrl}/readyz`)).status === 200, 'readyz 200 again', 60_000, 500);

    // The worker's /metrics: its own registry, with what it runs now. A 4-s activity holds its drain open: a
    // scheduled run's command (the worker process runs the production workflows only).
    const taskId = `boot_drain_${env.suffix}`;
    const handle = await temporal.client.workflow.start<CommandRunWorkflow>(COMMAND_RUN_WORKFLOW, {
      taskQueue: config.temporal.taskQueue,
      workflowId: taskId,
      args: [{ scheduleId: 1, taskName: 'drain', owner: 'boot', command: 'sleep 4', env: {}, timeoutSeconds: 60, retryCount: 0, priority: 0, maxInstances: 1, source: 'command' }],
    });
    const inFlight = new RegExp(`^switchyard_worker_activities_in_flight\\{task_queue="${config.temporal.taskQueue}"\\} 1$`, 'm');
    const metrics = await eventually(async () => {
      const text = await (await fetch(`${probeUrl}/metrics`)).text();
      return inFlight.test(text) ? text : null;
    }, 'the activity in the worker metrics', 30_000, 200);
    // The standard names (no prefix), so the usual Node.js dashboards work; the SDK's own series are merged in.
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    expect(metrics).toMatch(/^temporal_/m);
    expect(metrics).toMatch(/^switchyard_worker_ready 1$/m);

    worker.child.kill('SIGTERM');
    const draining = await eventually(async () => {
      const r = await fetch(`${probeUrl}/readyz`);
      return r.status === 503 ? r.text() : null;
    }, 'readyz 503 while the worker drains', 5000, 50);
    expectOnlyState(draining, 'draining');
    expect(worker.running).toBe(true);
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // It let the running activity finish before it stopped (no worker is left to finish the workflow itself).
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
    await handle.terminate('test over');

    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
  });
});

describe('a dependency that never comes', () => {
  it('exits after BOOT_DEADLINE_SECONDS with one line saying why, no stack trace', async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const shared = { MONGO_URL: config.mongo.url, BOOT_DEADLINE_SECONDS: '4' };
    const worker = start('worker', { ...shared, TEMPORAL_ADDRESS: nobody, WORKER_HTTP_PORT: '0' });
    const api = start('api', { ...shared, KAFKA_BROKERS: nobody, API_PORT: String(await freePort()) });
    for (const [p, dependency] of [
      [worker, 'temporal'],
      [api, 'kafka'],
    ] as const) {
      expect(await p.exited).toEqual({ code: 1, signal: null });
      const stderr = p.stderr.filter((l) => l.trim() !== '');
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(new RegExp(`^switchyard ${p === worker ? 'worker' : 'api'}: ${dependency} not ready within the boot deadline of 4 s \\(\\d+ attempts\\): .+`));
      const attempts = attemptsOf(p, dependency);
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts.map((r) => r.attempt)).toEqual(attempts.map((_r, i) => i + 1));
      expect(attempts.at(-1)!.next_try_s).toBeNull();
      expect(p.stdout.concat(p.stderr).join('\n')).not.toMatch(/^\s+at /m);
    }
  });
});

describe('the API draining after SIGTERM', () => {
  it('answers readyz 503 at once, keeps serving for API_DRAIN_NOTICE_SECONDS, then closes its port', async () => {
    const local = testEnv('bootdrain', { api: { drainNoticeSeconds: 2 } });
    const api = await createApiRuntime({ config: local.config, logger: local.logger, port: 0, kafka: false });
    try {
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get('server')).toBeNull();
      expectOnlyState(await ready.text(), 'ready');

      const stopped = api.shutdown();
      const draining = await fetch(`${api.url}/readyz`);
      expect(draining.status).toBe(503);
      expectOnlyState(await draining.text(), 'draining');
      // Not ready, but still serving: a request of a dialect and liveness are answered.
      expect((await fetch(`${api.url}/livez`)).status).toBe(200);
      const gpus = await fetch(`${api.url}/api/v2/gpus`, { headers: { Authorization: `Bearer ${local.config.auth.gpuApiKey}` } });
      expect(gpus.status).toBe(200);
      await stopped;
      await expect(fetch(`${api.url}/livez`)).rejects.toThrow();
    } finally {
      await api.shutdown();
      await local.cleanup();
    }
  });
});
