/**
 * A `switchyard worker` process that runs the fault suite's v2 workflow code (workflows-v2.ts) instead of the
 * production bundle: the same configuration, plugins and activities, started the way src/cli.ts starts a worker.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging.js';
import { createWorkerRuntime, PRODUCTION_WORKFLOW_BUNDLE } from '../../src/worker.js';
import { WORKER_PLUGINS } from '../../src/worker-plugins.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: 'switchyard', code: 'v2' }).child({ proc: 'worker' });
// Built as the production bundle is (interceptors, build options); only the workflow code differs.
const workflowBundle = await bundleWorkflowCode({ ...PRODUCTION_WORKFLOW_BUNDLE, workflowsPath: fileURLToPath(new URL('./workflows-v2.ts', import.meta.url)) });
const runtime = await createWorkerRuntime({ config, logger, plugins: WORKER_PLUGINS, workflowBundle });
const done = runtime.run();
let stopping = false;
const stop = () => {
  if (stopping) process.exit(130);
  stopping = true;
  runtime.shutdown().then(
    () => done.then(() => process.exit(0)),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
await done;
