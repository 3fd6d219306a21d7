/**
 * The image, built and started without Docker: scripts/image-build.ts runs the Dockerfile's own stages (npm ci,
 * `npm run build`: tsc and the workflow bundle; `npm ci --omit=dev`) on Node 24, then the runtime stage's
 * ENTRYPOINT starts `api` and `worker` on Node 24 from the runtime tree (production dependencies only) against the
 * local stack, and a service task runs through them end to end: the worker's workflows come from the prebuilt
 * bundle, nothing needs tsx or TypeScript.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, type ImageBuild } from '../../scripts/image-build.js';
import { ensureDeployTools, node24, repoRoot } from '../deploy/tools.js';
import { eventually, testEnv, type TestEnv } from '../support/env.js';
import { ephemeralPort } from '../support/ports.js';

const out = join(process.env.SWITCHYARD_STATE ?? join(repoRoot, '.stack'), 'image-build');
let image: ImageBuild;
let t: TestEnv;
const children: ChildProcess[] = [];
let apiUrl = '';
const token = 'image-build-service-token';


/** Starts the image's ENTRYPOINT + role in its WORKDIR, with the image's ENV, Node 24 as `node`. */
function startRole(role: 'api' | 'worker', env: Record<string, string>): { child: ChildProcess; log: string } {
  const [program, ...args] = [...image.runtime.entrypoint!, role];
  expect(program).toBe('node');
  const log = join(out, `${role}.log`);
  const stream = createWriteStream(log);
  const child = spawn(node24, args, {
    cwd: image.appDir,
    env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...image.runtime.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(stream);
  child.stderr!.pipe(stream);
  children.push(child);
  return { child, log };
}

beforeAll(async () => {
  ensureDeployTools(['node24']);
  const nodeVersion = (await import('node:child_process')).execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim();
  image = await buildImage({ context: repoRoot, out, node: node24, nodeVersion, log: (s) => process.stdout.write(`${s}\n`) });
  t = testEnv('imagebuild');
}, 900_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  await t?.cleanup();
}, 60_000);

describe('the image, built by its own Dockerfile and started from dist/ on Node 24', () => {
  it('holds the compiled code, the prebuilt workflow bundle and production dependencies only', () => {
    const app = image.appDir;
    expect(existsSync(join(app, 'dist/src/cli.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/workflow-bundle.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/@temporalio/worker/package.json'))).toBe(true);
    for (const dev of ['tsx', 'typescript', 'vitest', 'eslint', '@temporalio/testing']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(image.runtime.env.NODE_ENV).toBe('production');
    expect(image.runtime.user).toBe('node');
    // Only what the stages copy left the build context.
    expect(image.contextFiles.some((f) => f.startsWith('test/') || f.startsWith('node_modules/') || f === '.env')).toBe(false);
  });

  it('runs a service task end to end through `api` and `worker` started from that tree', async () => {
    const port = await ephemeralPort();
    const workerPort = await ephemeralPort();
    apiUrl = `http://127.0.0.1:${port}`;
    const c = t.config;
    const secrets = join(out, 'secrets');
    mkdirSync(secrets, { recursive: true });
    const secret = (name: string, value: string) => {
      writeFileSync(join(secrets, name), `${value}\n`);
      return join(secrets, name);
    };
    const env: Record<string, string> = {
      SWITCHYARD_ENV: 'PRODUCTION',
      LOG_LEVEL: 'info',
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      TEMPORAL_ADDRESS: c.temporal.address,
      TEMPORAL_TASK_QUEUE: c.temporal.taskQueue,
      MONGO_URL_FILE: secret('mongo_url', c.mongo.url),
      MONGO_DB: c.mongo.db,
      KAFKA_BROKERS: c.kafka.brokers.join(','),
      KAFKA_EVENTS_TOPIC: c.kafka.eventsTopic,
      KAFKA_INGEST_TOPICS: c.kafka.ingestTopics.join(','),
      KAFKA_INGEST_GROUP: c.kafka.ingestGroup,
      KAFKA_DEAD_LETTER_TOPIC: c.kafka.deadLetterTopic,
      WORKER_NAME: c.worker.name!,
      WORKER_HTTP_HOST: '127.0.0.1',
      WORKER_HTTP_PORT: String(workerPort),
      CLUSTER_ID: `image_${t.suffix}`,
      AUTH_TOKEN_FILE: secret('auth_token', token),
      DEVICE_API_KEY_FILE: secret('device_api_key', 'image-build-device-key'),
      SCHEDULER_JWT_SECRET_FILE: secret('scheduler_jwt_secret', 'image-build-scheduler-jwt-secret'),
      GPU_API_KEY_FILE: secret('gpu_api_key', 'image-build-gpu-key'),
      CODEC_OPERATOR_TOKEN_FILE: secret('codec_operator_token', 'image-build-codec-operator'),
      CODEC_KEY_FILE: secret('codec_key', Buffer.alloc(32, 3).toString('base64')),
    };
    const worker = startRole('worker', env);
    startRole('api', env);

    await eventually(async () => (await fetch(`${apiUrl}/openapi/service-tasks.json`).catch(() => null))?.ok, 'the api answers', 120_000, 500);
    const created = await eventually(async () => {
      const res = await fetch(`${apiUrl}/api/create_task`, {
        method: 'POST',
        headers: { Authorization: token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ data: { service: 'echo', condition: { from: 'the image' } } }),
      });
      const body = (await res.json()) as { result: string; task_id?: string };
      return body.result === 'ok' ? body : null;
    }, 'create_task accepted', 60_000, 500);
    const status = await eventually(async () => {
      const res = await fetch(`${apiUrl}/api/status_task`, {
        method: 'POST',
        headers: { Authorization: token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ data: [{ task_id: created.task_id }] }),
      });
      const body = (await res.json()) as { status?: { status: string }[] };
      return body.status?.[0]?.status === 'finished' ? body.status[0] : null;
    }, 'the echo task finished', 90_000, 500);
    expect(status.status).toBe('finished');

    // The image's HEALTHCHECK command, run from the image tree, finds both roles ready (on this test's ports).
    const [hcProgram, hcScript] = image.runtime.healthcheck!.command;
    expect(hcProgram).toBe('node');
    for (const url of [`${apiUrl}/readyz`, `http://127.0.0.1:${workerPort}/readyz`]) {
      const hc = await promisify(execFile)(node24, [hcScript!, url], { cwd: image.appDir }).then(() => 0, (e: { code: number }) => e.code);
      expect(hc, url).toBe(0);
    }

    const workerLog = readFileSync(worker.log, 'utf8');
    expect(workerLog).toContain('workflows: loading the prebuilt bundle');
    expect(workerLog).not.toContain('bundling at start');
  });
});
