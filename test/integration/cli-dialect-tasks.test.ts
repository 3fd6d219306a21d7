import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { runCli } from '../support/cli-process.js';
import { testEnv } from '../support/env.js';

// `switchyard gpu tasks list|get` and `switchyard scheduler tasks list|get` as a user runs them (bin/switchyard.js,
// child processes) against one real API on the shared stack. No worker: a GPU task stays QUEUED, and the
// scheduler task is paused, which is all these read-only commands need; what the API started is ended afterwards.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const env = testEnv('clidialects');
const { config } = env;
const TASK_TYPE = 700_000 + Math.floor(Math.random() * 100_000);
const OWNER = `cli_${env.suffix}`;

let api: ApiRuntime;
let ownerJwt: string;
let gpuTaskId: string;
let schedulerTaskId: number;

/** The CLI run to its end with only PATH and HOME inherited, plus the API's address and credentials and `extra`. */
const cli = (args: string[], extra: Record<string, string> = {}) =>
  runCli(args, { SWITCHYARD_API_URL: api.url, SWITCHYARD_GPU_API_KEY: config.auth.gpuApiKey, SCHEDULER_JWT_SECRET: config.auth.schedulerJwtSecret, ...extra }, 60_000);

async function post<T>(path: string, authorization: string, body: unknown): Promise<T> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as { data: T };
  expect(res.status, JSON.stringify(answer)).toBe(200);
  return answer.data;
}

beforeAll(async () => {
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
  ownerJwt = await mintSchedulerToken(config.auth.schedulerJwtSecret, OWNER);
  gpuTaskId = (await post<{ taskId: string }>('/api/v2/tasks', `Bearer ${config.auth.gpuApiKey}`, { taskType: TASK_TYPE, priority: 3, app: 'cli-test', payload: { frames: 2 } })).taskId;
  schedulerTaskId = (
    await post<{ id: number }>('/api/v1/scheduler/tasks', `Bearer ${ownerJwt}`, {
      name: `cli-${env.suffix}`,
      project_id: 1,
      schedule_type: 'CRON',
      schedule_config: '0 0 1 1 *',
      is_active: false,
    })
  ).id;
});

afterAll(async () => {
  if (api && schedulerTaskId) await fetch(`${api.url}/api/v1/scheduler/tasks/${schedulerTaskId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ownerJwt}` } });
  await api?.shutdown();
  // The GPU task's workflow and the dispatcher it woke wait for a worker that never comes: end them.
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    for await (const w of client.workflow.list({ query: `TaskQueue = '${config.temporal.taskQueue}' AND ExecutionStatus = 'Running'` })) {
      await client.workflow.getHandle(w.workflowId, w.runId).terminate('test over').catch(() => undefined);
    }
  } finally {
    await connection.close();
  }
  await env.cleanup();
});

describe('switchyard gpu tasks', () => {
  it('lists and shows GPU tasks as tables or JSON, and refuses what the API refuses', async () => {
    const [table, json, get, getJson, missing, badKey, badType] = await Promise.all([
      cli(['gpu', 'tasks', 'list', '--task-type', String(TASK_TYPE)]),
      cli(['gpu', 'tasks', 'list', '--task-type', String(TASK_TYPE), '--status', 'QUEUED', '--json']),
      cli(['gpu', 'tasks', 'get', gpuTaskId]),
      cli(['gpu', 'tasks', 'get', gpuTaskId, '--json']),
      cli(['gpu', 'tasks', 'get', 'no-such-task']),
      cli(['gpu', 'tasks', 'list'], { SWITCHYARD_GPU_API_KEY: 'wrong' }),
      cli(['gpu', 'tasks', 'list', '--task-type', 'x']),
    ]);
    expect(table, table.stderr).toMatchObject({ code: 0, stderr: '' });
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TASK ID\s+TYPE\s+STATUS\s+PRIORITY\s+GPU\s+CREATED\s+TOOK\s+ERROR$/);
    expect(rest).toEqual([]);
    expect(row).toMatch(new RegExp(`^${gpuTaskId}\\s+${TASK_TYPE}\\s+QUEUED\\s+3\\s+-\\s+\\d{4}-\\d\\d-\\d\\dT`));

    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ taskId: gpuTaskId, taskType: TASK_TYPE, status: 'QUEUED', app: 'cli-test' })]);

    expect(get, get.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(get.stdout).toMatch(new RegExp(`^task id\\s+${gpuTaskId}$`, 'm'));
    expect(get.stdout).toMatch(/^status\s+QUEUED$/m);
    expect(get.stdout).toMatch(/^app\s+cli-test$/m);
    expect(get.stdout).toMatch(/^retries\s+0\/\d+$/m);
    expect(JSON.parse(getJson.stdout)).toMatchObject({ taskId: gpuTaskId, status: 'QUEUED', workflowId: gpuTaskId });

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^switchyard gpu tasks get: .+\n$/);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/invalid API key \(set the key with --gpu-key or SWITCHYARD_GPU_API_KEY\)\n$/);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/^switchyard: --task-type must be an integer, got "x"\n/);
  });
});

describe('switchyard scheduler tasks', () => {
  it("lists and shows a user's scheduled tasks with a minted or a given token", async () => {
    const [table, json, other, get, given, getJson, badId, wrongSecret] = await Promise.all([
      cli(['scheduler', 'tasks', 'list', '--user', OWNER]),
      cli(['scheduler', 'tasks', 'list', '--active', 'false', '--json'], { USER: OWNER }),
      cli(['scheduler', 'tasks', 'list', '--user', `${OWNER}_other`]),
      cli(['scheduler', 'tasks', 'get', String(schedulerTaskId), '--user', OWNER]),
      cli(['scheduler', 'tasks', 'get', String(schedulerTaskId)], { SWITCHYARD_SCHEDULER_TOKEN: ownerJwt, SCHEDULER_JWT_SECRET: 'not-the-secret' }),
      cli(['scheduler', 'tasks', 'get', String(schedulerTaskId), '--user', OWNER, '--json']),
      cli(['scheduler', 'tasks', 'get', 'abc']),
      cli(['scheduler', 'tasks', 'list', '--user', OWNER], { SCHEDULER_JWT_SECRET: 'not-the-secret' }),
    ]);
    expect(table, table.stderr).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+SCHEDULE\s+ACTIVE\s+STATUS\s+NEXT RUN\s+LAST RUN$/);
    expect(lines[1]).toMatch(new RegExp(`^${schedulerTaskId}\\s+cli-${env.suffix}\\s+CRON 0 0 1 1 \\*\\s+paused\\s+\\S+`));
    expect(lines.slice(2)).toEqual(['1 of 1']);

    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id: schedulerTaskId, name: `cli-${env.suffix}`, is_active: false })]);
    // Tasks are the caller's: another user sees none of them.
    expect(other).toMatchObject({ code: 0, stdout: 'no tasks\n' });

    for (const r of [get, given]) {
      expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^id\\s+${schedulerTaskId}$`, 'm'));
      expect(r.stdout).toMatch(/^schedule\s+CRON 0 0 1 1 \*$/m);
      expect(r.stdout).toMatch(/^active\s+paused$/m);
      expect(r.stdout).toMatch(/^executions\s+0 \(0 succeeded, 0 failed\)$/m);
    }
    expect(JSON.parse(getJson.stdout)).toMatchObject({ id: schedulerTaskId, schedule_type: 'CRON', project_id: 1 });

    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/^switchyard: task_id must be a number, got "abc"\n/);
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.stderr).toMatch(/\(give a token with --jwt or SWITCHYARD_SCHEDULER_TOKEN, or the secret in SCHEDULER_JWT_SECRET\)\n$/);
  });
});
