import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { testEnv } from '../support/env.js';

// MongoDB operator injection through every list filter and every id lookup of the four dialects, against the real
// API and FerretDB: records are created through the API (no worker runs, so they stay waiting), then each filter
// and id is sent hostile values. A value that reached a filter as an operator would match records it names no
// field of (`{"$ne": null}` matches everything): every hostile answer must be a 4xx, or a 2xx that holds none of
// the records; the same lists without the hostile value hold them, so each check can fail.
//
// Then the values issue 17's fuzz runs found: keys MongoDB cannot store (stored losslessly now) and numbers past
// timers and Temporal's ranges (400 naming the field), with no TimeoutOverflowWarning in this process (the API
// runs in it).
const env = testEnv('opinject');
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
const { config } = env;
let api: ApiRuntime;
type Dialect = 'device' | 'scheduler' | 'gpu' | 'service';
const headers: Record<Dialect, Record<string, string>> = { device: {}, scheduler: {}, gpu: {}, service: {} };

/** What a filter value may try: operator objects as JSON text, regex and wildcard syntax, bracket syntax. */
const HOSTILE_TEXT = ['{"$ne":null}', '{"$gt":""}', '{"$regex":".*"}', '{"$where":"true"}', '.*', '*', '$ne', 'null', '[object Object]', 'x\u0000y'];
/** The same as JSON values, for bodies. */
const HOSTILE_JSON: unknown[] = [{ $ne: null }, { $gt: '' }, { $regex: '.*' }, { $in: [null, ''] }, ['a', 'b'], null, 1, true];

const seeded = { device: '', gpu: '', service: '', scheduler: 0, gpuNode: `gpu-${env.suffix}` };

async function call(d: Dialect, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers[d] },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // the assertions name the text
  }
  return { status: res.status, text, json };
}

/** A hostile answer: a 4xx, or a success that shows none of the seeded records. */
function expectNothingLeaked(r: { status: number; text: string }, what: string, ids: string[]): void {
  const label = `${what}: ${r.status} ${r.text.slice(0, 300)}`;
  expect(r.status, label).toBeLessThan(500);
  if (r.status < 300) for (const id of ids) expect(r.text, label).not.toContain(id);
}

beforeAll(async () => {
  const jwt = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(config.auth.schedulerJwtSecret));
  headers.device = { 'X-API-KEY': config.auth.deviceApiKey };
  headers.scheduler = { Authorization: `Bearer ${jwt}` };
  headers.gpu = { Authorization: `Bearer ${config.auth.gpuApiKey}` };
  headers.service = { Authorization: config.auth.serviceAuthToken };
  process.on('warning', onWarning);
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });

  const device = await call('device', 'POST', '/device/exec', {
    driver: 'paramiko',
    queue_strategy: 'fifo',
    connection_args: { host: '127.0.0.1', port: 1, username: 'u', password: 'p' },
    command: 'echo seeded',
  });
  expect(device.status, device.text).toBe(200);
  seeded.device = (device.json.data as { id: string }).id;
  const gpu = await call('gpu', 'POST', '/api/v2/tasks', { taskType: 7, payload: 'seeded' });
  expect(gpu.status, gpu.text).toBe(200);
  seeded.gpu = (gpu.json.data as { taskId: string }).taskId;
  const node = await call('gpu', 'POST', '/api/v2/gpus/register', { gpuId: seeded.gpuNode, hostname: 'h', ip: '127.0.0.1', port: 1, supportedTaskTypes: [9], metadata: { $ne: 1, 'a.b': 2 } });
  expect(node.status, node.text).toBe(200);
  const service = await call('service', 'POST', '/api/create_task', { data: { service: 'echo', condition: { $where: 'true' } } });
  expect(service.status, service.text).toBe(200);
  seeded.service = service.json.task_id as string;
  const schedule = await call('scheduler', 'POST', '/api/v1/scheduler/tasks', { name: `seeded-${env.suffix}`, project_id: 1, schedule_type: 'CRON', schedule_config: '0 0 1 1 *', is_active: false });
  expect(schedule.status, schedule.text).toBe(200);
  seeded.scheduler = (schedule.json.data as { id: number }).id;
}, 120_000);

afterAll(async () => {
  process.off('warning', onWarning);
  await api?.shutdown();
  await env.cleanup();
});

describe('list filters from query strings', () => {
  const lists: { d: Dialect; path: string; params: string[]; id: () => string }[] = [
    { d: 'device', path: '/job', params: ['id', 'queue', 'host', 'node'], id: () => seeded.device },
    { d: 'device', path: '/jobs', params: ['id', 'queue', 'host', 'node'], id: () => seeded.device },
    { d: 'gpu', path: '/api/v2/tasks', params: ['gpuId', 'status', 'taskType'], id: () => seeded.gpu },
    { d: 'gpu', path: '/api/v2/monitoring/alerts', params: ['level', 'status'], id: () => 'no-alert-exists' },
    { d: 'scheduler', path: '/api/v1/scheduler/tasks', params: ['status', 'is_active'], id: () => `seeded-${env.suffix}` },
    { d: 'scheduler', path: `/api/v1/scheduler/tasks/{id}/executions`, params: ['status', 'start_date', 'end_date'], id: () => 'no-execution-exists' },
  ];

  it('holds the seeded records without a filter (the checks below can fail)', async () => {
    for (const l of lists.filter((x) => !x.id().startsWith('no-'))) {
      const r = await call(l.d, 'GET', l.path);
      expect(r.status, `${l.path}: ${r.text.slice(0, 200)}`).toBe(200);
      expect(r.text, l.path).toContain(l.id());
    }
  });

  it('takes every hostile value as text, or refuses it', async () => {
    for (const l of lists) {
      const path = l.path.replace('{id}', String(seeded.scheduler));
      for (const p of l.params) {
        for (const v of HOSTILE_TEXT) {
          const r = await call(l.d, 'GET', `${path}?${p}=${encodeURIComponent(v)}`);
          expectNothingLeaked(r, `${path}?${p}=${v}`, [l.id()]);
        }
        // Repeated parameters and qs-style bracket operators.
        expectNothingLeaked(await call(l.d, 'GET', `${path}?${p}=a&${p}=b`), `${path} repeated ${p}`, [l.id()]);
        const bracket = await call(l.d, 'GET', `${path}?${p}[$ne]=x&${p}=nothing-matches`);
        expectNothingLeaked(bracket, `${path}?${p}[$ne]`, [l.id()]);
      }
    }
  });

  it('cancels nothing for a hostile cancel filter', async () => {
    for (const p of ['id', 'queue', 'host']) {
      for (const v of HOSTILE_TEXT) {
        const r = await call('device', 'DELETE', `/job?${p}=${encodeURIComponent(v)}`);
        expectNothingLeaked(r, `DELETE /job?${p}=${v}`, [seeded.device]);
      }
    }
    const still = await call('device', 'GET', `/job?id=${seeded.device}`);
    expect(still.text).toContain('"status":"queued"');
  });

  it('lists GPU nodes by a hostile task type as text only', async () => {
    for (const v of HOSTILE_TEXT) {
      const r = await call('gpu', 'GET', `/api/v2/gpus/by-task-type/${encodeURIComponent(v)}`);
      expectNothingLeaked(r, `by-task-type/${v}`, [seeded.gpuNode]);
    }
  });
});

describe('id lookups', () => {
  it('finds nothing for a hostile id in a path', async () => {
    const paths: [Dialect, string][] = [
      ['device', '/jobs/{}'],
      ['gpu', '/api/v2/tasks/{}'],
      ['gpu', '/api/v2/tasks/{}/progress'],
      ['gpu', '/api/v2/tasks/{}/result'],
      ['gpu', '/api/v2/gpus/{}'],
      ['scheduler', '/api/v1/scheduler/tasks/{}'],
      ['scheduler', '/api/v1/scheduler/tasks/{}/stats'],
      ['scheduler', '/api/v1/scheduler/executions/{}'],
    ];
    const all = [seeded.device, seeded.gpu, seeded.gpuNode, `seeded-${env.suffix}`];
    for (const [d, p] of paths) {
      for (const v of HOSTILE_TEXT) expectNothingLeaked(await call(d, 'GET', p.replace('{}', encodeURIComponent(v))), `${p} ${v}`, all);
    }
    for (const v of HOSTILE_TEXT) {
      // Acting on a hostile id changes nothing either.
      expectNothingLeaked(await call('gpu', 'POST', `/api/v2/gpus/${encodeURIComponent(v)}/fault`), `fault ${v}`, all);
      expectNothingLeaked(await call('scheduler', 'POST', `/api/v1/scheduler/tasks/${encodeURIComponent(v)}/trigger`), `trigger ${v}`, all);
    }
    const node = await call('gpu', 'GET', `/api/v2/gpus/${seeded.gpuNode}`);
    expect(node.json.data).toMatchObject({ status: 'ACTIVE', metadata: { $ne: 1, 'a.b': 2 } });
  });

  it('refuses an operator object or any non-string where a JSON body names a task', async () => {
    const all = [seeded.service, seeded.device, seeded.gpu];
    for (const v of HOSTILE_JSON) {
      const bodies: [string, unknown][] = [
        ['/api/status_task', { data: [{ task_id: v }] }],
        ['/api/result_task', { data: { task_id: v } }],
        ['/api/start_task', { task_id: v }],
        ['/api/update_task', { task_id: v, condition: {} }],
        ['/api/update_status_task', { data: { task_id: v, status: 'running' } }],
        ['/api/tasks', { service: v }],
        ['/api/tasks', { status: v }],
        ...(typeof v === 'number' ? [] : ([['/api/tasks', { page: v }]] as [string, unknown][])),
      ];
      for (const [path, body] of bodies) {
        const r = await call('service', 'POST', path, body);
        expectNothingLeaked(r, `${path} ${JSON.stringify(body)}`, all);
        if (r.status < 300) throw new Error(`${path} accepted ${JSON.stringify(body)}: ${r.text.slice(0, 200)}`);
        expect(r.json, path).toMatchObject({ result: 'exception' });
      }
      for (const [path, body] of [
        [`/api/v2/tasks/${seeded.gpu}/status`, { status: 'PROCESSING', gpuId: v }],
        [`/api/v2/tasks/${seeded.gpu}/result`, { result: 'r', gpuId: v }],
      ] as const) {
        const r = await call('gpu', 'POST', path, body);
        expect(r.status, `${path} ${JSON.stringify(body)}: ${r.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
      }
      const named = await call('scheduler', 'POST', '/api/v1/scheduler/tasks', { name: v, project_id: 1, schedule_type: 'ONCE', is_active: false });
      expect(named.status, `scheduler name ${JSON.stringify(v)}: ${named.text.slice(0, 200)}`).toBe(400);
    }
  });

  it('stores operator-shaped free-form values as data and never matches by them', async () => {
    const r = await call('service', 'POST', '/api/tasks', { service: 'echo' });
    expect(r.status, r.text).toBe(200);
    const mine = (r.json.data as { task_id: string; condition: unknown }[]).find((t) => t.task_id === seeded.service);
    expect(mine?.condition).toEqual({ $where: 'true' });
  });
});

describe('free-form keys MongoDB cannot store as sent', () => {
  const keys = ['a\u0000b', '\u0000', '$ne', 'a.b', '', 'switchyard_json', '\ud800'];

  it('stores each losslessly: a GPU node’s metadata, a service task’s condition (create and update_task)', async () => {
    for (const [i, k] of keys.entries()) {
      const value = { [k]: { nested: [[1, 2]], [k]: 'x' } };
      const gpuId = `node-${i}-${env.suffix}`;
      const reg = await call('gpu', 'POST', '/api/v2/gpus/register', { gpuId, hostname: 'h', ip: '127.0.0.1', port: 1, supportedTaskTypes: [9], metadata: value });
      expect(reg.status, `register ${JSON.stringify(k)}: ${reg.text.slice(0, 200)}`).toBe(200);
      expect((await call('gpu', 'GET', `/api/v2/gpus/${gpuId}`)).json.data).toMatchObject({ metadata: value });

      const created = await call('service', 'POST', '/api/create_task', { data: { service: 'echo', condition: value } });
      expect(created.status, `create_task ${JSON.stringify(k)}: ${created.text.slice(0, 200)}`).toBe(200);
      const id = created.json.task_id as string;
      const listed = (await call('service', 'POST', '/api/tasks', { service: 'echo', p_size: 1000 })).json.data as { task_id: string; condition: unknown }[];
      expect(listed.find((t) => t.task_id === id)?.condition).toEqual(value);
      const updated = await call('service', 'POST', '/api/update_task', { task_id: id, condition: { ...value, again: true } });
      // A task whose run waits may not change (409); never a 5xx.
      expect([200, 409], `update_task ${JSON.stringify(k)}: ${updated.text.slice(0, 200)}`).toContain(updated.status);
    }
  });

  it('refuses a free-form value over 512 KiB with a 400 naming the field', async () => {
    const r = await call('service', 'POST', '/api/create_task', { data: { service: 'echo', condition: { big: 'x'.repeat(600 * 1024) } } });
    expect(r.status, r.text.slice(0, 200)).toBe(400);
    expect(r.json.message).toMatch(/data\.condition/);
  });
});

describe('numbers past timers and Temporal’s ranges', () => {
  it('answers 400 naming the field, in the dialect’s envelope', async () => {
    const huge = [1e308, 3.5e16, 2 ** 31, 99_999_999_999];
    const conn = { host: '127.0.0.1', port: 1, username: 'u', password: 'p' };
    for (const n of huge) {
      for (const field of ['timeout', 'conn_timeout', 'keepalive']) {
        const r = await call('device', 'POST', '/device/test', { driver: 'paramiko', connection_args: { ...conn, [field]: n } });
        expect(r.status, `${field} ${n}: ${r.text.slice(0, 200)}`).toBe(400);
        expect(r.json.message).toContain(`connection_args.${field}`);
      }
      const args = await call('device', 'POST', '/device/exec', { driver: 'netmiko', connection_args: { ...conn, device_type: 'cisco_ios' }, command: 'show clock', driver_args: { read_timeout: n } });
      expect(args.status, args.text.slice(0, 200)).toBe(400);
      expect(args.json.message).toContain('read_timeout');
      const gpu = await call('gpu', 'POST', '/api/v2/tasks', { taskType: 7, timeout: n });
      expect(gpu.status, gpu.text.slice(0, 200)).toBe(400);
      const type = await call('gpu', 'POST', '/api/v2/tasks', { taskType: n });
      expect(type.status, type.text.slice(0, 200)).toBe(400);
    }
    for (const [type, cfg] of [
      ['INTERVAL', 3.5e16],
      ['INTERVAL', '99999999999'],
      ['INTERVAL', '35000000000000000'],
      ['DATE', '9999-12-31T00:00:00Z'],
    ] as const) {
      const r = await call('scheduler', 'POST', '/api/v1/scheduler/tasks', { name: `bound-${String(cfg).slice(0, 20)}`, project_id: 1, schedule_type: type, schedule_config: cfg, is_active: true });
      expect(r.status, `${type} ${cfg}: ${r.text.slice(0, 300)}`).toBe(400);
      expect(r.json).toMatchObject({ success: false, code: 400 });
      expect((r.json.errors as { field: string }[]).every((e) => e.field === 'schedule_config'), r.text).toBe(true);
    }
    const longest = await call('scheduler', 'POST', '/api/v1/scheduler/tasks', { name: `bound-longest-${env.suffix}`, project_id: 1, schedule_type: 'INTERVAL', schedule_config: '31622400', is_active: true });
    expect(longest.status, longest.text.slice(0, 300)).toBe(200);
    expect((longest.json.data as { next_run_time: string | null }).next_run_time).not.toBeNull();
    const project = await call('scheduler', 'POST', '/api/v1/scheduler/tasks', { name: `bound-project-${env.suffix}`, project_id: 2 ** 31, schedule_type: 'ONCE', is_active: false });
    expect(project.status).toBe(400);
  });

  it('raised no TimeoutOverflowWarning in the API process', () => {
    expect(warnings.filter((w) => w.startsWith('TimeoutOverflowWarning'))).toEqual([]);
  });
});
