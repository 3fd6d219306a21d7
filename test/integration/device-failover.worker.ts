// A worker process for device-failover.test.ts: the device plugin only, the test's pre-built workflow bundle,
// configuration from the environment. The test SIGKILLs it.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.js';
import { createDeviceWorkerPlugin } from '../../src/device/worker-plugin.js';
import { createLogger } from '../../src/logging.js';
import { createWorkerRuntime } from '../../src/worker.js';

const config = loadConfig({ env: process.env });
const logger = createLogger(config.logLevel, { proc: 'device-failover-worker' });
const code = readFileSync(process.env.SY_TEST_WORKFLOW_BUNDLE!, 'utf8');
const runtime = await createWorkerRuntime({ config, logger, workflowBundle: { code }, plugins: [createDeviceWorkerPlugin()], kafka: false });
process.on('SIGTERM', () => void runtime.shutdown());
process.stdout.write(`READY ${runtime.name}\n`);
await runtime.run();
