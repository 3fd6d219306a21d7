import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { testEnv } from '../support/env.js';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);
const pythonTool = (name: string) => join(process.env.SWITCHYARD_CACHE ?? join(homedir(), '.cache', 'switchyard'), 'pytools', 'bin', name);

// Property-based requests from each dialect's own OpenAPI document, with valid credentials: no answer may be a
// 5xx and the process must survive. No worker runs, so nothing generated is ever executed (no SSH to a generated
// host, no command, no call to a generated GPU node address); /device/test connects synchronously and is left out.
const env = testEnv('schemathesis');
const { config } = env;
let api: ApiRuntime;
const EXAMPLES = process.env.SCHEMATHESIS_EXAMPLES ?? '8';

beforeAll(async () => {
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
});

afterAll(async () => {
  await api?.shutdown();
  await env.cleanup();
});

async function schedulerToken(): Promise<string> {
  return new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('schemathesis')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(config.auth.schedulerJwtSecret));
}

async function fuzz(doc: string, header: string, exclude: string[] = []): Promise<string> {
  const args = [
    'run', `${api.url}${doc}`,
    '-H', header,
    '--checks', 'not_a_server_error',
    '-n', EXAMPLES,
    '--seed', '42',
    '--phases', 'examples,fuzzing',
    '--request-timeout', '15',
    '-w', '2',
    ...exclude.flatMap((p) => ['--exclude-path', p]),
  ];
  try {
    const { stdout } = await run(pythonTool('schemathesis'), args, { timeout: 280_000, maxBuffer: 16 * 1024 * 1024, cwd: tmpdir() });
    return stdout;
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    const at = stdout.indexOf('FAILURES');
    const out = at >= 0 ? stdout.slice(at, at + 6000) : `${stdout.slice(-4000)}\n${stderr.slice(-2000)}\n${String(e)}`;
    throw new Error(`schemathesis found failures in ${doc}:\n${out}`);
  }
}

describe('schemathesis against every dialect', () => {
  it('device jobs: no 5xx', { timeout: 300_000 }, async () => {
    await fuzz('/openapi/device.json', `X-API-KEY: ${config.auth.deviceApiKey}`, ['/device/test', '/health']);
  });
  it('scheduler: no 5xx', { timeout: 300_000 }, async () => {
    await fuzz('/openapi/scheduler.json', `Authorization: Bearer ${await schedulerToken()}`);
  });
  it('GPU dispatch: no 5xx', { timeout: 300_000 }, async () => {
    await fuzz('/openapi/gpu.json', `Authorization: Bearer ${config.auth.gpuApiKey}`);
  });
  it('service tasks: no 5xx', { timeout: 300_000 }, async () => {
    await fuzz('/openapi/service-tasks.json', `Authorization: ${config.auth.serviceAuthToken}`);
  });
  it('the API process is still serving', async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(200);
  });
});
