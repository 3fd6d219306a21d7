import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../config/index.js';
import { createKafka } from '../kafka/client.js';
import { JsonProducer } from '../kafka/producer.js';
import { kafkaReachable } from '../kafka/topics.js';
import { bootApiDependencies } from '../lifecycle/dependencies.js';
import { ListenError } from '../lifecycle/probes.js';
import { Readiness } from '../lifecycle/readiness.js';
import type { Logger } from '../logging.js';
import { pingMongo } from '../store/mongo.js';
import { TaskStore } from '../store/tasks.js';
import { WorkerStore } from '../store/workers.js';
import { createCodec } from '../temporal/connection.js';
import { attachClusterRegistry, startClusterRegistry } from '../cluster/registry.js';
import { startReconciler } from '../reconcile/reconciler.js';
import { installedTracing, startConfiguredTracing } from '../tracing/provider.js';
import { createApp, type DialectFactory } from './app.js';
import type { ApiDeps } from './context.js';
import { ALL_DIALECTS } from './dialects.js';
import { warmJinja2Renderer } from '../device/service.js';
import { warmParsingCheck } from '../device/parsing-check.js';
import { createDeviceDialect } from './device/index.js';
import { createSchedulerDialect } from './scheduler/index.js';

export interface ApiRuntime {
  deps: ApiDeps;
  url: string;
  port: number;
  /** `/readyz`'s state: `draining` from the first moment of shutdown(). */
  readiness: Readiness;
  /**
   * Turns /readyz to 503, keeps serving for API_DRAIN_NOTICE_SECONDS, stops accepting connections, lets in-flight
   * requests finish (bounded by API_DRAIN_SECONDS), then closes every client.
   */
  shutdown(): Promise<void>;
}

export interface ApiRuntimeOptions {
  config: Config;
  logger: Logger;
  dialects?: DialectFactory[];
  /** Port 0 picks a free one (tests). */
  port?: number;
  kafka?: boolean;
}

export async function createApiRuntime(options: ApiRuntimeOptions): Promise<ApiRuntime> {
  const { config, logger } = options;
  // Before the Temporal client exists: it takes its interceptors from it (nothing when tracing is not configured).
  startConfiguredTracing(config, logger, 'api');
  // Waits (with a log line per attempt) until MongoDB is migrated and indexed, Temporal has the search attributes
  // and Kafka answers, or throws BootDeadlineError after BOOT_DEADLINE_SECONDS: nothing is served before.
  const { mongo, temporal } = await bootApiDependencies({ config, logger, kafka: options.kafka !== false });
  const kafka = options.kafka === false ? null : createKafka(config, logger, '-api');
  const producer = kafka ? new JsonProducer(kafka) : null;
  const workers = new WorkerStore(mongo.db);

  const checks: ApiDeps['checks'] = {
    temporal: async () => {
      await temporal.connection.workflowService.getSystemInfo({});
    },
    mongodb: () => pingMongo(mongo.db),
    workers: async () => {
      const live = await workers.countLive(new Date(), config.worker.deadAfterSeconds);
      if (live === 0) throw new Error('no live worker');
      return `${live} live`;
    },
  };
  if (kafka) checks.kafka = () => kafkaReachable(kafka);
  // Ready while MongoDB and Temporal answer (docs/decisions.md: why not Kafka, nor a live worker).
  const readiness = new Readiness({ logger }).addCheck('mongodb', checks.mongodb!).addCheck('temporal', checks.temporal!);

  const deps: ApiDeps = {
    config,
    logger,
    temporal: temporal.client,
    db: mongo.db,
    tasks: new TaskStore(mongo.db),
    workers,
    codec: createCodec(config),
    producer,
    checks,
    readiness,
  };
  const cluster = await startClusterRegistry({ config, logger, db: mongo.db, kind: 'api' });
  attachClusterRegistry(deps, cluster);
  const reconciler = startReconciler({
    config,
    logger,
    db: mongo.db,
    temporal: async () => temporal.client,
    isLeader: () => cluster.isLeader(),
  });
  const dialects = options.dialects ?? ALL_DIALECTS;
  const { app } = createApp(deps, dialects);
  if (dialects.includes(createDeviceDialect) || dialects.includes(createSchedulerDialect)) {
    // Device jobs and scheduler device actions render templates and compile parse templates on threads: start
    // them now, in the background, so that the first such request does not wait about a second for them.
    void Promise.all([warmJinja2Renderer(config), warmParsingCheck(config)]).catch((e: unknown) => logger.warn({ err: e }, 'template threads did not start'));
  }

  const wantedPort = options.port ?? config.api.port;
  let server: ServerType;
  try {
    server = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.api.host, port: wantedPort }, () => resolve(s));
      s.once('error', (e) => reject(new ListenError(config.api.host, wantedPort, 'API_HOST, API_PORT', e)));
    });
  } catch (e) {
    reconciler.stop();
    await cluster.stop().catch(() => undefined);
    await temporal.close().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.api.host}:${port}`;
  readiness.serving();
  logger.info({ url }, 'API listening');

  let closing: Promise<void> | null = null;
  const shutdown = () =>
    (closing ??= (async () => {
      // Not ready from this moment: a load balancer stops sending while requests are still served.
      readiness.drain();
      const notice = config.api.drainNoticeSeconds;
      logger.info({ noticeSeconds: notice }, notice > 0 ? `API draining: /readyz answers 503, the port closes in ${notice} s` : 'API draining');
      if (notice > 0) await sleep(notice * 1000);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          logger.warn('drain time over: closing remaining connections');
          (server as Server).closeAllConnections?.();
          resolve();
        }, config.api.drainSeconds * 1000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        (server as Server).closeIdleConnections?.();
      });
      reconciler.stop();
      await cluster.stop().catch(() => undefined);
      await producer?.close().catch(() => undefined);
      await temporal.close().catch(() => undefined);
      await mongo.close().catch(() => undefined);
      await installedTracing()?.flush().catch(() => undefined);
      logger.info('API stopped');
    })());

  return { deps, url, port, readiness, shutdown };
}
