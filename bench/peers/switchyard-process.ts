// One Switchyard process for bench/peer-netpulse.ts, configured from the environment like `switchyard api|worker`:
//   both    API and worker in one process (`npm start` runs them as two processes since issue 17: see `api`, `worker`)
//   api     the HTTP API only
//   worker  a worker only (every plugin, as `switchyard worker`)
// Prints `READY <url-or-name>` once it serves; SIGTERM stops it.
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging.js';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { WORKER_PLUGINS } from '../../src/worker-plugins.js';

const role = process.argv[2];
if (role !== 'both' && role !== 'api' && role !== 'worker') throw new Error('usage: switchyard-process.ts both|api|worker');
const config = loadConfig({ env: process.env });
const logger = createLogger(config.logLevel, { service: 'switchyard', proc: role });

let worker: WorkerRuntime | null = null;
let done: Promise<void> = Promise.resolve();
let api: ApiRuntime | null = null;
if (role !== 'api') {
  worker = await createWorkerRuntime({ config, logger, plugins: WORKER_PLUGINS });
  done = worker.run();
}
if (role !== 'worker') api = await createApiRuntime({ config, logger });
process.on('SIGTERM', () => {
  void (async () => {
    await api?.shutdown();
    await worker?.shutdown();
    await done;
    process.exit(0);
  })();
});
process.stdout.write(`READY ${api?.url ?? worker?.name}\n`);
