import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../config/index.js';
import { createKafka } from '../kafka/client.js';
import { JsonProducer } from '../kafka/producer.js';
import { kafkaReachable } from '../kafka/topics.js';
import type { Logger } from '../logging.js';
import { connectMongo, ensureIndexes, pingMongo } from '../store/mongo.js';
import { TaskStore } from '../store/tasks.js';
import { WorkerStore } from '../store/workers.js';
import { connectTemporalClient, createCodec, ensureSearchAttributes } from '../temporal/connection.js';
import { attachClusterRegistry, startClusterRegistry } from '../cluster/registry.js';
import { startReconciler } from '../reconcile/reconciler.js';
import { createApp, type DialectFactory } from './app.js';
import type { ApiDeps } from './context.js';
import { ALL_DIALECTS } from './dialects.js';

export interface ApiRuntime {
  deps: ApiDeps;
  url: string;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish (bounded), then closes every client. */
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
  const mongo = await connectMongo(config, config.mongo.db, logger);
  await ensureIndexes(mongo.db);
  const temporal = await connectTemporalClient(config);
  await ensureSearchAttributes(temporal.connection, config.temporal.namespace);
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
  const { app } = createApp(deps, options.dialects ?? ALL_DIALECTS);

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.api.host, port: options.port ?? config.api.port }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.api.host}:${port}`;
  logger.info({ url }, 'API listening');

  let closing: Promise<void> | null = null;
  const shutdown = () =>
    (closing ??= (async () => {
      logger.info('API draining');
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
      logger.info('API stopped');
    })());

  return { deps, url, port, shutdown };
}
