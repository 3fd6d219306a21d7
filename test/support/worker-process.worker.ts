// A worker process for tests that SIGKILL one (test/support/worker-process.ts starts it): one plugin
// (SY_TEST_PLUGIN: device or service), the test's pre-built workflow bundle, configuration from the environment.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.js';
import { createDeviceWorkerPlugin } from '../../src/device/worker-plugin.js';
import { createLogger } from '../../src/logging.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { createWorkerRuntime } from '../../src/worker.js';

// A poison pill for the tests that need one (before any Temporal worker is created).
if (process.env.SY_TEST_POISON_MARKER) await import(new URL('./poison-hook.mjs', import.meta.url).href);

const config = loadConfig({ env: process.env });
const logger = createLogger(config.logLevel, { proc: 'test-worker' });
const code = readFileSync(process.env.SY_TEST_WORKFLOW_BUNDLE!, 'utf8');
const plugin = process.env.SY_TEST_PLUGIN === 'service' ? createServiceTasksPlugin({ ingest: false }) : createDeviceWorkerPlugin();
const runtime = await createWorkerRuntime({ config, logger, workflowBundle: { code }, plugins: [plugin], kafka: false });
process.on('SIGTERM', () => void runtime.shutdown());
process.stdout.write(`READY ${runtime.name}\n`);
await runtime.run();
