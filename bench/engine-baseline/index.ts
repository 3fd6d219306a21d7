import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { mapLimit, summarize, type Throughput } from '../lib/stats.js';
import { createBaselineActivities } from './activities.js';

export interface BaselineOptions {
  address?: string;
  namespace?: string;
  workflows?: number;
  concurrency?: number;
}

let runtimeInstalled = false;

/**
 * The bare Temporal engine on this machine, now: N one-activity workflows started by a plain client and run by
 * a plain worker in this process. Every other throughput figure is reported as a ratio to this one.
 */
export async function runEngineBaseline(options: BaselineOptions = {}): Promise<Throughput> {
  const address = options.address ?? '127.0.0.1:7233';
  const namespace = options.namespace ?? 'default';
  const total = options.workflows ?? 300;
  const concurrency = options.concurrency ?? 50;
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed by the caller
    }
  }
  const taskQueue = `bench-baseline-${randomBytes(4).toString('hex')}`;
  const { worker, client, close } = await connectBaseline(address, namespace, taskQueue, createBaselineActivities());

  try {
    return await worker.runUntil(async () => {
      // Warm-up: the first workflows pay for connection set-up and the sandbox.
      await mapLimit([...Array(10).keys()], 10, (i) =>
        client.workflow.execute('baselineWorkflow', { taskQueue, workflowId: `${taskQueue}-warm-${i}`, args: [i] }),
      );
      const started = performance.now();
      const latencies = await mapLimit([...Array(total).keys()], concurrency, async (i) => {
        const t0 = performance.now();
        await client.workflow.execute('baselineWorkflow', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [i] });
        return performance.now() - t0;
      });
      return summarize('engine-baseline', latencies, (performance.now() - started) / 1000);
    });
  } finally {
    await close();
  }
}

/** A plain worker and client on `taskQueue`: no codec, no interceptors, no mirror. The bare side of every baseline. */
export async function connectBaseline(address: string, namespace: string, taskQueue: string, activities: object, maxConcurrentActivities = 200) {
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    activities,
    maxConcurrentActivityTaskExecutions: maxConcurrentActivities,
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const close = async () => {
    await connection.close();
    await nativeConnection.close();
  };
  return { worker, client, close };
}
