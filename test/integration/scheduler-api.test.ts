import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { executionPrefix, scheduleIdFor } from '../../src/scheduler/contract.js';
import { MIN_INTERVAL_SECONDS, nextCronTime } from '../../src/scheduler/spec.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { schedulerClient, type Json } from '../support/scheduler-client.js';
import { listedWorkflowIds } from '../support/temporal-history.js';

const workspaceRoot = mkdtempSync(join(tmpdir(), 'sched-test-'));
const env = testEnv('schedapi', {
  scheduler: {
    projects: [
      { id: 1, name: '数据处理项目', entry_command: 'echo "project 1 ran"' },
      { id: 2, name: 'second', entry_command: 'echo two' },
    ],
    workspaceRoot,
    maxLogBytes: 4096,
    commandUsers: ['alice'],
  },
});
const { config } = env;
const P = '/api/v1/scheduler';
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let temporal: TemporalClientHandle;
const tokens: Record<string, string> = {};
// Created first thing, so its first run (one interval after creation) falls while the other tests run.
let intervalTask: Json;
let intervalCreatedAt: number;

const { call, createTask, created } = schedulerClient({ url: () => api.url, tokens, namePrefix: `task-${env.suffix}` });

async function executions(who: string, id: number, query = ''): Promise<Json[]> {
  const r = await call(who, 'GET', `${P}/tasks/${id}/executions?size=100${query}`);
  expect(r.status).toBe(200);
  return r.body.items as Json[];
}

async function finished(who: string, id: number, count = 1): Promise<Json[]> {
  return eventually(
    async () => {
      const items = await executions(who, id);
      const done = items.filter((i) => !['PENDING', 'RUNNING'].includes(i.status as string));
      return done.length >= count ? done : null;
    },
    `${count} finished execution(s) of task ${id}`,
    90_000,
    300,
  );
}

const future = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

beforeAll(async () => {
  for (const [who, role] of [['alice', 'user'], ['bob', 'user'], ['root', 'admin']] as const) tokens[who] = await mintSchedulerToken(config.auth.schedulerJwtSecret, who, role);
  // The service-task plugin serves the built-in `echo` service that a `service` action runs.
  worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await workflowBundle(), plugins: [createServiceTasksPlugin({ ingest: false })] });
  workerDone = worker.run();
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
  temporal = await connectTemporalClient(config);
  intervalCreatedAt = Date.now();
  intervalTask = await createTask('alice', { schedule_type: 'INTERVAL', schedule_config: String(MIN_INTERVAL_SECONDS), action: { type: 'command', command: 'echo interval' } });
}, 120_000);

/** Temporal's own record of a task's schedule: actions taken, recent runs, what is due next, paused or not. */
async function scheduleRecord(id: number) {
  const d = await temporal.client.schedule.getHandle(scheduleIdFor(config.mongo.db, id)).describe();
  return { actionsTaken: d.info.numActionsTaken, recent: d.info.recentActions.length, next: d.info.nextActionTimes, paused: d.state.paused, remaining: d.state.remainingActions };
}

/** The runs of a task as Temporal's visibility lists them (eventually consistent: awaited until it says `n`). */
async function listedRuns(id: number, n: number): Promise<string[]> {
  return eventually(async () => {
    const ids = await listedWorkflowIds(temporal.client, `WorkflowId STARTS_WITH "${executionPrefix(config.mongo.db, id)}-"`);
    return ids.length === n ? ids : null;
  }, `${n} run(s) of task ${id} in Temporal's workflow list`, 30_000, 300);
}

afterAll(async () => {
  for (const t of created) await call(t.who, 'DELETE', `${P}/tasks/${t.id}`).catch(() => undefined);
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await temporal?.close();
  await env.cleanup();
  rmSync(workspaceRoot, { recursive: true, force: true });
}, 120_000);

describe('scheduler dialect: auth', () => {
  it('answers 401 in the documented error envelope without, with a forged and with an expired token', async () => {
    const none = await call(null, 'GET', `${P}/tasks`);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ success: false, code: 401, message: '未认证或token无效' });
    expect(none.body.errors[0].field).toBe('Authorization');
    expect(typeof none.body.timestamp).toBe('string');
    const forged = await mintSchedulerToken('another-secret-of-enough-length', 'alice', 'admin');
    expect((await call(null, 'GET', `${P}/tasks`, undefined, { authorization: `Bearer ${forged}` })).status).toBe(401);
    const expired = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(config.auth.schedulerJwtSecret));
    const r = await call(null, 'GET', `${P}/tasks`, undefined, { authorization: `Bearer ${expired}` });
    expect(r.status).toBe(401);
    expect(r.body.errors[0].message).toBe('token expired');
  });
});

describe('scheduler dialect: validation', () => {
  const base = { project_id: 1, schedule_type: 'CRON', schedule_config: '0 2 * * *' };
  const cases: [string, Json, string, number?][] = [
    ['name too short', { ...base, name: 'ab' }, 'name'],
    ['name too long', { ...base, name: 'x'.repeat(51) }, 'name'],
    ['bad schedule_type', { ...base, name: 'valid-name', schedule_type: 'WEEKLY' }, 'schedule_type'],
    ['cron hour out of range', { ...base, name: 'valid-name', schedule_config: '0 25 * * *' }, 'schedule_config'],
    ['cron with 6 fields', { ...base, name: 'valid-name', schedule_config: '0 0 2 * * *' }, 'schedule_config'],
    ['interval below 60', { ...base, name: 'valid-name', schedule_type: 'INTERVAL', schedule_config: '30' }, 'schedule_config'],
    ['interval not integer', { ...base, name: 'valid-name', schedule_type: 'INTERVAL', schedule_config: '90.5' }, 'schedule_config'],
    ['date in the past', { ...base, name: 'valid-name', schedule_type: 'DATE', schedule_config: '2020-01-01T00:00:00Z' }, 'schedule_config'],
    ['date without zone', { ...base, name: 'valid-name', schedule_type: 'DATE', schedule_config: '2099-01-01T00:00:00' }, 'schedule_config'],
    ['unknown project', { ...base, name: 'valid-name', project_id: 99 }, 'project_id'],
    ['missing project', { name: 'valid-name', schedule_type: 'CRON', schedule_config: '0 2 * * *' }, 'project_id'],
    ['unknown action type', { ...base, name: 'valid-name', action: { type: 'ftp' } }, 'action.type'],
    ['command with a bad env name', { ...base, name: 'valid-name', action: { type: 'command', command: 'id', env: { '1BAD': 'x' } } }, 'action.env.1BAD'],
    ['unknown service', { ...base, name: 'valid-name', action: { type: 'service', service: 'nope' } }, 'action.service'],
    ['command without permission', { ...base, name: 'valid-name', action: { type: 'command', command: 'id' } }, 'action', 403],
  ];
  for (const [what, body, field, status] of cases) {
    it(`rejects ${what} naming ${field}`, async () => {
      const r = await call('bob', 'POST', `${P}/tasks`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(status ?? 400);
      expect(r.body.success).toBe(false);
      expect((r.body.errors as Json[]).map((e) => e.field)).toContain(field);
    });
  }

  it('says which cron field is out of range, in the document’s words', async () => {
    const r = await call('alice', 'POST', `${P}/tasks`, { ...base, name: 'valid-name', schedule_config: '0 25 * * *' });
    expect(r.body.message).toBe('调度配置无效');
    expect(r.body.errors[0].message).toContain("CRON表达式格式错误：'0 25 * * *' 小时部分超出范围");
  });

  it('bounds size at 100 and checks list parameters', async () => {
    expect((await call('alice', 'GET', `${P}/tasks?size=101`)).status).toBe(400);
    expect((await call('alice', 'GET', `${P}/tasks?page=0`)).status).toBe(400);
    expect((await call('alice', 'GET', `${P}/tasks?status=NOPE`)).body.errors[0].field).toBe('status');
  });

  it('answers 409 for a duplicate name of the same owner, not of another owner', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '0 3 * * *', is_active: false });
    const again = await call('alice', 'POST', `${P}/tasks`, { ...base, name: t.name });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('任务名称重复');
    const other = await createTask('bob', { ...base, name: t.name });
    expect(other.name).toBe(t.name);
  });
});

describe('scheduler dialect: tasks and schedules', () => {
  it('creates a CRON task whose next run is the cron expression’s next time', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '0 */2 * * *', description: null });
    expect(t).toMatchObject({ schedule_type: 'CRON', status: 'PENDING', is_active: true, timeout_seconds: 3600, max_instances: 1, retry_count: 0, priority: 0 });
    expect(t.next_run_time).toBe(nextCronTime('0 */2 * * *', new Date())!.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const detail = await call('alice', 'GET', `${P}/tasks/${t.id}`);
    expect(detail.body).toMatchObject({ success: true, code: 200, message: '获取成功' });
    expect(detail.body.data).toMatchObject({ project_name: '数据处理项目', execution_summary: { total_executions: 0, success_count: 0, failed_count: 0 } });
  });

  it('counts an INTERVAL from the task’s creation, not from the epoch', async () => {
    const before = Date.now();
    const t = await createTask('alice', { schedule_type: 'INTERVAL', schedule_config: '3600' });
    const next = new Date(t.next_run_time as string).getTime();
    expect(next).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 3601_000);
    // The list computes it locally: the same time.
    const list = await call('alice', 'GET', `${P}/tasks?size=100`);
    expect((list.body.items as Json[]).find((i) => i.id === t.id)!.next_run_time).toBe(t.next_run_time);
  });

  it('keeps tasks apart by owner: others get 404 and do not see them', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '0 4 * * *' });
    for (const [m, p] of [
      ['GET', `/tasks/${t.id}`],
      ['PUT', `/tasks/${t.id}`],
      ['DELETE', `/tasks/${t.id}`],
      ['POST', `/tasks/${t.id}/pause`],
      ['POST', `/tasks/${t.id}/trigger`],
      ['GET', `/tasks/${t.id}/stats`],
      ['GET', `/tasks/${t.id}/executions`],
    ] as const) {
      const r = await call('bob', m, `${P}${p}`, m === 'PUT' ? { description: 'x' } : undefined);
      expect(r.status, `${m} ${p}`).toBe(404);
    }
    const list = await call('bob', 'GET', `${P}/tasks?size=100`);
    expect((list.body.items as Json[]).some((i) => i.id === t.id)).toBe(false);
  });

  it('answers 404, not 500, when a DELETE of the task removed its schedule between the read of the task and the call', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '0 4 * * *' });
    // The first half of a DELETE (it removes the schedule, then the record), as a concurrent request leaves it.
    await temporal.client.schedule.getHandle(scheduleIdFor(config.mongo.db, t.id as number)).delete();
    for (const p of ['trigger', 'pause', 'resume']) {
      const r = await call('alice', 'POST', `${P}/tasks/${t.id}/${p}`);
      expect(r.status, p).toBe(404);
      expect(r.body, p).toMatchObject({ success: false, code: 404 });
    }
    expect((await call('alice', 'DELETE', `${P}/tasks/${t.id}`)).status).toBe(200);
  });

  it('read-your-writes: after pause or resume answers, the API and the Temporal schedule both show it', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '*/5 * * * *' });
    const schedule = api.deps.temporal.schedule.getHandle(`sched-${config.mongo.db}-${t.id}`);
    for (let round = 0; round < 5; round++) {
      expect((await call('alice', 'POST', `${P}/tasks/${t.id}/pause`)).status).toBe(200);
      const [view, desc] = await Promise.all([call('alice', 'GET', `${P}/tasks/${t.id}`), schedule.describe()]);
      expect({ round, is_active: view.body.data.is_active, next: view.body.data.next_run_time, paused: desc.state.paused }).toEqual({ round, is_active: false, next: null, paused: true });
      expect((await call('alice', 'POST', `${P}/tasks/${t.id}/resume`)).status).toBe(200);
      const [view2, desc2] = await Promise.all([call('alice', 'GET', `${P}/tasks/${t.id}`), schedule.describe()]);
      expect({ round, is_active: view2.body.data.is_active, paused: desc2.state.paused }).toEqual({ round, is_active: true, paused: false });
      expect(view2.body.data.next_run_time).not.toBeNull();
    }
  });

  it('updates in place, pauses (no next run) and resumes', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '0 5 * * *' });
    const u = await call('alice', 'PUT', `${P}/tasks/${t.id}`, { name: `renamed-${env.suffix}`, schedule_config: '30 9 * * 1-5' });
    expect(u.body).toMatchObject({ success: true, message: '任务更新成功', data: { id: t.id, name: `renamed-${env.suffix}`, schedule_config: '30 9 * * 1-5' } });
    expect(u.body.data.next_run_time).toBe(nextCronTime('30 9 * * 1-5', new Date())!.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect((await call('alice', 'PUT', `${P}/tasks/${t.id}`, { schedule_config: '99 * * * *' })).status).toBe(400);

    const p = await call('alice', 'POST', `${P}/tasks/${t.id}/pause`);
    expect(p.body).toEqual({ success: true, code: 200, message: '任务已暂停', data: null });
    const paused = (await call('alice', 'GET', `${P}/tasks/${t.id}`)).body.data;
    expect(paused).toMatchObject({ is_active: false, next_run_time: null });
    expect((await call('alice', 'GET', `${P}/tasks?is_active=false&size=100`)).body.items.some((i: Json) => i.id === t.id)).toBe(true);
    const r = await call('alice', 'POST', `${P}/tasks/${t.id}/resume`);
    expect(r.body.message).toBe('任务已恢复');
    const resumed = (await call('alice', 'GET', `${P}/tasks/${t.id}`)).body.data;
    expect(resumed.is_active).toBe(true);
    expect(resumed.next_run_time).not.toBeNull();
  });

  it('deletes the task and its schedule', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '0 6 * * *' });
    const d = await call('alice', 'DELETE', `${P}/tasks/${t.id}`);
    expect(d.body).toEqual({ success: true, code: 200, message: '任务删除成功', data: null });
    expect((await call('alice', 'GET', `${P}/tasks/${t.id}`)).status).toBe(404);
    const desc = await api.deps.temporal.schedule.getHandle(`sched-${config.mongo.db}-${t.id}`).describe().catch((e: Error) => e);
    expect(desc).toBeInstanceOf(Error);
  });
});

describe('scheduler dialect: executions', () => {
  it('trigger runs at once; stdout and stderr land in separate logs; detail, stats and summary follow', async () => {
    const t = await createTask('alice', {
      schedule_type: 'CRON',
      schedule_config: '0 0 1 1 *',
      is_active: false,
      action: { type: 'command', command: 'echo hello-out; echo hello-err >&2; echo "secret=${SCHEDULER_JWT_SECRET:-none} home=$HOME" ; echo $MYVAR', env: { MYVAR: 'from-env' } },
    });
    const tr = await call('alice', 'POST', `${P}/tasks/${t.id}/trigger`);
    expect(tr.body).toEqual({ success: true, code: 200, message: '任务已触发', data: null });
    const [e] = await finished('alice', t.id);
    expect(e).toMatchObject({ task_id: t.id, status: 'SUCCESS', exit_code: 0, error_message: null, output_summary: 'from-env' });
    const detail = (await call('alice', 'GET', `${P}/executions/${e!.execution_id}`)).body.data;
    expect(detail).toMatchObject({ task_name: t.name, status: 'SUCCESS' });
    expect(detail.workspace_path).toContain(workspaceRoot);
    expect(typeof detail.duration_seconds).toBe('number');
    expect(detail.resource_usage.max_memory_mb).toBeGreaterThan(0);
    const out = (await call('alice', 'GET', `${P}/executions/${e!.execution_id}/logs/file?log_type=output`)).body.data;
    expect(out.content).toContain('hello-out');
    expect(out.content).not.toContain('hello-err');
    expect(out.content.join('\n')).toContain('secret=none');
    expect(out).toMatchObject({ log_type: 'output', lines_count: 3 });
    expect(out.file_size).toBeGreaterThan(0);
    const err = (await call('alice', 'GET', `${P}/executions/${e!.execution_id}/logs/file?log_type=error&lines=1`)).body.data;
    expect(err.content).toEqual(['hello-err']);
    expect((await call('alice', 'GET', `${P}/executions/${e!.execution_id}/logs/file?lines=10001`)).status).toBe(400);
    expect((await call('alice', 'GET', `${P}/executions/${e!.execution_id}/logs/file?log_type=debug`)).status).toBe(400);
    expect((await call('bob', 'GET', `${P}/executions/${e!.execution_id}`)).status).toBe(404);

    const stats = (await call('alice', 'GET', `${P}/tasks/${t.id}/stats`)).body.data;
    expect(stats).toMatchObject({ total_executions: 1, success_count: 1, failed_count: 0, success_rate: 1 });
    expect(stats.average_duration).toBeGreaterThanOrEqual(0);
    expect(stats.last_execution.execution_id).toBe(e!.execution_id);
    expect(stats.execution_trends.daily_counts[0]).toMatchObject({ success: 1, failed: 0 });
    const task = (await call('alice', 'GET', `${P}/tasks/${t.id}`)).body.data;
    expect(task).toMatchObject({ status: 'SUCCESS', execution_summary: { total_executions: 1, success_count: 1 } });
    expect((await executions('alice', t.id, '&status=SUCCESS')).length).toBe(1);
    expect((await executions('alice', t.id, '&status=FAILED')).length).toBe(0);
    expect((await executions('alice', t.id, `&start_date=${future(3600_000)}`)).length).toBe(0);
  });

  it('two triggers in the same second are two executions, each with its own id, record and logs', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '0 0 1 1 *', is_active: false, max_instances: 2, action: { type: 'command', command: 'echo "$SWITCHYARD_EXECUTION_ID"' } });
    const [a, b] = await Promise.all([call('alice', 'POST', `${P}/tasks/${t.id}/trigger`), call('alice', 'POST', `${P}/tasks/${t.id}/trigger`)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const both = await finished('alice', t.id, 2);
    expect(both.map((e) => e.status)).toEqual(['SUCCESS', 'SUCCESS']);
    const ids = both.map((e) => e.execution_id as string);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) {
      const out = (await call('alice', 'GET', `${P}/executions/${id}/logs/file?log_type=output`)).body.data;
      expect(out.content).toEqual([id]);
    }
  });

  it('runs the project entry command when the task has no action', async () => {
    const t = await createTask('bob', { schedule_type: 'ONCE' });
    const [e] = await finished('bob', t.id);
    expect(e).toMatchObject({ status: 'SUCCESS', output_summary: 'project 1 ran' });
  });

  it('a service action creates a long-task service task per run and ends with its outcome', async () => {
    const t = await createTask('bob', { schedule_type: 'ONCE', action: { type: 'service', service: 'echo', condition: { from: 'scheduler' } } });
    const [e] = await finished('bob', t.id);
    expect(e).toMatchObject({ status: 'SUCCESS' });
    const detail = (await call('bob', 'GET', `${P}/executions/${e!.execution_id}`)).body.data;
    const jobId = String(JSON.stringify(detail).match(/ts_echo_[0-9a-f-]{36}/)?.[0]);
    expect(jobId).toMatch(/^ts_echo_/);
    // The service task is a real one: the long-task dialect knows it, finished, with its condition.
    const r = await fetch(`${api.url}/api/result_task`, { method: 'POST', headers: { Authorization: config.auth.serviceAuthToken }, body: JSON.stringify({ data: { task_id: jobId } }) });
    const result = (await r.json()) as Record<string, unknown>;
    expect(r.status, JSON.stringify(result)).toBe(200);
    expect(JSON.stringify(result)).toContain('scheduler');
  });

  it('a ONCE task created inactive runs once when resumed, and not again on a second resume', async () => {
    const t = await createTask('alice', { schedule_type: 'ONCE', is_active: false, action: { type: 'command', command: 'echo once' } });
    // Nothing can run it: Temporal holds it paused, with nothing due and nothing taken.
    expect(await scheduleRecord(t.id)).toMatchObject({ paused: true, actionsTaken: 0, recent: 0, next: [] });
    expect((await executions('alice', t.id)).length).toBe(0);
    expect((await call('alice', 'POST', `${P}/tasks/${t.id}/resume`)).status).toBe(200);
    const [e] = await finished('alice', t.id);
    expect(e).toMatchObject({ status: 'SUCCESS', output_summary: 'once' });
    expect((await call('alice', 'POST', `${P}/tasks/${t.id}/pause`)).status).toBe(200);
    expect((await call('alice', 'POST', `${P}/tasks/${t.id}/resume`)).status).toBe(200);
    // The resume decides before it answers: Temporal's record shows the one run and nothing due.
    expect(await scheduleRecord(t.id)).toMatchObject({ paused: false, actionsTaken: 1, next: [] });
    await listedRuns(t.id, 1);
    expect((await executions('alice', t.id)).length).toBe(1);
  });

  it('a failing command ends FAILED with its exit code; a command past its timeout ends TIMEOUT', async () => {
    const fail = await createTask('alice', { schedule_type: 'ONCE', action: { type: 'command', command: 'echo about to fail >&2; exit 3' } });
    const slow = await createTask('alice', { schedule_type: 'ONCE', timeout_seconds: 2, action: { type: 'command', command: 'sleep 30' } });
    const [f] = await finished('alice', fail.id);
    expect(f).toMatchObject({ status: 'FAILED', exit_code: 3 });
    expect(f!.error_message).toContain('exit code 3');
    const [s] = await finished('alice', slow.id);
    expect(s).toMatchObject({ status: 'TIMEOUT' });
    expect((await call('alice', 'GET', `${P}/tasks/${slow.id}`)).body.data.status).toBe('TIMEOUT');
  });

  it('retries a failing command retry_count times', async () => {
    const t = await createTask('alice', { schedule_type: 'ONCE', retry_count: 1, action: { type: 'command', command: 'echo attempt; exit 1' } });
    const [e] = await finished('alice', t.id);
    const out = (await call('alice', 'GET', `${P}/executions/${e!.execution_id}/logs/file`)).body.data;
    expect(out.content.filter((l: string) => l === 'attempt').length).toBe(2);
  });

  it('a DATE task a few seconds ahead runs exactly once', async () => {
    const t = await createTask('alice', { schedule_type: 'DATE', schedule_config: future(4000), action: { type: 'command', command: 'echo date' } });
    expect(t.next_run_time).toBe(t.schedule_config);
    await finished('alice', t.id);
    // Its one action is spent: Temporal has nothing left to fire, and lists one run.
    expect(await scheduleRecord(t.id)).toMatchObject({ actionsTaken: 1, remaining: 0, next: [] });
    await listedRuns(t.id, 1);
    expect((await executions('alice', t.id)).length).toBe(1);
    expect((await call('alice', 'GET', `${P}/tasks/${t.id}`)).body.data).toMatchObject({ next_run_time: null, status: 'SUCCESS' });
  });

  it('a paused task does not run; resumed, it runs', async () => {
    const at = future(5000);
    const paused = await createTask('alice', { schedule_type: 'DATE', schedule_config: at, is_active: false, action: { type: 'command', command: 'echo paused' } });
    const resumed = await createTask('alice', { schedule_type: 'DATE', schedule_config: at, is_active: false, action: { type: 'command', command: 'echo resumed' } });
    expect(paused.next_run_time).toBeNull();
    await call('alice', 'POST', `${P}/tasks/${resumed.id}/resume`);
    await finished('alice', resumed.id);
    // The instant both were due has passed (the resumed one ran at it): the paused one's schedule took no action.
    expect(await scheduleRecord(resumed.id)).toMatchObject({ actionsTaken: 1 });
    expect(await scheduleRecord(paused.id)).toMatchObject({ paused: true, actionsTaken: 0, recent: 0 });
    await listedRuns(paused.id, 0);
    expect((await executions('alice', paused.id)).length).toBe(0);
  });

  it('streams log lines as Server-Sent Events while the command runs; running lists it', async () => {
    const t = await createTask('alice', {
      schedule_type: 'CRON',
      schedule_config: '0 0 1 1 *',
      is_active: false,
      action: { type: 'command', command: 'for i in 1 2 3 4; do echo line$i; sleep 1; done' },
    });
    await call('alice', 'POST', `${P}/tasks/${t.id}/trigger`);
    const exec = await eventually(async () => (await executions('alice', t.id)).find((e) => e.status === 'RUNNING'), 'a running execution', 60_000, 100);
    const running = (await call('alice', 'GET', `${P}/running`)).body.data as Json[];
    expect(running.find((r) => r.execution_id === exec.execution_id)).toMatchObject({ task_id: t.id, task_name: t.name, status: 'RUNNING' });
    expect((await call('alice', 'POST', `${P}/tasks/${t.id}/trigger`)).status).toBe(409);

    const res = await fetch(`${api.url}${P}/executions/${exec.execution_id}/logs/stream`, { headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let stateAtFirstLine: string | null = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      if (stateAtFirstLine === null && text.includes('data: line1')) {
        stateAtFirstLine = (await call('alice', 'GET', `${P}/executions/${exec.execution_id}`)).body.data.status as string;
      }
    }
    expect(stateAtFirstLine).toBe('RUNNING');
    const lines = [...text.matchAll(/event: log\ndata: (.*)\n/g)].map((m) => m[1]);
    expect(lines).toEqual(['line1', 'line2', 'line3', 'line4']);
    expect(text).toMatch(/event: end\ndata: \{"status":"SUCCESS","exit_code":0\}/);
  });

  it('bounds the kept output and marks the truncation', async () => {
    const t = await createTask('alice', { schedule_type: 'ONCE', action: { type: 'command', command: 'yes 0123456789 | head -c 20000' } });
    const [e] = await finished('alice', t.id);
    const out = (await call('alice', 'GET', `${P}/executions/${e!.execution_id}/logs/file`)).body.data;
    expect(out.file_size).toBeLessThan(4096 + 200);
    expect(out.content.at(-1)).toContain('output truncated');
  });
});

describe('scheduler dialect: max_instances', () => {
  it('refuses a trigger with 409 while max_instances executions run, and accepts it once one has ended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sched-max-'));
    try {
      const release = (i: number) => writeFileSync(join(dir, `go${i}`), '');
      // Each run waits for a file of its own: the test decides when it ends.
      const t = await createTask('alice', {
        schedule_type: 'CRON',
        schedule_config: '0 0 1 1 *',
        is_active: false,
        max_instances: 2,
        action: { type: 'command', command: `n=$(ls ${dir} | grep -c started); touch ${dir}/started$n; while [ ! -f ${dir}/go$n ]; do sleep 0.1; done; echo run$n` },
      });
      expect((await call('alice', 'POST', `${P}/tasks/${t.id}/trigger`)).status).toBe(200);
      await eventually(async () => existsSync(join(dir, 'started0')), 'the first run to be running', 60_000, 100);
      expect((await call('alice', 'POST', `${P}/tasks/${t.id}/trigger`)).status).toBe(200);
      await eventually(async () => existsSync(join(dir, 'started1')), 'the second run to be running', 60_000, 100);
      await eventually(async () => (await executions('alice', t.id)).filter((e) => e.status === 'RUNNING').length === 2, 'two runs recorded running', 60_000, 100);
      const refused = await call('alice', 'POST', `${P}/tasks/${t.id}/trigger`);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ success: false, code: 409, errors: [{ field: 'max_instances', message: expect.stringMatching(/2 execution\(s\) already running \(max_instances 2\)/) }] });
      await listedRuns(t.id, 2);
      release(0);
      await finished('alice', t.id, 1);
      expect((await call('alice', 'POST', `${P}/tasks/${t.id}/trigger`)).status).toBe(200);
      await eventually(async () => existsSync(join(dir, 'started2')), 'the third run to be running', 60_000, 100);
      release(1);
      release(2);
      const all = await finished('alice', t.id, 3);
      expect(all.map((e) => e.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scheduler dialect: system endpoints', () => {
  it('metrics report host, queue and dependency status', async () => {
    const r = await call('bob', 'GET', `${P}/metrics`);
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ database_status: 'HEALTHY', temporal_status: 'HEALTHY', scheduler_status: 'RUNNING' });
    for (const k of ['cpu_percent', 'memory_percent', 'disk_usage', 'active_tasks']) expect(typeof r.body.data[k]).toBe('number');
    expect(Object.keys(r.body.data.queue_status)).toEqual(['pending_tasks', 'running_tasks', 'completed_today']);
  });

  it('cleanup-workspaces is admin-only and removes old workspaces', async () => {
    const denied = await call('alice', 'POST', `${P}/cleanup-workspaces`);
    expect(denied.status).toBe(403);
    const r = await call('root', 'POST', `${P}/cleanup-workspaces?max_age_hours=0`);
    expect(r.status).toBe(200);
    expect(r.body.message).toBe('清理完成，已删除超过 0 小时的工作目录');
    expect(r.body.data.cleanup_summary.directories_removed).toBeGreaterThan(0);
    expect(Object.keys(r.body.data.cleanup_summary)).toEqual(['directories_removed', 'space_freed_mb', 'oldest_removed', 'cleanup_time']);
  });

  it('documents every endpoint with bearer auth in /openapi/scheduler.json and /docs', async () => {
    const doc = (await (await fetch(`${api.url}/openapi/scheduler.json`)).json()) as Json;
    const paths = Object.keys(doc.paths as Json);
    for (const p of [
      '/tasks',
      '/tasks/{task_id}',
      '/tasks/{task_id}/pause',
      '/tasks/{task_id}/resume',
      '/tasks/{task_id}/trigger',
      '/tasks/{task_id}/executions',
      '/executions/{execution_id}',
      '/executions/{execution_id}/logs/file',
      '/tasks/{task_id}/stats',
      '/metrics',
      '/running',
      '/cleanup-workspaces',
    ]) {
      expect(paths).toContain(`${P}${p}`);
    }
    expect(doc.components.securitySchemes.SchedulerJWT).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ops = Object.values(doc.paths as Json).flatMap((p) => Object.values(p as Json)) as Json[];
    expect(ops.length).toBeGreaterThanOrEqual(16);
    const docs = await (await fetch(`${api.url}/docs`)).text();
    expect(docs).toContain('/openapi/scheduler.json');
  });

  // Last in the file: the task was created in beforeAll, so most of its first interval has passed by now.
  it('fires an INTERVAL task one interval after its creation, and has the next one due an interval later', async () => {
    const [run] = await eventually(
      async () => {
        const items = await executions('alice', intervalTask.id as number);
        return items.some((i) => i.status === 'SUCCESS') ? items : null;
      },
      'the INTERVAL task’s first run',
      (MIN_INTERVAL_SECONDS + 60) * 1000,
      500,
    );
    expect(run).toMatchObject({ status: 'SUCCESS', output_summary: 'interval' });
    // The dialect's times are ISO 8601 UTC, to the second.
    const firstAt = Date.parse(String(run!.start_time));
    expect(Number.isNaN(firstAt)).toBe(false);
    expect(firstAt).toBeGreaterThanOrEqual(intervalCreatedAt + (MIN_INTERVAL_SECONDS - 1) * 1000);
    expect(firstAt).toBeLessThan(intervalCreatedAt + (MIN_INTERVAL_SECONDS + 30) * 1000);
    const record = await scheduleRecord(intervalTask.id as number);
    expect(record.actionsTaken).toBe(1);
    const nextAt = record.next[0]!.getTime();
    // Anchored at the creation (the API's clock, a request after intervalCreatedAt), not at the epoch.
    expect(Math.abs(nextAt - (intervalCreatedAt + 2 * MIN_INTERVAL_SECONDS * 1000))).toBeLessThan(5000);
  }, (MIN_INTERVAL_SECONDS + 90) * 1000);
});
