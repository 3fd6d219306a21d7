import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Config } from './config/index.js';
import { createActivities, createOwnQueueActivities, type ActivityDeps } from '../activities/index.js';
import { closeActivityResources } from '../activities/resources.js';
import { startClusterRegistry } from './cluster/registry.js';
import { createKafka } from './kafka/client.js';
import { EventPublisher } from './kafka/event-publisher.js';
import { JsonProducer } from './kafka/producer.js';
import { workerTopics } from './kafka/topics.js';
import { bootWorkerDependencies } from './lifecycle/dependencies.js';
import { startProbeServer, type ProbeServer } from './lifecycle/probes.js';
import { Readiness } from './lifecycle/readiness.js';
import type { Logger } from './logging.js';
import { pingMongo, type MongoHandle } from './store/mongo.js';
import { TaskStore } from './store/tasks.js';
import { WorkerStore } from './store/workers.js';
import { startReconciler } from './reconcile/reconciler.js';
import { connectTemporalClient, createCodec, type TemporalClientHandle } from './temporal/connection.js';
import { workerTaskQueue } from './temporal/task-queues.js';
import { WORKFLOW_BUNDLE_OPTIONS } from './temporal/bundling.js';
import { createWorkerMetrics, type JobStateSource } from './worker-metrics.js';
import { countJobsByKindAndState } from './store/job-metrics.js';
import { sdkMetricsText } from './temporal/runtime.js';
import { installedTracing, startConfiguredTracing } from './tracing/provider.js';
import { tracingWorkerOptions } from './tracing/temporal.js';

/** Run from the compiled tree (dist/, as the image does) rather than from TypeScript source through tsx. */
const COMPILED = import.meta.url.endsWith('.js');
export const WORKFLOWS_PATH = fileURLToPath(new URL(COMPILED ? '../workflows/index.js' : '../workflows/index.ts', import.meta.url));
/**
 * The workflow bundle `npm run build` writes beside the compiled code (dist/workflow-bundle.js). A worker started
 * from dist/ loads it instead of running webpack at every start (seconds of CPU, and webpack in the image). Only
 * the compiled tree looks for it, so a stale bundle can never stand in for TypeScript source being edited.
 */
export const PREBUILT_WORKFLOW_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
/**
 * Workflow interceptors that go into every bundle of the production workflows (tracing: workflows/interceptors.ts).
 * Every place that bundles them passes these (`workflowInterceptorModules`): a traced run must replay on any bundle.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [fileURLToPath(new URL(COMPILED ? '../workflows/interceptors.js' : '../workflows/interceptors.ts', import.meta.url))];
/** Everything a bundle of the production workflows is built from, for the places that bundle them themselves (tests). */
export const PRODUCTION_WORKFLOW_BUNDLE = { workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, ...WORKFLOW_BUNDLE_OPTIONS };

function workflowSource(options: WorkerRuntimeOptions, log: Logger): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (options.workflowBundle) return { workflowBundle: options.workflowBundle };
  if (COMPILED && existsSync(PREBUILT_WORKFLOW_BUNDLE)) {
    log.info({ bundle: PREBUILT_WORKFLOW_BUNDLE }, 'workflows: loading the prebuilt bundle');
    return { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE } };
  }
  log.info({ workflowsPath: WORKFLOWS_PATH }, 'workflows: bundling at start (no prebuilt bundle)');
  return { workflowsPath: WORKFLOWS_PATH };
}

/** What a dialect needs to add task queues of its own to a worker process (fifo SSH, pinned hosts, services). */
export interface WorkerPluginContext {
  config: Config;
  logger: Logger;
  connection: NativeConnection;
  deps: ActivityDeps;
  mongo: MongoHandle;
  workerName: string;
  /** This process's own task queue (the worker-specific queue pattern). */
  ownTaskQueue: string;
  baseOptions: Pick<WorkerOptions, 'connection' | 'namespace' | 'dataConverter' | 'identity' | 'shutdownGraceTime' | 'interceptors' | 'sinks'>;
}

export interface WorkerPluginInstance {
  workers: Worker[];
  /** Activities served on this process's own task queue (`ownTaskQueue`), which the runtime polls itself. */
  ownQueueActivities?: object;
  /** Dialect queue words this process now serves, shown by GET /worker. */
  queues: string[];
  close?(): Promise<void>;
}

export type WorkerPlugin = (ctx: WorkerPluginContext) => Promise<WorkerPluginInstance>;

export interface WorkerRuntimeOptions {
  config: Config;
  logger: Logger;
  name?: string;
  /** A pre-built bundle (tests build it once); otherwise the one `npm run build` wrote, or workflows/ bundled at start. */
  workflowBundle?: { code: string };
  plugins?: WorkerPlugin[];
  /** Without Kafka the worker still runs; task events are then not published. */
  kafka?: boolean;
  /** More activities on the main task queue (tests add those of their test-only workflows). */
  activities?: (deps: ActivityDeps) => object;
}

export interface WorkerRuntime {
  name: string;
  taskQueues: string[];
  /** The probe port (/livez, /readyz, /metrics), e.g. http://127.0.0.1:9001. */
  probeUrl: string;
  readiness: Readiness;
  /** Resolves when every worker has stopped (after shutdown(), a stop request or a fatal error). */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export function defaultWorkerName(config: Config): string {
  return config.worker.name ?? `worker_${hostname()}_${process.pid}`;
}

export async function createWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { config, logger } = options;
  const name = options.name ?? defaultWorkerName(config);
  const log = logger.child({ worker: name });
  // Before any client or worker exists: they pick their interceptors from it (nothing when it is not configured).
  startConfiguredTracing(config, log, 'worker');

  // The probe port comes first: /livez answers while boot waits, /readyz says `starting` until the pollers run.
  const readiness = new Readiness({ logger: log });
  let workers: Worker[] = [];
  // Set once the dependencies are up: until then this process neither counts jobs nor leads.
  const jobState = { count: async () => [] as Array<{ kind: string; state: string; n: number }>, isLeader: () => false };
  const probes = await startProbeServer({
    host: config.worker.httpHost,
    port: config.worker.httpPort,
    readiness,
    registry: createWorkerMetrics(() => workers, readiness, { count: () => jobState.count(), isLeader: () => jobState.isLeader() }),
    extraMetrics: sdkMetricsText,
    logger: log,
  });
  let booted: { mongo: MongoHandle; connection: NativeConnection };
  try {
    // Waits (a log line per attempt) for MongoDB (migrated, indexed), Temporal (search attributes) and Kafka (this
    // process's topics), or throws BootDeadlineError after BOOT_DEADLINE_SECONDS.
    booted = await bootWorkerDependencies({ config, logger: log, kafka: options.kafka !== false, topics: workerTopics(config) });
  } catch (e) {
    await probes.close();
    throw e;
  }
  const { mongo, connection } = booted;
  try {
    return await assemble({ options, name, log, mongo, connection, readiness, probes, setWorkers: (w) => (workers = w), jobState });
  } catch (e) {
    await probes.close();
    await connection.close().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    throw e;
  }
}

interface AssembleContext {
  options: WorkerRuntimeOptions;
  name: string;
  log: Logger;
  mongo: MongoHandle;
  connection: NativeConnection;
  readiness: Readiness;
  probes: ProbeServer;
  setWorkers(workers: Worker[]): void;
  jobState: JobStateSource;
}

/** Everything after the dependencies are in place: the Temporal workers, plugins, heartbeats and the reconciler. */
async function assemble(a: AssembleContext): Promise<WorkerRuntime> {
  const { options, name, log, mongo, connection, readiness, probes } = a;
  const { config } = options;
  const workerStore = new WorkerStore(mongo.db);
  const producer = options.kafka === false ? null : new JsonProducer(createKafka(config, log, `-${name}`));

  const events = producer ? new EventPublisher(producer, log) : null;
  const deps: ActivityDeps = { config, logger: log, tasks: new TaskStore(mongo.db), producer, events, workerName: name };
  const baseOptions: WorkerPluginContext['baseOptions'] = {
    connection,
    namespace: config.temporal.namespace,
    dataConverter: { payloadCodecs: [createCodec(config)] },
    identity: name,
    shutdownGraceTime: `${config.worker.shutdownGraceSeconds}s`,
    // Activity spans for traced workflows and the sink workflow spans leave the sandbox through (a no-op untraced).
    ...tracingWorkerOptions(),
  };

  const source = workflowSource(options, log);
  const main = await Worker.create({
    ...baseOptions,
    // workflowModules count only when the worker bundles at start; a bundle given or prebuilt already holds them
    // (and the SDK warns that it ignores them there).
    interceptors: { ...baseOptions.interceptors, ...(source.workflowsPath ? { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } : {}) },
    // Bundled at start: the same build options as the prebuilt bundle (src/temporal/bundling.ts).
    ...(source.workflowsPath ? { bundlerOptions: WORKFLOW_BUNDLE_OPTIONS } : {}),
    taskQueue: config.temporal.taskQueue,
    ...source,
    activities: { ...createActivities(deps), ...options.activities?.(deps) },
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    // A workflow task waits this long on this worker's sticky queue before any worker may take it. The default
    // (10 s) is how long a SIGKILLed worker's long-lived workflows (pinned lanes, dispatchers) would stall.
    stickyQueueScheduleToStartTimeout: '2s',
  });

  const ownTaskQueue = workerTaskQueue(config.temporal.taskQueue, name);
  const ctx: WorkerPluginContext = { config, logger: log, connection, deps, mongo, workerName: name, ownTaskQueue, baseOptions };
  const plugins: WorkerPluginInstance[] = [];
  for (const plugin of options.plugins ?? []) plugins.push(await plugin(ctx));

  // This process's own queue: work addressed to this worker (pinned hosts it owns, its disk's workspaces).
  const own = await Worker.create({
    ...baseOptions,
    taskQueue: ownTaskQueue,
    activities: Object.assign({}, createOwnQueueActivities(deps), ...plugins.map((p) => p.ownQueueActivities ?? {})) as object,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
  });

  const workers = [main, own, ...plugins.flatMap((p) => p.workers)];
  a.setWorkers(workers);
  readiness
    .addCheck('mongodb', () => pingMongo(mongo.db))
    .addCheck('temporal', () => connection.workflowService.getSystemInfo({}))
    .addCheck('pollers', async () => {
      const stopped = workers.filter((w) => w.getState() !== 'RUNNING').map((w) => w.options.taskQueue);
      if (stopped.length > 0) throw new Error(`not polling: ${stopped.join(', ')}`);
    });
  const queues = plugins.flatMap((p) => p.queues);
  const taskQueues = workers.map((w) => w.options.taskQueue);
  await workerStore.register({ name, pid: process.pid, hostname: hostname(), queues, task_queues: taskQueues });
  const cluster = await startClusterRegistry({ config, logger: log, db: mongo.db, kind: 'worker', instanceId: name });
  a.jobState.count = countJobsByKindAndState(deps.tasks.collection);
  a.jobState.isLeader = () => cluster.isLeader();
  // The reconciler's client is opened only if this process ever leads the cluster.
  let reconcileClient: Promise<TemporalClientHandle> | null = null;
  const reconciler = startReconciler({
    config,
    logger: log,
    db: mongo.db,
    temporal: async () => {
      reconcileClient ??= connectTemporalClient(config).catch((e: unknown) => {
        reconcileClient = null;
        throw e;
      });
      return (await reconcileClient).client;
    },
    isLeader: () => cluster.isLeader(),
  });

  const running = () => workers.reduce((n, w) => n + w.getStatus().numInFlightNonLocalActivities, 0);
  let stopping: Promise<void> | null = null;

  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      // /readyz answers 503 from here on, before the pollers stop taking tasks.
      readiness.drain();
      log.info('worker shutting down: no new tasks, running activities may finish');
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    })();
    return stopping;
  };

  const beat = async () => {
    try {
      const { stopRequested } = await workerStore.heartbeat(name, { running: running() });
      if (stopRequested) {
        log.warn('stop requested through the API');
        await shutdown();
      }
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'worker heartbeat not recorded');
    }
  };
  const timer = setInterval(() => void beat(), config.worker.heartbeatSeconds * 1000);

  const run = async () => {
    try {
      // One worker failing stops the others too: a half-running process would hide the failure.
      const running = workers.map((w) =>
        w.run().catch(async (e: unknown) => {
          log.error({ err: (e as Error).message, taskQueue: w.options.taskQueue }, 'worker failed');
          await shutdown();
          throw e;
        }),
      );
      readiness.serving();
      log.info({ taskQueues, probes: probes.url }, 'worker running');
      const results = await Promise.allSettled(running);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      clearInterval(timer);
      for (const p of plugins) await p.close?.().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'plugin close failed'));
      reconciler.stop();
      await workerStore.markStopped(name).catch(() => undefined);
      await cluster.stop().catch(() => undefined);
      await reconcileClient?.then((c) => c.close()).catch(() => undefined);
      await closeActivityResources().catch(() => undefined);
      await events?.close().catch(() => undefined);
      await producer?.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await mongo.close().catch(() => undefined);
      await probes.close();
      await installedTracing()?.flush().catch(() => undefined);
      log.info('worker stopped');
    }
  };

  return { name, taskQueues, probeUrl: probes.url, readiness, run, shutdown };
}
