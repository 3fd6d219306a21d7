import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { DEFAULT_RENDER_LIMITS, RenderPool } from '../../src/rendering/index.js';
import { testEnv } from '../support/env.js';

// The hostile-template corpus (test/fixtures/jinja2/hostile.json: published server-side template injection
// payloads for Jinja2, nunjucks and other JS engines, and resource exhaustion) against the sandbox's render thread,
// then through the device and scheduler APIs. Each payload is refused or renders harmlessly: nothing runs (a
// payload that would run a command would create a marker file), nothing of the process environment (a canary
// variable), of the host's memory (a secret string held by this process) or of an earlier render (its context)
// appears, and the process keeps answering while the payload renders.

// Set before any render thread starts: a thread gets a copy of the environment as it was when it started.
const CANARY = `canary-${randomBytes(8).toString('hex')}`;
process.env.SWITCHYARD_SSTI_CANARY = CANARY;
/** A secret this process holds in memory (a template must never see it). */
const HOST_SECRET = `host-secret-${randomBytes(8).toString('hex')}`;
/** A value from another job's context, rendered before the hostile ones. */
const EARLIER_SECRET = `earlier-job-${randomBytes(8).toString('hex')}`;

interface Payload {
  name: string;
  source: string;
  template: string;
  context?: Record<string, unknown>;
}
const payloads = JSON.parse(readFileSync(new URL('../fixtures/jinja2/hostile.json', import.meta.url), 'utf8')) as Payload[];

const markerDir = mkdtempSync(join(tmpdir(), 'ssti-'));
const marker = join(markerDir, 'ran');
/** The payload with its command aimed at the marker file. */
const armed = (p: Payload) => p.template.replaceAll('@MARKER@', marker);

/** What must never appear in an output or an error message. */
const LEAKS = [CANARY, HOST_SECRET, EARLIER_SECRET, '[native code]', 'uid=', 'root:x:0', '[object ', 'function (', 'function('];
function expectNoLeak(text: string, what: string): void {
  for (const leak of LEAKS) expect(text, `${what} shows ${leak}`).not.toContain(leak);
}

/** A plain HTTP server on loopback: "an ordinary request" the event loop must keep serving. */
let ping: Server;
let pingUrl: string;
// A tighter time budget than the default keeps the resource-exhaustion payloads quick.
const pool = new RenderPool({ ...DEFAULT_RENDER_LIMITS, timeMs: 150 });

beforeAll(async () => {
  ping = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((r) => ping.listen(0, '127.0.0.1', r));
  pingUrl = `http://127.0.0.1:${(ping.address() as AddressInfo).port}/`;
  expect(await pool.render('{{ secret }}', { secret: EARLIER_SECRET, host: HOST_SECRET.length })).toBe(EARLIER_SECRET);
});

afterAll(async () => {
  await pool.close();
  ping?.close();
  rmSync(markerDir, { recursive: true, force: true });
});

describe('hostile templates in the sandbox', () => {
  it('holds at least 40 published payloads', () => {
    expect(payloads.length).toBeGreaterThanOrEqual(40);
    expect(new Set(payloads.map((p) => p.name)).size).toBe(payloads.length);
  });

  it.each(payloads.map((p) => [p.name, p] as const))('%s: refused or harmless, and the event loop keeps serving', async (name, p) => {
    const render = pool.render(armed(p), p.context ?? {}).then(
      (text) => ({ ok: true as const, text }),
      (e: Error) => ({ ok: false as const, name: e.name, text: e.message }),
    );
    // An ordinary request completes while the payload is being rendered (the render runs on its own thread).
    const pong = await (await fetch(pingUrl)).text();
    expect(pong).toBe('pong');
    const outcome = await render;
    if (!outcome.ok) expect(['TemplateError', 'TemplateLimitError'], `${name}: ${outcome.text}`).toContain(outcome.name);
    expectNoLeak(outcome.text, name);
    expect(existsSync(marker), `${name} ran a command`).toBe(false);
    // The sandbox still renders an ordinary template correctly afterwards.
    expect(await pool.render('{% for v in vlans %}vlan {{ v }}\n{% endfor %}', { vlans: [10, 20] })).toBe('vlan 10\nvlan 20\n');
  });

  it('stops runaway templates at a limit that it names', async () => {
    const limited = async (template: string) => pool.render(template, {}).then(
      () => 'rendered',
      (e: Error & { limit?: string }) => `${e.name}:${e.limit}`,
    );
    expect(await limited('{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}')).toBe('TemplateLimitError:time');
    // range() refuses more than Jinja2's sandbox allows (MAX_RANGE), with its words.
    expect(await pool.render('{{ range(100001) | length }}', {}).catch((e: Error) => e.message)).toMatch(/^Range too big\. The sandbox blocks ranges larger than MAX_RANGE \(100000\)\./);
    // With time to spare, the stack, memory and output limits are the ones that stop a template.
    const small = new RenderPool({ timeMs: 5_000, memoryBytes: 8 * 1024 * 1024, outputChars: 10_000 });
    try {
      await expect(small.render("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}", {})).rejects.toMatchObject({ name: 'TemplateLimitError', limit: 'memory', message: expect.stringMatching(/^memory limit: /) });
      await expect(small.render('{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}', {})).rejects.toMatchObject({ name: 'TemplateLimitError', limit: 'stack' });
      await expect(small.render('{% for i in range(20000) %}AAAA{% endfor %}', {})).rejects.toMatchObject({ name: 'TemplateLimitError', limit: 'output', message: expect.stringMatching(/^output limit: .*limit 10000/) });
    } finally {
      await small.close();
    }
  });

  it('takes the thread away from a render that does not stop (the watchdog), and the event loop keeps serving', async () => {
    const stalling = new RenderPool({ ...DEFAULT_RENDER_LIMITS, timeMs: 50 }, new URL('../support/stalling-render-worker.mjs', import.meta.url));
    try {
      const stuck = stalling.render('anything', {}).then(
        () => 'rendered',
        (e: Error & { limit?: string }) => `${e.name}:${e.limit}:${e.message}`,
      );
      expect(await (await fetch(pingUrl)).text()).toBe('pong');
      expect(await stuck).toBe('TemplateLimitError:time:time limit: the template ran longer than 50 ms');
      // The next render gets a new thread (which stalls too, and is taken away too).
      await expect(stalling.render('again', {})).rejects.toMatchObject({ limit: 'time' });
      expect(stalling.threadsStarted).toBe(2);
    } finally {
      await stalling.close();
    }
  });

  it('leaves nothing behind for the next render: no prototype, global or variable survives', async () => {
    await pool.render("{% set x = {'__proto__': {'polluted': 'yes'}} %}{% set ns = namespace(a=1) %}", { __proto__: { polluted: 'yes' } }).catch(() => '');
    expect(await pool.render('[{{ polluted }}{{ {}.polluted }}{{ x }}{{ ns }}{{ secret }}]', {})).toBe('[]');
  });
});

describe('hostile templates through the APIs', () => {
  const env = testEnv('tplsandbox', { device: { renderTimeMs: 150 } });
  const { config } = env;
  let api: ApiRuntime;
  let schedulerAuth: string;

  beforeAll(async () => {
    api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
    const jwt = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(config.auth.schedulerJwtSecret));
    schedulerAuth = `Bearer ${jwt}`;
  }, 120_000);

  afterAll(async () => {
    await api?.shutdown();
    await env.cleanup();
  });

  const post = async (path: string, headers: Record<string, string>, body: unknown) => {
    const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  const deviceJob = (template: string) => ({
    driver: 'paramiko',
    // A closed loopback port: no job of this file may reach a device.
    connection_args: { host: '127.0.0.1', port: 9, username: 'u', password: 'p' },
    command: { site: 'ams' },
    rendering: { name: 'jinja2', template },
  });

  it('device jobs: every payload is refused with a 400 on rendering.template or renders harmlessly; the API answers meanwhile', async () => {
    const key = { 'X-API-KEY': config.auth.deviceApiKey };
    for (const p of payloads) {
      const submitted = post('/device/exec', key, deviceJob(armed(p)));
      const listed = await fetch(`${api.url}/job?limit=1`, { headers: key });
      expect(listed.status, `${p.name}: GET /job while it renders`).toBe(200);
      const r = await submitted;
      expectNoLeak(r.text, p.name);
      expect(existsSync(marker), `${p.name} ran a command`).toBe(false);
      if (r.status === 200) continue; // rendered harmlessly (text) and queued: the job only fails to connect
      expect(r.status, `${p.name}: ${r.text}`).toBe(400);
      const body = JSON.parse(r.text) as { message: string; data: unknown };
      expect(JSON.stringify(body.data), `${p.name}: ${r.text}`).toMatch(/rendering\.template|"(command|config)"/);
    }
    const limit = await post('/device/exec', key, deviceJob('{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}'));
    expect(limit.status).toBe(400);
    expect(limit.text).toContain('rendering.template');
    expect(limit.text).toContain('time limit: the template ran longer than 150 ms');
    // And an ordinary rendered job is still accepted.
    const ok = await post('/device/exec', key, deviceJob('echo {{ site | upper }}'));
    expect(ok.status, ok.text).toBe(200);
  });

  it('scheduler device actions: the same renderer, refused on action.rendering.template', async () => {
    const auth = { Authorization: schedulerAuth };
    for (const template of ["{{ range.constructor('return process.env')() }}", '{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}', '{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}']) {
      const r = await post('/api/v1/scheduler/tasks', auth, {
        name: `hostile-${randomBytes(4).toString('hex')}`,
        project_id: 1,
        schedule_type: 'INTERVAL',
        schedule_config: '3600',
        action: { type: 'device', ...deviceJob(template) },
      });
      expectNoLeak(r.text, template);
      expect(r.status, r.text).toBe(400);
      expect(r.text).toContain('action.rendering.template');
    }
  });
});
