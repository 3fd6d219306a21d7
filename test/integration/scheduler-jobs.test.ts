import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { scheduleIdFor } from '../../src/scheduler/contract.js';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { startDeviceStack, type DeviceStack } from '../support/device-stack.js';
import { eventually, testEnv } from '../support/env.js';
import { schedulerClient, type Json } from '../support/scheduler-client.js';
import { FakeGpuNode } from '../support/gpu-fake-node.js';
import { capturingLogger } from '../support/log-capture.js';
import { startSshd, type SshdHandle } from '../support/sshd.js';

// Scheduled `device` and `gpu` actions (DESIGN.md "Contract extensions"): each run submits a real device job
// (against the test sshd and the in-repo device emulator) or creates a real GPU task (taken by a fake node),
// seen in its own dialect's views; the execution ends with the job's outcome. Credentials stay out of MongoDB,
// the logs and the raw Temporal data.
const workspaceRoot = mkdtempSync(join(tmpdir(), 'sched-jobs-'));
const env = testEnv('schedjobs', {
  scheduler: { projects: [{ id: 1, name: 'p1', entry_command: 'echo p1' }], workspaceRoot, commandUsers: ['alice'] },
  gpu: { heartbeatTimeoutSeconds: 10, defaultTaskTimeoutSeconds: 120, maxRetries: 2, nodeCallTimeoutMs: 2000 },
});
const { config } = env;
const { logger, lines: logLines } = capturingLogger();
const P = '/api/v1/scheduler';
const GPU_TYPE = 41;
const WRONG_PASSWORD = 'wrong-pass-SCHED-7731';
let stack: DeviceStack;
let sshd: SshdHandle;
let emu: DeviceEmulator;
let gpuNode: FakeGpuNode;
const tokens: Record<string, string> = {};

const { call, createTask, created } = schedulerClient({ url: () => stack.api.url, tokens, namePrefix: `jobs-${env.suffix}`, defaults: { schedule_type: 'ONCE' } });

async function finished(who: string, id: number, count = 1): Promise<Json[]> {
  return eventually(
    async () => {
      const r = await call(who, 'GET', `${P}/tasks/${id}/executions?size=100`);
      const done = (r.body.items as Json[]).filter((i) => !['PENDING', 'RUNNING'].includes(i.status as string));
      return done.length >= count ? done : null;
    },
    `${count} finished execution(s) of task ${id}`,
    90_000,
    300,
  );
}

async function deviceJob(id: string): Promise<Json> {
  const res = await fetch(`${stack.api.url}/job?id=${id}`, { headers: { 'X-API-KEY': config.auth.deviceApiKey } });
  expect(res.status).toBe(200);
  return ((await res.json()) as Json).data[0] as Json;
}

const sshArgs = () => ({ host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password });
const emuArgs = () => ({ host: emu.host, port: emu.port, username: emu.username, password: emu.password, device_type: 'cisco_ios', secret: emu.enableSecret });
const secrets = () => [sshd.password, emu.password, emu.enableSecret, WRONG_PASSWORD];

beforeAll(async () => {
  for (const [who, role] of [['alice', 'user'], ['bob', 'user'], ['root', 'admin']] as const) tokens[who] = await mintSchedulerToken(config.auth.schedulerJwtSecret, who, role);
  [sshd, emu] = await Promise.all([startSshd(), startDeviceEmulator({ enableSecret: 'en-secret-SCHED-4711' })]);
  stack = await startDeviceStack(env, { logger, apiKafka: false });
  gpuNode = await new FakeGpuNode({ api: stack.api.url, key: config.auth.gpuApiKey, gpuId: `gpu-sched-${env.suffix}`, taskTypes: [GPU_TYPE], capacity: 2, completeAfterMs: 100 }).start();
}, 180_000);

afterAll(async () => {
  for (const t of created) await call(t.who, 'DELETE', `${P}/tasks/${t.id}`).catch(() => undefined);
  await gpuNode?.stop();
  await stack?.close();
  await sshd?.close();
  await emu?.close();
  await env.cleanup();
  rmSync(workspaceRoot, { recursive: true, force: true });
}, 120_000);

describe('scheduler device and gpu actions: validation and permission', () => {
  const base = { name: 'valid-name', project_id: 1, schedule_type: 'CRON', schedule_config: '0 2 * * *' };
  const device = (over: Json) => ({ type: 'device', driver: 'ssh', connection_args: { host: '127.0.0.1', username: 'u', password: 'p' }, command: 'uname', ...over });
  const cases: [string, Json, string][] = [
    ['a device host that is no host', device({ connection_args: { host: 'bad host;rm', username: 'u', password: 'p' } }), 'action.connection_args.host'],
    ['a device port out of range', device({ connection_args: { host: 'h1', port: 70000, username: 'u', password: 'p' } }), 'action.connection_args.port'],
    ['an unknown device driver', device({ driver: 'telnetlib' }), 'action.driver'],
    ['a device job without command or config', device({ command: undefined }), 'action.command'],
    ['a device job without credentials', device({ connection_args: { host: 'h1', username: 'u' } }), 'action.connection_args.password'],
    ['a device ttl over a day', device({ ttl: 100_000 }), 'action.ttl'],
    ['a gpu task without taskType', { type: 'gpu', payload: 'x' }, 'action.taskType'],
    ['a gpu priority below 0', { type: 'gpu', taskType: 1, priority: -1 }, 'action.priority'],
    ['an unknown action type', { type: 'ftp' }, 'action.type'],
  ];
  for (const [what, action, field] of cases) {
    it(`rejects ${what} with a 400 naming ${field}, in the scheduler envelope`, async () => {
      const r = await call('root', 'POST', `${P}/tasks`, { ...base, action });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 400, message: '请求参数错误' });
      expect(typeof r.body.timestamp).toBe('string');
      expect((r.body.errors as Json[]).map((e) => e.field)).toContain(field);
    });
  }

  it('lets only admins and command users schedule device jobs; anyone may schedule GPU tasks', async () => {
    const r = await call('bob', 'POST', `${P}/tasks`, { ...base, action: device({}) });
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.errors[0]).toMatchObject({ field: 'action' });
    expect(r.body.errors[0].message).toContain('device jobs');
    const t = await createTask('bob', { schedule_type: 'CRON', schedule_config: '0 2 * * *', action: { type: 'gpu', taskType: GPU_TYPE, payload: { x: 1 } } });
    expect(t.action).toMatchObject({ type: 'gpu', taskType: GPU_TYPE, payload: '{"x":1}', priority: 0 });
    const u = await call('bob', 'PUT', `${P}/tasks/${t.id}`, { action: device({}) });
    expect(u.status).toBe(403);
  });
});

describe('scheduler device actions', () => {
  it('submits one device job per run (fifo, over SSH) and ends SUCCESS with its job id; the job is in GET /job', async () => {
    const t = await createTask('alice', { action: { type: 'device', driver: 'ssh', connection_args: sshArgs(), command: ['echo sched-device-ok'] } });
    // The task shows the request with its credentials hidden.
    expect(t.action).toMatchObject({ type: 'device', driver: 'ssh', queue_strategy: 'fifo', connection_args: { host: sshd.host, password: '***' } });
    const [e] = await finished('alice', t.id);
    expect(e, JSON.stringify(e)).toMatchObject({ status: 'SUCCESS', job_kind: 'device', exit_code: null });
    expect(e!.job_id).toMatch(/^job_[0-9a-f]{32}$/);
    expect(e!.output_summary).toBe(`device job ${e!.job_id}: finished`);
    const job = await deviceJob(e!.job_id as string);
    expect(job).toMatchObject({ id: e!.job_id, status: 'finished', queue: 'FifoQ', kind: 'device', host: sshd.host });
    expect(JSON.stringify(job.result.retval)).toContain('sched-device-ok');
    const detail = (await call('alice', 'GET', `${P}/executions/${e!.execution_id}`)).body.data as Json;
    expect(detail).toMatchObject({ execution_id: e!.execution_id, status: 'SUCCESS', job_id: e!.job_id, job_kind: 'device' });
  });

  it('runs a netmiko job through its host’s pinned lane (a new job id each run), and keeps the request across an update', async () => {
    const t = await createTask('root', { action: { type: 'device', driver: 'netmiko', connection_args: emuArgs(), command: 'show version' } });
    expect(t.action).toMatchObject({ queue_strategy: 'pinned', connection_args: { password: '***', secret: '***' } });
    const [first] = await finished('root', t.id);
    expect(first, JSON.stringify(first)).toMatchObject({ status: 'SUCCESS', job_kind: 'device' });
    const job = await deviceJob(first!.job_id as string);
    expect(job).toMatchObject({ status: 'finished', queue: `pinned_${emu.host}` });
    expect(String((job.result.retval as Json)['show version'])).toMatch(/Cisco IOS Software/);
    // MongoDB holds only the redacted request: an update without `action` keeps the one the schedule holds.
    const u = await call('root', 'PUT', `${P}/tasks/${t.id}`, { priority: 5, description: 'updated' });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    expect(u.body.data.action.connection_args.password).toBe('***');
    expect((await call('root', 'POST', `${P}/tasks/${t.id}/trigger`)).status).toBe(200);
    const both = await finished('root', t.id, 2);
    const second = both.find((x) => x.execution_id !== first!.execution_id)!;
    expect(second, JSON.stringify(both)).toMatchObject({ status: 'SUCCESS', job_kind: 'device' });
    expect(second.job_id).not.toBe(first!.job_id);
    expect((await deviceJob(second.job_id as string)).status).toBe('finished');
  });

  it('ends FAILED when the job fails (credentials refused), with the job’s error', async () => {
    const t = await createTask('alice', { action: { type: 'device', driver: 'paramiko', connection_args: { ...sshArgs(), password: WRONG_PASSWORD }, command: 'echo never' } });
    const [e] = await finished('alice', t.id);
    expect(e, JSON.stringify(e)).toMatchObject({ status: 'FAILED', job_kind: 'device' });
    expect(e!.error_message).toBeTruthy();
    expect(e!.error_message).not.toContain(WRONG_PASSWORD);
    const job = await deviceJob(e!.job_id as string);
    expect(job.status).toBe('failed');
    expect(job.result.error.type).toMatch(/Ssh/);
  });
});

describe('scheduler gpu actions', () => {
  it('creates one GPU task per run that a node receives and completes; the execution ends SUCCESS', async () => {
    const t = await createTask('bob', { action: { type: 'gpu', taskType: GPU_TYPE, payload: { frames: 3 }, app: 'sched-test' } });
    const [e] = await finished('bob', t.id);
    expect(e, JSON.stringify(e)).toMatchObject({ status: 'SUCCESS', job_kind: 'gpu' });
    const taskId = e!.job_id as string;
    expect(taskId).toMatch(/^task_[0-9a-f]{32}$/);
    expect(gpuNode.received.map((r) => r.taskId)).toContain(taskId);
    expect(gpuNode.received.find((r) => r.taskId === taskId)).toMatchObject({ taskType: GPU_TYPE, payload: '{"frames":3}' });
    const res = await fetch(`${stack.api.url}/api/v2/tasks/${taskId}`, { headers: { authorization: `Bearer ${config.auth.gpuApiKey}` } });
    const view = ((await res.json()) as Json).data as Json;
    expect(view).toMatchObject({ taskId, status: 'COMPLETED', taskType: GPU_TYPE, app: 'sched-test', gpuId: gpuNode.opts.gpuId });
    expect(view.displayId).toBeGreaterThan(1000);
    expect(JSON.parse(view.result as string)).toMatchObject({ done: taskId });
  });
});

describe('scheduler device actions: credentials', () => {
  it('keeps device passwords out of MongoDB, the schedules, the histories and the logs', async () => {
    const client = new MongoClient(config.mongo.url);
    await client.connect();
    let deviceJobs: string[] = [];
    try {
      const db = client.db(config.mongo.db);
      for (const c of await db.listCollections().toArray()) {
        const dump = JSON.stringify(await db.collection(c.name).find({}).toArray());
        for (const s of secrets()) expect(dump.includes(s), `collection ${c.name} holds a password`).toBe(false);
      }
      const jobs = await db.collection('tasks').find({ kind: 'device' }).toArray();
      deviceJobs = jobs.map((j) => String(j.task_id));
      expect(deviceJobs.length).toBeGreaterThanOrEqual(4);
      // Each job knows the execution that submitted it.
      expect(jobs.every((j) => typeof (j.details as Json)?.origin?.execution_id === 'string')).toBe(true);
    } finally {
      await client.close();
    }
    const raw = await Connection.connect({ address: config.temporal.address });
    const clean = (text: string, where: string) => {
      for (const s of secrets()) {
        expect(text.includes(s), `${where} holds a password`).toBe(false);
        expect(text.includes(Buffer.from(s).toString('base64')), `${where} holds a password in base64`).toBe(false);
      }
    };
    try {
      for (const t of created) {
        const d = await raw.workflowService.describeSchedule({ namespace: config.temporal.namespace, scheduleId: scheduleIdFor(config.mongo.db, t.id) });
        const text = JSON.stringify(d.toJSON());
        clean(text, `schedule of task ${t.id}`);
        // The run's input (the device request with its credentials) is there, as an encrypted payload.
        expect(text).toContain(Buffer.from('binary/encrypted').toString('base64'));
      }
      const list = await raw.workflowService.listWorkflowExecutions({ namespace: config.temporal.namespace, query: `TaskQueue = '${config.temporal.taskQueue}'`, pageSize: 500 });
      const ids = list.executions.map((e) => e.execution!);
      expect(ids.map((e) => e.workflowId)).toEqual(expect.arrayContaining(deviceJobs));
      for (const execution of ids) {
        const history = await raw.workflowService.getWorkflowExecutionHistory({ namespace: config.temporal.namespace, execution });
        clean(JSON.stringify(history.toJSON()), `history of ${execution.workflowId}`);
      }
    } finally {
      await raw.close();
    }
    expect(logLines.length).toBeGreaterThan(0);
    clean(logLines.join(''), 'the logs');
  });
});
