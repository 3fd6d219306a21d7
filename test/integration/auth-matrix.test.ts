import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { testEnv } from '../support/env.js';

// Every operation of every dialect's OpenAPI document, asked with no credentials, wrong ones, another dialect's,
// and expired or forged JWTs: each must be refused in that dialect's own envelope, before anything else runs.
const env = testEnv('authmatrix');
const { config } = env;
let api: ApiRuntime;
let operations: { dialect: string; method: string; path: string }[] = [];
/** Operations whose document declares `security: []`: the probes and /metrics, open on purpose. */
const open: { method: string; path: string }[] = [];

type Dialect = 'device' | 'scheduler' | 'gpu' | 'service';

function dialectOf(docUrl: string): Dialect {
  if (docUrl.includes('device')) return 'device';
  if (docUrl.includes('scheduler')) return 'scheduler';
  if (docUrl.includes('gpu')) return 'gpu';
  return 'service';
}

const secret = new TextEncoder().encode(config.auth.schedulerJwtSecret);
const jwt = (claims: Record<string, unknown>, exp: string | number, key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt().setExpirationTime(exp).sign(key);

/** Valid credentials of each dialect, as that dialect's clients send them. */
async function ownCredentials(): Promise<Record<Dialect, Record<string, string>>> {
  return {
    device: { 'X-API-KEY': config.auth.deviceApiKey },
    scheduler: { Authorization: `Bearer ${await jwt({ role: 'admin' }, '1h')}` },
    gpu: { Authorization: `Bearer ${config.auth.gpuApiKey}` },
    service: { Authorization: config.auth.serviceAuthToken },
  };
}

beforeAll(async () => {
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
  const index = (await (await fetch(`${api.url}/openapi`)).json()) as { documents: { url: string }[] };
  for (const { url } of index.documents) {
    const doc = (await (await fetch(`${api.url}${url}`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        if (Array.isArray(op.security) && op.security.length === 0) {
          open.push({ method: method.toUpperCase(), path });
          continue;
        }
        operations.push({ dialect: dialectOf(url), method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'some-id') });
      }
    }
  }
  operations = operations.sort((a, b) => `${a.path}${a.method}`.localeCompare(`${b.path}${b.method}`));
});

afterAll(async () => {
  await api?.shutdown();
  await env.cleanup();
});

function expectRefused(dialect: Dialect, status: number, body: Record<string, unknown>, what: string): void {
  expect(status, what).toBe(401);
  if (dialect === 'device' || dialect === 'gpu') expect(body, what).toMatchObject({ code: 401, data: null });
  if (dialect === 'scheduler') expect(body, what).toMatchObject({ success: false, code: 401 });
  if (dialect === 'service') expect(body, what).toMatchObject({ result: 'exception' });
  expect(typeof body.message, what).toBe('string');
}

describe('credential matrix over every documented operation', () => {
  it('finds the operations of all four dialects', () => {
    expect(new Set(operations.map((o) => o.dialect))).toEqual(new Set(['device', 'scheduler', 'gpu', 'service']));
    expect(operations.length).toBeGreaterThan(40);
  });

  it('finds only the probes and /metrics open, and they answer without credentials', async () => {
    expect(open.map((o) => `${o.method} ${o.path}`).sort()).toEqual(['GET /livez', 'GET /metrics', 'GET /readyz']);
    for (const op of open) expect((await fetch(`${api.url}${op.path}`)).status, op.path).toBe(200);
  });

  it('refuses every operation without, with wrong, and with another dialect’s credentials', async () => {
    const own = await ownCredentials();
    const expired = `Bearer ${await jwt({ role: 'admin' }, Math.floor(Date.now() / 1000) - 60)}`;
    const forged = `Bearer ${await jwt({ role: 'admin' }, '1h', new TextEncoder().encode('not-the-secret-not-the-secret'))}`;
    const unsigned = `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"alice","role":"admin"}').toString('base64url')}.`;
    let asked = 0;
    for (const op of operations) {
      const d = op.dialect as Dialect;
      const attempts: [string, Record<string, string>][] = [
        ['none', {}],
        ['wrong key', { 'X-API-KEY': 'wrong-wrong-wrong', Authorization: 'Bearer wrong-wrong-wrong' }],
        ...(['device', 'scheduler', 'gpu', 'service'] as Dialect[]).filter((o) => o !== d).map((o) => [`${o} credentials`, own[o]] as [string, Record<string, string>]),
      ];
      if (d === 'scheduler') attempts.push(['expired JWT', { Authorization: expired }], ['forged JWT', { Authorization: forged }], ['alg none JWT', { Authorization: unsigned }]);
      if (d === 'service') attempts.push(['wrong token', { Authorization: `${config.auth.serviceAuthToken}x` }]);
      for (const [label, headers] of attempts) {
        const res = await fetch(`${api.url}${op.path}`, {
          method: op.method,
          headers: { 'content-type': 'application/json', ...headers },
          body: op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}',
        });
        const text = await res.text();
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // fall through: the assertion names the operation
        }
        expectRefused(d, res.status, body, `${op.method} ${op.path} with ${label}: ${res.status} ${text.slice(0, 200)}`);
        asked += 1;
      }
    }
    expect(asked).toBeGreaterThan(200);
  });
});
