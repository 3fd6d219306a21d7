import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/index.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A worker in its own process (test/support/worker-process.worker.ts) with the given plugin, on the test's
 * database and task queue, for tests that SIGKILL it. Resolves once it polls.
 */
export function startWorkerProcess(opts: { name: string; plugin: 'device' | 'service'; config: Config; bundleFile: string; env?: Record<string, string> }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/support/worker-process.worker.ts')], {
    cwd: REPO,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      MONGO_DB: opts.config.mongo.db,
      TEMPORAL_TASK_QUEUE: opts.config.temporal.taskQueue,
      WORKER_NAME: opts.name,
      WORKER_HEARTBEAT_SECONDS: '1',
      WORKER_DEAD_AFTER_SECONDS: '5',
      WORKER_SHUTDOWN_GRACE_SECONDS: '5',
      WORKER_HTTP_PORT: '0',
      SY_TEST_WORKFLOW_BUNDLE: opts.bundleFile,
      SY_TEST_PLUGIN: opts.plugin,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`READY ${opts.name}`)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker ${opts.name} exited early (${code})`)));
  });
}
