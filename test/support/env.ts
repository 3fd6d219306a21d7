import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/logging.js';
import { PRODUCTION_WORKFLOW_BUNDLE } from '../../src/worker.js';

/** A short random suffix: every test file names its own database, task queue and topics with it. */
/**
 * A random suffix for a test's resources; `SWITCHYARD_RUN_TAG` (set by `npm run histories:record`) goes in front,
 * so the runs one recording drove can be told from other runs on a shared Temporal server.
 */
export function uniqueSuffix(): string {
  return `${process.env.SWITCHYARD_RUN_TAG ?? ''}${randomBytes(4).toString('hex')}`;
}

export interface TestEnv {
  config: Config;
  logger: Logger;
  suffix: string;
  /** Drops the test database. */
  cleanup(): Promise<void>;
}

/**
 * Configuration for one test file against the local stack: the defaults plus a private database, task queue
 * and Kafka topics, so files can run side by side and in any order.
 */
export function testEnv(name: string, overrides: Record<string, unknown> = {}): TestEnv {
  const suffix = uniqueSuffix();
  const tag = `${name.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${suffix}`;
  const config = loadConfig({
    // MONGO_URL points the tests at another MongoDB-wire server (a real MongoDB, or a FerretDB build under test).
    env: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', ...(process.env.MONGO_URL ? { MONGO_URL: process.env.MONGO_URL } : {}) },
    overrides: {
      mongo: { db: `t_${tag}` },
      temporal: { taskQueue: `tq_${tag}` },
      kafka: {
        eventsTopic: `t.${tag}.events`,
        ingestTopics: [`t.${tag}.ingest`],
        ingestGroup: `g_${tag}`,
        deadLetterTopic: `t.${tag}.dlq`,
      },
      ...overrides,
      // Port 0: test files run side by side, each with workers of its own, and each worker opens a probe port.
      worker: { name: `w_${tag}`, heartbeatSeconds: 1, deadAfterSeconds: 5, shutdownGraceSeconds: 5, httpPort: 0, ...(overrides.worker as Record<string, unknown> | undefined) },
    },
  });
  const logger = createLogger(config.logLevel, { test: name });
  return {
    config,
    logger,
    suffix,
    async cleanup() {
      const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.connect();
        await client.db(config.mongo.db).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

let bundle: Promise<{ code: string }> | null = null;
let demoBundle: Promise<{ code: string }> | null = null;

/** The production workflow bundle, bundled once per test process (webpack takes seconds). */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ ...PRODUCTION_WORKFLOW_BUNDLE, logger: new DefaultLogger('WARN') });
  return bundle;
}

/** test/support/demo/workflows.ts: the production workflows plus the test-only demoTask. */
export const DEMO_WORKFLOWS_PATH = fileURLToPath(new URL('./demo/workflows.ts', import.meta.url));

/** The production workflows plus demoTask; a worker runs it with `activities: createDemoActivities`. */
export function demoWorkflowBundle(): Promise<{ code: string }> {
  demoBundle ??= bundleWorkflowCode({ ...PRODUCTION_WORKFLOW_BUNDLE, workflowsPath: DEMO_WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return demoBundle;
}

/** Polls `fn` until it returns a truthy value or the time is up (then throws with `what`). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
