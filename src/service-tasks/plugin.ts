import { Worker } from '@temporalio/worker';
import { BUILTIN_SERVICES, heartbeating } from '../../activities/service-builtins.js';
import { createKafka } from '../kafka/client.js';
import { ServiceTaskStore } from '../store/service-tasks.js';
import { connectTemporalClient, type TemporalClientHandle } from '../temporal/connection.js';
import type { WorkerPlugin, WorkerPluginInstance } from '../worker.js';
import { ServiceIngest } from './ingest.js';
import { serviceQueueOf } from './ready.js';
import { ServiceTasks } from './service.js';

export interface ServiceTasksPluginOptions {
  /** Run the Kafka ingest consumer in this worker process (default: when ingest topics are configured). */
  ingest?: boolean;
}

/**
 * The worker side of the long-task dialect: an activity worker on `service.<name>` for each configured
 * `dispatch: temporal` service that Switchyard ships (`echo`, `http`), and the Kafka ingest consumer group
 * (docs/decisions.md: the worker process runs it, so it scales with workers and stops with them).
 */
export function createServiceTasksPlugin(options: ServiceTasksPluginOptions = {}): WorkerPlugin {
  return async (ctx): Promise<WorkerPluginInstance> => {
    const { config } = ctx;
    const store = new ServiceTaskStore(ctx.mongo.db, config.mongo.serviceTaskCollection);
    await store.ensureIndexes();
    const builtins = config.services.list.filter((s) => s.dispatch === 'temporal' && BUILTIN_SERVICES[s.name]);
    const workers: Worker[] = [];
    for (const svc of builtins) {
      const run = heartbeating(BUILTIN_SERVICES[svc.name]!, config);
      workers.push(
        await Worker.create({
          ...ctx.baseOptions,
          taskQueue: serviceQueueOf(svc),
          activities: { runServiceTask: run },
          maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
        }),
      );
    }

    let ingest: ServiceIngest | null = null;
    let temporal: TemporalClientHandle | null = null;
    const wantIngest = options.ingest ?? config.kafka.ingestTopics.length > 0;
    if (wantIngest && ctx.deps.producer) {
      temporal = await connectTemporalClient(config);
      const tasks = new ServiceTasks({ config, logger: ctx.logger, temporal: temporal.client, store });
      ingest = new ServiceIngest({
        kafka: createKafka(config, ctx.logger, `-ingest-${ctx.workerName}`),
        producer: ctx.deps.producer,
        tasks,
        logger: ctx.logger.child({ part: 'service-ingest' }),
        groupId: config.kafka.ingestGroup,
        topics: config.kafka.ingestTopics,
        deadLetterTopic: config.kafka.deadLetterTopic,
      });
      await ingest.start();
    }

    return {
      workers,
      queues: builtins.map(serviceQueueOf),
      async close() {
        await ingest?.stop();
        await temporal?.close();
      },
    };
  };
}
