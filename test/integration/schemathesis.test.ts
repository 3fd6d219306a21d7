import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
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
// 5xx, no timer may overflow, and the process must survive. No worker runs, so nothing generated is ever executed
// (no SSH to a generated host, no command, no call to a generated GPU node address); /device/test connects
// synchronously and is left out.
//
// Each dialect is run twice side by side: with a fixed seed (the same cases every run, so a class once found stays
// found) and with a random one (new cases each run; the seed is printed, and SCHEMATHESIS_SEED replays it). The
// phases are examples, fuzzing and stateful (sequences that create a resource and use its id), and
// schemathesis_hooks.py puts hostile values into the generated cases: NUL, `$` and dotted keys in free-form
// objects, numbers past timers and integers, operator objects in filters.
const env = testEnv('schemathesis');
const { config } = env;
let api: ApiRuntime;
const EXAMPLES = process.env.SCHEMATHESIS_EXAMPLES ?? '15';
const FIXED_SEED = 42;
const RANDOM_SEED = Number(process.env.SCHEMATHESIS_SEED ?? randomInt(1, 2 ** 31 - 1));
const HOOKS_DIR = fileURLToPath(new URL('.', import.meta.url));
/** Node's own warnings raised meanwhile in this process (the API runs in it): a TimeoutOverflowWarning is a defect. */
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

beforeAll(async () => {
  process.on('warning', onWarning);
  console.log(`schemathesis: seeds ${FIXED_SEED} (fixed) and ${RANDOM_SEED} (random; SCHEMATHESIS_SEED=${RANDOM_SEED} replays it), ${EXAMPLES} examples per operation`);
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
});

afterAll(async () => {
  process.off('warning', onWarning);
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

/**
 * A known CPython 3.11 defect, raised from hypothesis' own code under heavy load and unrelated to the API under
 * test. schemathesis_hooks.py already turns it into a cosmetic lambda description where hypothesis meets it; should
 * it still end a run, that run says nothing about the API, so it is run once more (and says so). Any other failure
 * stands.
 */
const CPYTHON_AST_FLAKE = 'AST constructor recursion depth mismatch';

async function runOnce(args: string[]): Promise<{ ok: true } | { ok: false; out: string; flake: boolean }> {
  try {
    await run(pythonTool('schemathesis'), args, {
      timeout: 400_000,
      maxBuffer: 16 * 1024 * 1024,
      cwd: tmpdir(),
      env: { ...process.env, SCHEMATHESIS_HOOKS: 'schemathesis_hooks', PYTHONPATH: HOOKS_DIR },
    });
    return { ok: true };
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    const at = stdout.indexOf('FAILURES');
    const out = at >= 0 ? stdout.slice(at, at + 6000) : `${stdout.slice(-4000)}\n${stderr.slice(-2000)}\n${String(e)}`;
    return { ok: false, out, flake: `${stdout}${stderr}`.includes(CPYTHON_AST_FLAKE) };
  }
}

async function fuzzWithSeed(doc: string, header: string, exclude: string[], seed: number): Promise<void> {
  const args = [
    'run', `${api.url}${doc}`,
    '-H', header,
    '--checks', 'not_a_server_error,scheduled_task_has_next_run',
    '-n', EXAMPLES,
    '--seed', String(seed),
    '--phases', 'examples,fuzzing,stateful',
    '--request-timeout', '15',
    '-w', '2',
    '--continue-on-failure',
    // No example database: it lived in the shared cwd, so the fixed seed's run replayed what the random one (running
    // beside it) and earlier runs had saved, and its cases were no longer the same every run (under load the
    // replayed GPU path ids failed hypothesis' filter_too_much health check).
    '--generation-database', 'none',
    ...exclude.flatMap((p) => ['--exclude-path', p]),
  ];
  let result = await runOnce(args);
  if (!result.ok && result.flake) {
    console.warn(`schemathesis ${doc} seed ${seed}: CPython's "${CPYTHON_AST_FLAKE}" crash inside hypothesis; running once more`);
    result = await runOnce(args);
  }
  if (!result.ok) throw new Error(`schemathesis found failures in ${doc} (seed ${seed}; SCHEMATHESIS_SEED=${seed} replays a random seed):\n${result.out}`);
}

/** The fixed seed and the random one, side by side. */
async function fuzz(doc: string, header: string, exclude: string[] = []): Promise<void> {
  const outcomes = await Promise.allSettled([fuzzWithSeed(doc, header, exclude, FIXED_SEED), fuzzWithSeed(doc, header, exclude, RANDOM_SEED)]);
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed.length > 0) throw new Error(failed.map((f) => (f.reason as Error).message).join('\n\n'));
  expect(warnings.filter((w) => w.startsWith('TimeoutOverflowWarning'))).toEqual([]);
}

describe('schemathesis against every dialect', () => {
  it('device jobs: no 5xx', { timeout: 420_000 }, async () => {
    await fuzz('/openapi/device.json', `X-API-KEY: ${config.auth.deviceApiKey}`, ['/device/test', '/health']);
  });
  it('scheduler: no 5xx', { timeout: 420_000 }, async () => {
    await fuzz('/openapi/scheduler.json', `Authorization: Bearer ${await schedulerToken()}`);
  });
  it('GPU dispatch: no 5xx', { timeout: 420_000 }, async () => {
    await fuzz('/openapi/gpu.json', `Authorization: Bearer ${config.auth.gpuApiKey}`);
  });
  it('service tasks: no 5xx', { timeout: 420_000 }, async () => {
    await fuzz('/openapi/service-tasks.json', `Authorization: ${config.auth.serviceAuthToken}`);
  });
  it('the API process is still serving, and no timer overflowed', async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(200);
    expect(warnings.filter((w) => w.startsWith('TimeoutOverflowWarning'))).toEqual([]);
  });
});
