import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createDeviceWorkerPlugin } from '../../src/device/worker-plugin.js';
import type { Logger } from '../../src/logging.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { workflowBundle, type TestEnv } from './env.js';
import { startSshd, type SshdHandle } from './sshd.js';

/** An in-process device worker and an API on one test env: what device-job tests submit to and read back from. */
export interface DeviceStack {
  api: ApiRuntime;
  worker: WorkerRuntime;
  /** Shuts the worker down (waiting for its run to end), then the API; the env's database is `env.cleanup()`'s. */
  close(): Promise<void>;
}

export interface DeviceStackOptions {
  /** Instead of the env's logger (e.g. one that captures lines to grep). */
  logger?: Logger;
  /** `false`: an API without a Kafka producer. */
  apiKafka?: boolean;
}

/**
 * Starts a device worker (no Kafka) in this process, then an API on an ephemeral port. In this process on
 * purpose: tests that need a worker to die use startWorkerProcess instead.
 */
export async function startDeviceStack(env: TestEnv, opts: DeviceStackOptions = {}): Promise<DeviceStack> {
  const { config } = env;
  const logger = opts.logger ?? env.logger;
  const worker = await createWorkerRuntime({ config, logger, workflowBundle: await workflowBundle(), plugins: [createDeviceWorkerPlugin()], kafka: false });
  const workerDone = worker.run();
  const stopWorker = async () => {
    await worker.shutdown();
    await workerDone;
  };
  let api: ApiRuntime;
  try {
    api = await createApiRuntime({ config, logger, port: 0, ...(opts.apiKafka === undefined ? {} : { kafka: opts.apiKafka }) });
  } catch (e) {
    // The caller gets no handle to shut the worker down with: it would keep polling after the test file.
    await stopWorker();
    throw e;
  }
  return {
    api,
    worker,
    async close() {
      await stopWorker();
      await api.shutdown();
    },
  };
}

export interface DeviceStackWithSshd extends DeviceStack {
  /** OpenSSH on loopback for the jobs to run commands on. */
  sshd: SshdHandle;
}

/** startDeviceStack plus a private sshd; `close()` stops sshd last, once no job can still be talking to it. */
export async function startDeviceStackWithSshd(env: TestEnv, opts: DeviceStackOptions = {}): Promise<DeviceStackWithSshd> {
  const sshd = await startSshd();
  let stack: DeviceStack;
  try {
    stack = await startDeviceStack(env, opts);
  } catch (e) {
    await sshd.close();
    throw e;
  }
  return {
    ...stack,
    sshd,
    async close() {
      await stack.close();
      await sshd.close();
    },
  };
}
