import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';

// Hostile bodies and parameters against the real API of all four dialects: each is refused with a clear 4xx in
// the dialect's own envelope, nothing answers 5xx, nothing runs that was not asked for, and the process keeps
// answering afterwards.
const env = testEnv('hostile');
const { config } = env;
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;

type Dialect = 'device' | 'scheduler' | 'gpu' | 'service';
const headers: Record<Dialect, Record<string, string>> = { device: {}, scheduler: {}, gpu: {}, service: {} };
/** One body-accepting endpoint of each dialect. */
const bodyEndpoints: Record<Dialect, string> = {
  device: '/device/exec',
  scheduler: '/api/v1/scheduler/tasks',
  gpu: '/api/v2/tasks',
  service: '/api/create_task',
};

beforeAll(async () => {
  const jwt = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(config.auth.schedulerJwtSecret));
  headers.device = { 'X-API-KEY': config.auth.deviceApiKey };
  headers.scheduler = { Authorization: `Bearer ${jwt}` };
  headers.gpu = { Authorization: `Bearer ${config.auth.gpuApiKey}` };
  headers.service = { Authorization: config.auth.serviceAuthToken };
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
  worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await workflowBundle() });
  workerDone = worker.run();
}, 120_000);

afterAll(async () => {
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await env.cleanup();
});

async function send(dialect: Dialect, method: string, path: string, body?: string | Buffer): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(`${api.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers[dialect] }, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // the assertion below names the response
  }
  return { status: res.status, body: parsed, text };
}

/** A 4xx in the dialect's own envelope. */
function expectRefusedInEnvelope(dialect: Dialect, r: { status: number; body: Record<string, unknown>; text: string }, what: string, status?: number): void {
  const label = `${what}: ${r.status} ${r.text.slice(0, 200)}`;
  if (status) expect(r.status, label).toBe(status);
  expect(r.status, label).toBeGreaterThanOrEqual(400);
  expect(r.status, label).toBeLessThan(500);
  // device and gpu: `data` is null, or names the fields at fault.
  if (dialect === 'device' || dialect === 'gpu') expect(r.body, label).toMatchObject({ code: r.status });
  if (dialect === 'scheduler') expect(r.body, label).toMatchObject({ success: false, code: r.status });
  if (dialect === 'service') expect(r.body, label).toMatchObject({ result: 'exception' });
  expect(typeof r.body.message, label).toBe('string');
}

const dialects = Object.keys(bodyEndpoints) as Dialect[];

describe('hostile bodies, every dialect', () => {
  it('answers 413 to a 10 MB body', async () => {
    const big = JSON.stringify({ command: 'x'.repeat(10 * 1024 * 1024) });
    for (const d of dialects) expectRefusedInEnvelope(d, await send(d, 'POST', bodyEndpoints[d], big), `${d} 10 MB`, 413);
  });

  it('answers 400 to JSON nested 100,000 levels deep, and to a deep value inside a valid body', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const deepInField = `{"service":"echo","condition":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`;
    for (const d of dialects) {
      expectRefusedInEnvelope(d, await send(d, 'POST', bodyEndpoints[d], deep), `${d} nested array`, 400);
      expectRefusedInEnvelope(d, await send(d, 'POST', bodyEndpoints[d], deepInField), `${d} deep condition`, 400);
    }
  });

  it('answers 400 to a body that is not UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"command": "echo '), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
    for (const d of dialects) expectRefusedInEnvelope(d, await send(d, 'POST', bodyEndpoints[d], bytes), `${d} invalid UTF-8`, 400);
  });

  it('answers 400 to broken and wrongly typed JSON', async () => {
    for (const d of dialects) {
      expectRefusedInEnvelope(d, await send(d, 'POST', bodyEndpoints[d], '{"command": '), `${d} truncated JSON`, 400);
      expectRefusedInEnvelope(d, await send(d, 'POST', bodyEndpoints[d], '"just a string"'), `${d} JSON string`, 400);
      expectRefusedInEnvelope(d, await send(d, 'POST', bodyEndpoints[d], '[1,2,3]'), `${d} JSON array`, 400);
    }
  });
});

describe('hostile parameters', () => {
  it('refuses huge page sizes, line counts and offsets in the dialect’s envelope', async () => {
    expectRefusedInEnvelope('scheduler', await send('scheduler', 'GET', '/api/v1/scheduler/tasks?size=1000000000'), 'scheduler size');
    expectRefusedInEnvelope('scheduler', await send('scheduler', 'GET', '/api/v1/scheduler/tasks?page=99999999999999999999'), 'scheduler page');
    expectRefusedInEnvelope('scheduler', await send('scheduler', 'GET', '/api/v1/scheduler/executions/some-id/logs?lines=999999999'), 'scheduler lines');
    expectRefusedInEnvelope('device', await send('device', 'GET', '/job?limit=1000000000000'), 'device limit');
    expectRefusedInEnvelope('device', await send('device', 'GET', '/job?offset=-5'), 'device offset');
    expectRefusedInEnvelope('gpu', await send('gpu', 'GET', '/api/v2/tasks?size=1000000000'), 'gpu size');
    const tasks = await send('service', 'POST', '/api/tasks', JSON.stringify({ p_size: 1e12, page: 1 }));
    expectRefusedInEnvelope('service', tasks, 'service p_size');
  });

  it('never serves a file outside an execution’s workspace for traversal in execution ids', async () => {
    const ids = ['..%2F..%2F..%2Fetc%2Fpasswd', '..%252F..%252Fetc%252Fpasswd', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', 'x%00..%2Fetc%2Fpasswd'];
    for (const id of ids) {
      for (const tail of ['', '/logs', '/logs/file', '/logs/stream']) {
        const r = await send('scheduler', 'GET', `/api/v1/scheduler/executions/${id}${tail}`);
        expect(r.text, `${id}${tail}`).not.toContain('root:');
        expectRefusedInEnvelope('scheduler', r, `execution ${id}${tail}`);
      }
    }
  });
});

describe('parsing templates refused at submission', () => {
  const job = (parsing: Record<string, unknown>) => ({ driver: 'paramiko', connection_args: { host: '127.0.0.1', port: 1, username: 'u', password: 'p' }, command: 'show interfaces', parsing });
  const action = (parsing: Record<string, unknown>) => ({ name: `parse-${env.suffix}-${Math.random().toString(36).slice(2, 8)}`, project_id: 1, schedule_type: 'INTERVAL', schedule_config: '3600', is_active: false, action: { type: 'device', ...job(parsing) } });
  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['an unterminated regex group', { name: 'regex', template: '(?P<intf>\\S+' }, 'invalid regex pattern: missing ), unterminated subpattern at position 0'],
    ['a regex repeating nothing', { name: 'regex', template: '*show' }, 'nothing to repeat'],
    ['a regex nested 100,000 deep', { name: 'regex', template: `${'('.repeat(100_000)}a${')'.repeat(100_000)}` }, 'invalid regex pattern: it nests too deeply to compile'],
    ['a TextFSM template without Start', { name: 'textfsm', template: 'Value A (\\S+)\n\nBegin\n  ^${A} -> Record\n' }, "Missing state 'Start'"],
    ['a TextFSM value regex that does not compile', { name: 'textfsm', template: 'Value A ([z-a]+)\n\nStart\n  ^${A} -> Record\n' }, 'bad character range z-a'],
  ];

  it('device jobs: 400 on parsing.template in the device envelope, naming the problem; the API answers meanwhile', async () => {
    for (const [what, parsing, message] of invalid) {
      const submitted = send('device', 'POST', '/device/exec', JSON.stringify(job(parsing)));
      expect((await fetch(`${api.url}/health`)).status, `${what}: /health while it compiles`).toBeLessThan(500);
      const r = await submitted;
      expectRefusedInEnvelope('device', r, what, 400);
      expect(r.body.data, what).toEqual({ errors: [{ field: 'parsing.template', message: expect.stringContaining(message) }] });
    }
    // Longer than any template: refused by the schema, before anything compiles.
    const long = await send('device', 'POST', '/device/exec', JSON.stringify(job({ name: 'regex', template: 'a'.repeat(262_145) })));
    expectRefusedInEnvelope('device', long, 'a 256 KiB pattern', 400);
    expect(long.text).toContain('parsing.template');
    // A pattern that compiles is queued, even one that backtracks badly: its parse budget applies when the job runs.
    const ok = await send('device', 'POST', '/device/exec', JSON.stringify(job({ name: 'regex', template: '^(?P<x>(a|aa)+)$' })));
    expect(ok.status, ok.text).toBe(200);
  });

  it('scheduler device actions: 400 on action.parsing.template in the scheduler envelope', async () => {
    for (const [what, parsing, message] of invalid) {
      const r = await send('scheduler', 'POST', '/api/v1/scheduler/tasks', JSON.stringify(action(parsing)));
      expectRefusedInEnvelope('scheduler', r, what, 400);
      expect(r.text, what).toContain('action.parsing.template');
      expect(r.body.errors, what).toEqual([{ field: 'action.parsing.template', message: expect.stringContaining(message) }]);
    }
    const ok = await send('scheduler', 'POST', '/api/v1/scheduler/tasks', JSON.stringify(action({ name: 'textfsm', template: 'Value A (\\S+)\n\nStart\n  ^${A} up -> Record\n' })));
    expect(ok.status, ok.text).toBe(200);
  });
});

describe('shell metacharacters', () => {
  it('runs a scheduled command as asked and never evaluates names or environment values', async () => {
    const marker = join(tmpdir(), `sy-hostile-${env.suffix}`);
    rmSync(marker, { force: true });
    const evil = `$(touch ${marker})\`touch ${marker}\`;touch ${marker}`;
    const created = await send(
      'scheduler',
      'POST',
      '/api/v1/scheduler/tasks',
      JSON.stringify({
        name: `hostile-${env.suffix}`,
        description: evil,
        project_id: 1,
        schedule_type: 'ONCE',
        action: { type: 'command', command: 'printf "%s" "$EVIL"', env: { EVIL: evil } },
      }),
    );
    expect(created.status, created.text).toBe(200);
    const id = (created.body.data as { id: number }).id;
    const execution = await eventually(
      async () => {
        const r = await send('scheduler', 'GET', `/api/v1/scheduler/tasks/${id}/executions`);
        const items = (r.body.items ?? []) as { status: string; output_summary: string }[];
        return items.find((e) => e.status === 'SUCCESS' || e.status === 'FAILED') ?? null;
      },
      'the execution to end',
      60_000,
    );
    expect(execution).toMatchObject({ status: 'SUCCESS', output_summary: evil });
    expect(existsSync(marker)).toBe(false);
    // A name carrying shell syntax is stored as text.
    const named = await send('scheduler', 'POST', '/api/v1/scheduler/tasks', JSON.stringify({ name: `;touch ${marker}`, project_id: 1, schedule_type: 'CRON', schedule_config: '0 0 1 1 *', is_active: false }));
    expect([200, 400]).toContain(named.status);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses shell syntax in a device host instead of handing it to anything local', async () => {
    const r = await send('device', 'POST', '/device/exec', JSON.stringify({ driver: 'paramiko', connection_args: { host: '127.0.0.1;touch /tmp/sy-pwned', username: 'u', password: 'p' }, command: 'echo hi' }));
    expectRefusedInEnvelope('device', r, 'device host with shell syntax', 400);
  });

  it('still answers after all of the above', async () => {
    const res = await fetch(`${api.url}/health`);
    expect(res.status).toBeLessThan(500);
  });
});
