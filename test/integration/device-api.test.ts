import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { TaskStore } from '../../src/store/tasks.js';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { startDeviceStack, type DeviceStack } from '../support/device-stack.js';
import { eventually, testEnv } from '../support/env.js';
import { capturingLogger } from '../support/log-capture.js';
import { startSshd, type SshdHandle } from '../support/sshd.js';

const env = testEnv('devapi', { logLevel: 'debug' });
const { config } = env;
const KEY = { 'X-API-KEY': config.auth.deviceApiKey };

// Every log line of the API and the worker, to grep for passwords at the end.
const { logger, lines: logLines } = capturingLogger();

let stack: DeviceStack;
let sshd: SshdHandle;
let emu: DeviceEmulator;
let comware: DeviceEmulator;
let mongo: MongoHandle;
let tasks: TaskStore;
let hook: Server;
const hookCalls: unknown[] = [];

beforeAll(async () => {
  [sshd, emu, comware] = await Promise.all([
    startSshd(),
    startDeviceEmulator({ enableSecret: 'en-secret-4711', commandDelayMs: (c) => (c === 'show tech-support' ? 10_000 : 0) }),
    startDeviceEmulator({ platform: 'hp_comware', listenHost: '127.0.0.7', telnet: true }),
  ]);
  stack = await startDeviceStack(env, { logger });
  mongo = await connectMongo(config);
  tasks = new TaskStore(mongo.db);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hookCalls.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await mongo?.close();
  await sshd?.close();
  await emu?.close();
  await comware?.close();
  hook?.close();
  await env.cleanup();
}, 60_000);

type Env<T> = { code: number; message: string; data: T };
interface Job {
  id: string;
  status: string;
  queue: string;
  created_at: string;
  enqueued_at: string;
  started_at: string | null;
  ended_at: string | null;
  worker: string | null;
  result: { type: string; retval: unknown; error: { type: string; message: string } | null } | null;
  duration: number | null;
  queue_time: number | null;
  waiting_reason?: string | null;
}

async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = KEY): Promise<{ status: number; body: Env<T> }> {
  const res = await fetch(`${stack.api.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Env<T> };
}

const sshArgs = () => ({ host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password });
const emuArgs = () => ({ host: emu.host, port: emu.port, username: emu.username, password: emu.password, device_type: 'cisco_ios', secret: emu.enableSecret });

async function submit(body: Record<string, unknown>): Promise<{ id: string; status: string; queue: string }> {
  const r = await call<{ id: string; status: string; queue: string }>('POST', '/device/exec', body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data;
}

async function job(id: string): Promise<Job> {
  const r = await call<Job[]>('GET', `/job?id=${id}`);
  expect(r.status).toBe(200);
  return r.body.data[0]!;
}

async function settled(id: string): Promise<Job> {
  return eventually(async () => {
    const j = await job(id);
    return ['finished', 'failed', 'cancelled'].includes(j.status) ? j : null;
  }, `job ${id} to end`, 90_000, 200);
}

describe('device API: authentication and bad input', () => {
  it('answers 401 in the envelope without or with a wrong key', async () => {
    for (const path of ['/device/exec', '/job', '/worker', '/jobs/x', '/workers']) {
      const method = path === '/device/exec' ? 'POST' : 'GET';
      const none = await call(method, path, method === 'POST' ? {} : undefined, {});
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ code: 401, data: null });
      const wrong = await call(method, path, method === 'POST' ? {} : undefined, { 'X-API-KEY': 'wrong-key-123' });
      expect(wrong.status).toBe(401);
    }
  });

  it('rejects bad bodies with 400 in the envelope', async () => {
    const base = { driver: 'paramiko', connection_args: sshArgs(), command: 'echo x' };
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, config: 'x' }, /exactly one of command or config/],
      [{ driver: 'paramiko', connection_args: sshArgs() }, /exactly one of command or config/],
      [{ ...base, connection_args: { username: 'u', password: 'p' } }, /host/],
      [{ ...base, driver: 'telnetlib' }, /supported: netmiko, paramiko, ssh/],
      [{ ...base, ttl: 0 }, /ttl/],
      [{ ...base, ttl: 86401 }, /ttl/],
      [{ ...base, ttl: 'soon' }, /ttl/],
      [{ ...base, queue_strategy: 'lifo' }, /queue_strategy/],
      ['{"driver": "paramiko", ', /JSON/i],
    ];
    for (const [body, message] of cases) {
      const r = await call('POST', '/device/exec', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe(400);
      expect(r.body.message).toMatch(message);
    }
    // No silent fallback: a device_type the netmiko driver does not serve, none at all, or an unknown driver_args key.
    const netmiko = { driver: 'netmiko', connection_args: emuArgs(), command: 'show clock' };
    const refused: Array<[unknown, RegExp, string]> = [
      [{ ...netmiko, connection_args: { ...emuArgs(), device_type: 'nokia_sros' } }, /^unsupported device_type 'nokia_sros'; supported: cisco_ios, .*hp_comware, .*mikrotik_routeros, .*autodetect$/, 'connection_args.device_type'],
      [{ ...netmiko, connection_args: { ...emuArgs(), device_type: 'cisco_asa_telnet' } }, /unsupported device_type 'cisco_asa_telnet'/, 'connection_args.device_type'],
      [{ ...netmiko, connection_args: { ...emuArgs(), device_type: undefined } }, /device_type is required for the netmiko driver; supported: /, 'connection_args.device_type'],
      [{ ...netmiko, driver_args: { read_timeout: 20, sesion_log: 'x' } }, /unknown driver_args key 'sesion_log' for the netmiko driver/, 'driver_args.sesion_log'],
      [{ ...netmiko, driver_args: { expect_string: '#' } }, /driver_args.expect_string is not supported/, 'driver_args.expect_string'],
      [{ ...base, driver_args: { read_timeout: 5 } }, /unknown driver_args key 'read_timeout' for the paramiko driver/, 'driver_args.read_timeout'],
      [{ ...netmiko, connection_args: { ...emuArgs(), device_type: 'mikrotik_routeros' }, command: undefined, config: ['/ip dns set servers=1.1.1.1'], save: true }, /'mikrotik_routeros' has nothing to save/, 'save'],
    ];
    for (const [body, message, field] of refused) {
      const r = await call<Array<{ field: string }>>('POST', '/device/exec', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toMatchObject({ code: 400, message: expect.stringMatching(message) });
      expect(JSON.stringify(r.body.data)).toContain(field);
    }
    const test = await call('POST', '/device/test', { driver: 'netmiko', connection_args: { ...emuArgs(), device_type: 'bogus_os' } });
    expect(test.status).toBe(400);
    expect(test.body.message).toMatch(/unsupported device_type 'bogus_os'; supported: /);

    const st = await call('GET', '/job?status=exploded');
    expect(st.status).toBe(400);
    expect(st.body.message).toMatch(/status/);
    expect((await call('GET', '/job?id=job_nope')).status).toBe(404);
    expect((await call('DELETE', '/job')).status).toBe(400);
  });
});

describe('device jobs on real SSH servers', () => {
  it('runs a paramiko job on the fifo queue against OpenSSH and reports the documented job view', async () => {
    const sub = await submit({ driver: 'paramiko', connection_args: sshArgs(), command: ['echo hello-fifo', 'echo two'] });
    expect(sub).toMatchObject({ status: 'queued', queue: 'FifoQ' });
    expect(sub.id).toMatch(/^job_/);
    const j = await settled(sub.id);
    expect(j.status).toBe('finished');
    expect(j.result).toEqual({ type: 'success', retval: { 'echo hello-fifo': 'hello-fifo\n', 'echo two': 'two\n' }, error: null });
    expect(j.worker).toBe(stack.worker.name);
    for (const t of [j.created_at, j.enqueued_at, j.started_at, j.ended_at]) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
    expect(typeof j.duration).toBe('number');
    expect(typeof j.queue_time).toBe('number');
    // The alias paths answer the same.
    const alias = await call<Job[]>('GET', `/jobs/${sub.id}`);
    expect(alias.body.data[0]!.id).toBe(sub.id);
  });

  it('ends a command that runs and fails as a failed job, without retrying it', async () => {
    // Each run of the command appends a line to a file of its own: a retried job would leave two or more. The
    // directory is ours and open to the SSH test user, so the file can be read and removed here.
    const dir = mkdtempSync(join(tmpdir(), 'sy-once-'));
    chmodSync(dir, 0o777);
    try {
      const marker = join(dir, 'runs');
      const sub = await submit({ driver: 'ssh', connection_args: sshArgs(), command: `echo ran >> ${marker}; exit 3` });
      const j = await settled(sub.id);
      expect(j.status).toBe('failed');
      expect(j.result?.type).toBe('failure');
      expect(j.result?.error?.type).toBe('CommandFailed');
      expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends a job that runs past its execution_timeout as failed with error type Timeout', async () => {
    const sub = await submit({ driver: 'ssh', connection_args: sshArgs(), command: 'sleep 20; echo late', execution_timeout: 2 });
    const j = await settled(sub.id);
    expect(j.status).toBe('failed');
    expect(j.result?.error).toEqual({ type: 'Timeout', message: 'the job ran longer than its execution_timeout' });
    // Ended by the timeout, not by the command: well before the command's own 20 s.
    expect(Date.parse(j.ended_at!) - Date.parse(j.started_at!)).toBeLessThan(15_000);
  });

  it('fails a job whose credentials are refused, naming the error type and not the password', async () => {
    const sub = await submit({ driver: 'paramiko', connection_args: { ...sshArgs(), password: 'wrong-pass-9931' }, command: 'echo x' });
    const j = await settled(sub.id);
    expect(j.status).toBe('failed');
    expect(j.result?.error?.type).toBe('SshAuthError');
    expect(JSON.stringify(j)).not.toContain('wrong-pass-9931');
  });

  it('runs netmiko jobs pinned to one host one at a time, in order, over one SSH login', async () => {
    const loginsBefore = emu.logins;
    const cmds = ['show clock', 'show version', 'show ip interface brief', 'show running-config', 'show clock'];
    const ids: string[] = [];
    for (const c of cmds) {
      const sub = await submit({ driver: 'netmiko', connection_args: emuArgs(), command: c });
      expect(sub.queue).toBe(`pinned_${emu.host}`);
      ids.push(sub.id);
    }
    const jobs = [];
    for (const id of ids) jobs.push(await settled(id));
    for (const j of jobs) expect(j.status, JSON.stringify(j.result)).toBe('finished');
    // One at a time, in submission order: each started after the previous one ended.
    for (let i = 1; i < jobs.length; i++) expect(Date.parse(jobs[i]!.started_at!)).toBeGreaterThanOrEqual(Date.parse(jobs[i - 1]!.ended_at!));
    const received = emu.commandsReceived.filter((c) => cmds.includes(c));
    expect(received.slice(-5)).toEqual(cmds);
    expect(emu.logins - loginsBefore).toBe(1);
    expect(String((jobs[1]!.result!.retval as Record<string, string>)['show version'])).toMatch(/Cisco IOS Software/);
  });

  it('parses output with regex named groups and renders jinja2 commands', async () => {
    const rx = await submit({
      driver: 'paramiko',
      connection_args: sshArgs(),
      command: 'printf "eth0 up\\neth1 down\\n"',
      parsing: { name: 'regex', template: '^(?<name>\\S+) (?<state>up|down)$' },
    });
    expect((await settled(rx.id)).result?.retval).toEqual({ 'printf "eth0 up\\neth1 down\\n"': [{ name: 'eth0', state: 'up' }, { name: 'eth1', state: 'down' }] });

    const rendered = await submit({
      driver: 'paramiko',
      connection_args: sshArgs(),
      command: { who: 'world' },
      rendering: { name: 'jinja2', template: 'echo hello-{{ who }}{% for i in [1,2] %}\necho n{{ i }}{% endfor %}' },
    });
    expect((await settled(rendered.id)).result?.retval).toEqual({ 'echo hello-world': 'hello-world\n', 'echo n1': 'n1\n', 'echo n2': 'n2\n' });
  });

  it('parses output with the in-repo textfsm parser', async () => {
    const template = 'Value NAME (\\S+)\nValue STATE (up|down)\n\nStart\n  ^${NAME}\\s+${STATE} -> Record\n';
    const fsm = await submit({ driver: 'paramiko', connection_args: sshArgs(), command: 'printf "a up\\nb down\\n"', parsing: { name: 'textfsm', template } });
    expect((await settled(fsm.id)).result?.retval).toEqual({ 'printf "a up\\nb down\\n"': [{ NAME: 'a', STATE: 'up' }, { NAME: 'b', STATE: 'down' }] });
  });

  it('parses without a template: the ntc-templates index picks it by platform and command', async () => {
    const brief = 'sh ip int br';
    const spellings = [
      { parsing: { name: 'textfsm', template: null } },
      { parsing: { name: 'textfsm', use_ntc_template: true } },
      { driver_args: { use_textfsm: true } },
    ];
    for (const extra of spellings) {
      const sub = await submit({ driver: 'netmiko', connection_args: emuArgs(), command: brief, ...extra });
      const j = await settled(sub.id);
      expect(j.status, JSON.stringify(j.result)).toBe('finished');
      const records = (j.result!.retval as Record<string, Array<Record<string, string>>>)[brief]!;
      expect(records.map((r) => r.interface)).toEqual(expect.arrayContaining(['GigabitEthernet0/0', 'GigabitEthernet0/1', 'Loopback0']));
      expect(records[0]).toMatchObject({ interface: 'GigabitEthernet0/0', ip_address: '10.0.0.1', status: 'up', proto: 'up' });
    }
    // Another platform, over telnet, through the whole stack.
    const h3c = await submit({
      driver: 'netmiko',
      connection_args: { host: comware.host, port: comware.telnetPort, username: comware.username, password: comware.password, device_type: 'hp_comware_telnet' },
      command: ['display interface brief', 'display version'],
      parsing: { name: 'textfsm', template: null },
    });
    const j2 = await settled(h3c.id);
    // display version has no hp_comware template: the job says so, naming platform and command.
    expect(j2.status).toBe('failed');
    expect(j2.result?.error).toEqual({ type: 'NtcTemplateNotFound', message: "no ntc-templates template for platform 'hp_comware' and command 'display version'" });
    const ok = await submit({
      driver: 'netmiko',
      connection_args: { host: comware.host, port: comware.telnetPort, username: comware.username, password: comware.password, device_type: 'hp_comware_telnet' },
      command: 'display interface brief',
      parsing: { name: 'textfsm', template: null },
    });
    const j3 = await settled(ok.id);
    expect(j3.status, JSON.stringify(j3.result)).toBe('finished');
    expect((j3.result!.retval as Record<string, Array<Record<string, string>>>)['display interface brief']).toEqual(
      expect.arrayContaining([expect.objectContaining({ interface: 'GE1/0/1', link: 'UP', description: 'uplink' })]),
    );
  });

  it('runs netmiko config jobs and calls the webhook with the job view', async () => {
    const { port } = hook.address() as AddressInfo;
    const sub = await submit({
      driver: 'netmiko',
      connection_args: emuArgs(),
      config: ['interface Loopback7', 'description set-by-switchyard'],
      webhook: { url: `http://127.0.0.1:${port}/hook` },
    });
    const j = await settled(sub.id);
    expect(j.status, JSON.stringify(j.result)).toBe('finished');
    expect(emu.runningConfig()).toMatch(/description set-by-switchyard/);
    const call0 = await eventually(async () => hookCalls.find((h) => (h as Job).id === sub.id) as Job | undefined, 'the webhook');
    expect(call0).toMatchObject({ id: sub.id, status: 'finished', queue: `pinned_${emu.host}` });
  });

  it('cancels a pinned job that waits behind a running one, and refuses to cancel the running one', async () => {
    const slow = await submit({ driver: 'netmiko', connection_args: emuArgs(), command: 'show tech-support' });
    const waiting = await submit({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock' });
    const waiting2 = await submit({ driver: 'netmiko', connection_args: emuArgs(), command: 'show version' });
    await eventually(async () => (await job(slow.id)).status === 'started', 'the slow job to start');
    const q = await job(waiting2.id);
    expect(q.status).toBe('queued');
    expect(q.waiting_reason).toMatch(new RegExp(`behind job ${waiting.id} on pinned_${emu.host.replaceAll('.', '\\.')}, position 3`));
    const refused = await call<{ cancelled_count: number; cancelled_jobs: string[] }>('DELETE', `/job?id=${slow.id}`);
    expect(refused.body.data).toEqual({ cancelled_count: 0, cancelled_jobs: [] });
    const ok = await call<{ cancelled_count: number; cancelled_jobs: string[] }>('DELETE', `/jobs/${waiting.id}`);
    expect(ok.body.data).toEqual({ cancelled_count: 1, cancelled_jobs: [waiting.id] });
    expect((await settled(waiting.id)).status).toBe('cancelled');
    expect((await settled(slow.id)).status).toBe('finished');
    expect((await settled(waiting2.id)).status).toBe('finished');
    expect((await job(waiting.id)).result?.error?.type).toBe('Cancelled');
  });

  it('tests a connection synchronously', async () => {
    const ok = await call<{ success: boolean; device_info: { prompt: string; host: string } }>('POST', '/device/test', { driver: 'netmiko', connection_args: emuArgs() });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ success: true, error_message: null, device_info: { prompt: 'Router#', device_type: 'cisco_ios', host: emu.host } });
    const bad = await call<{ success: boolean; error_message: string }>('POST', '/device/test', { driver: 'netmiko', connection_args: { ...emuArgs(), password: 'bad-pw-5521' } });
    expect(bad.body.data.success).toBe(false);
    expect(bad.body.data.error_message).not.toContain('bad-pw-5521');
  });

  it('queues bulk jobs, one per device, and reports the devices it could not queue', async () => {
    const r = await call<{ succeeded: Array<{ id: string; queue: string }>; failed: Array<{ host: string; reason: string }> }>('POST', '/device/bulk', {
      driver: 'paramiko',
      connection_args: { username: sshd.username, password: sshd.password, port: sshd.port },
      command: 'echo bulk',
      devices: [{ host: sshd.host }, { host: '127.0.0.2', port: 0 }],
    });
    expect(r.status).toBe(200);
    expect(r.body.data.succeeded).toHaveLength(1);
    expect(r.body.data.failed).toEqual([{ host: '127.0.0.2', reason: expect.stringMatching(/port/) }]);
    expect((await settled(r.body.data.succeeded[0]!.id)).status).toBe('finished');
  });
});

describe('GET /job filters and the other kinds', () => {
  it('combines queue, status, host and node filters, newest first, with paging', async () => {
    // This test's own jobs: finished and failed on the fifo queue, and a pinned one cancelled while it waited (that
    // record written as the cancelled job's workflow writes it: a real cancel needs a job running ahead of it).
    const ran = await submit({ driver: 'paramiko', connection_args: sshArgs(), command: 'echo filtered' });
    const failedRun = await submit({ driver: 'ssh', connection_args: sshArgs(), command: 'exit 4' });
    const refusedLogin = await submit({ driver: 'paramiko', connection_args: { ...sshArgs(), password: 'wrong-pass-1187' }, command: 'echo x' });
    expect((await settled(ran.id)).status).toBe('finished');
    expect((await settled(failedRun.id)).status).toBe('failed');
    expect((await settled(refusedLogin.id)).status).toBe('failed');
    const cancelledId = `job_cancelled${env.suffix}`;
    await tasks.apply({ task_id: cancelledId, rev: 1, kind: 'device', state: 'cancelled', status: 'cancelled', queue: `pinned_${emu.host}`, host: emu.host, create_time: new Date(), end_time: new Date(), error: { type: 'Cancelled', message: 'cancelled' } });
    // A record of another kind, written as the other dialects write theirs.
    await tasks.apply({ task_id: `cmd_${env.suffix}`, rev: 1, kind: 'command', state: 'running', status: 'RUNNING', queue: 'scheduler', create_time: new Date() });
    const all = await call<Job[]>('GET', '/job?limit=1000');
    const ids = all.body.data.map((j) => j.id);
    expect(ids).toContain(`cmd_${env.suffix}`);
    expect(all.body.data.find((j) => j.id === `cmd_${env.suffix}`)?.status).toBe('started');
    const created = all.body.data.map((j) => Date.parse(j.created_at));
    expect([...created].sort((a, b) => b - a)).toEqual(created);

    const fifoFinished = await call<Job[]>('GET', '/job?queue=FifoQ&status=finished&limit=1000');
    expect(fifoFinished.body.data.map((j) => j.id)).toContain(ran.id);
    for (const j of fifoFinished.body.data) expect(j).toMatchObject({ queue: 'FifoQ', status: 'finished' });
    const failed = await call<Job[]>('GET', `/job?status=failed&host=${sshd.host}&limit=1000`);
    for (const j of failed.body.data) expect(j.status).toBe('failed');
    expect(failed.body.data.map((j) => j.id)).toEqual(expect.arrayContaining([failedRun.id, refusedLogin.id]));
    expect(failed.body.data.map((j) => j.id)).not.toContain(ran.id);
    const cancelled = await call<Job[]>('GET', `/job?status=cancelled&queue=pinned_${emu.host}`);
    expect(cancelled.body.data.map((j) => j.id)).toContain(cancelledId);
    for (const j of cancelled.body.data) expect(j).toMatchObject({ queue: `pinned_${emu.host}`, status: 'cancelled' });
    const byNode = await call<Job[]>('GET', `/job?node=${stack.worker.name}&status=finished&limit=1000`);
    expect(byNode.body.data.map((j) => j.id)).toContain(ran.id);
    for (const j of byNode.body.data) expect(j.worker).toBe(stack.worker.name);
    const page1 = await call<Job[]>('GET', '/job?limit=2');
    const page2 = await call<Job[]>('GET', '/job?limit=2&offset=2');
    expect(page1.body.data).toHaveLength(2);
    expect(page2.body.data[0]!.id).toBe(ids[2]);
    // id beats every other filter.
    const byId = await call<Job[]>('GET', `/job?id=${ids[0]}&status=cancelled&queue=nope`);
    expect(byId.body.data.map((j) => j.id)).toEqual([ids[0]]);
    expect((await call<Job[]>('GET', '/job?queue=nope')).body.data).toEqual([]);
  });
});

describe('workers', () => {
  it('lists the worker with the documented fields and filters', async () => {
    // A pinned job of its own: the worker that ran it serves that host's queue.
    const pinned = await submit({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock' });
    expect((await settled(pinned.id)).status).toBe('finished');
    const r = await call<Array<Record<string, unknown>>>('GET', '/worker');
    const me = r.body.data.find((w) => w.name === stack.worker.name);
    expect(me).toMatchObject({ name: stack.worker.name, pid: process.pid, status: expect.stringMatching(/busy|idle/), successful_job_count: expect.any(Number), failed_job_count: expect.any(Number) });
    expect(me!.queues).toEqual(expect.arrayContaining(['FifoQ', `pinned_${emu.host}`]));
    expect(String(me!.last_heartbeat)).toMatch(/\+00:00$/);
    expect(((await call<Array<{ name: string }>>('GET', '/workers?queue=FifoQ')).body.data).map((w) => w.name)).toContain(stack.worker.name);
    expect(((await call<Array<{ name: string }>>('GET', `/worker?host=${emu.host}`)).body.data).map((w) => w.name)).toContain(stack.worker.name);
    expect(((await call<Array<{ name: string }>>('GET', `/worker?node=${String(me!.hostname)}`)).body.data).map((w) => w.name)).toContain(stack.worker.name);
    expect((await call<unknown[]>('GET', '/worker?queue=nope&node=' + String(me!.hostname))).body.data).toEqual([]);
    expect((await call<string[]>('DELETE', '/worker?name=nobody')).body.data).toEqual([]);
  });
});

describe('secrets', () => {
  it('keeps passwords out of MongoDB, the Temporal history and the logs', async () => {
    const secrets = [sshd.password, emu.password, emu.enableSecret];
    // Jobs of its own that carry each secret: a password login on OpenSSH, and a login plus enable on the emulator.
    const viaSsh = await submit({ driver: 'paramiko', connection_args: sshArgs(), command: 'echo secret-check' });
    const viaEnable = await submit({ driver: 'netmiko', connection_args: emuArgs(), command: 'show clock' });
    expect((await settled(viaSsh.id)).status).toBe('finished');
    expect((await settled(viaEnable.id)).status).toBe('finished');
    const client = new MongoClient(config.mongo.url);
    await client.connect();
    try {
      const db = client.db(config.mongo.db);
      for (const c of await db.listCollections().toArray()) {
        const dump = JSON.stringify(await db.collection(c.name).find({}).toArray());
        for (const s of secrets) expect(dump, c.name).not.toContain(s);
      }
    } finally {
      await client.close();
    }
    const raw = await Connection.connect({ address: config.temporal.address });
    try {
      for (const id of [viaSsh.id, viaEnable.id]) {
        const history = await raw.workflowService.getWorkflowExecutionHistory({ namespace: config.temporal.namespace, execution: { workflowId: id } });
        const text = JSON.stringify(history.toJSON());
        expect(history.history?.events?.length).toBeGreaterThan(0);
        for (const s of secrets) {
          expect(text).not.toContain(s);
          expect(text).not.toContain(Buffer.from(s).toString('base64'));
        }
      }
    } finally {
      await raw.close();
    }
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const s of secrets) expect(logs).not.toContain(s);
  });

  it('documents every endpoint in the OpenAPI document', async () => {
    const res = await fetch(`${stack.api.url}/openapi/device.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    for (const p of ['/device/exec', '/device/bulk', '/device/test', '/job', '/jobs', '/jobs/{id}', '/worker', '/workers', '/workers/{name}', '/health']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(Object.keys(doc.paths['/job']!)).toEqual(expect.arrayContaining(['get', 'delete']));
  });
});
