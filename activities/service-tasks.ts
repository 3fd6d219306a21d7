import { ApplicationFailure, Context } from '@temporalio/activity';
import { readyServiceRecord, serviceTaskInput } from '../src/service-tasks/ready.js';
import { ServiceTaskStore } from '../src/store/service-tasks.js';
import type { ServiceTaskInput, ServiceTaskMessage } from '../src/service-tasks/contract.js';
import type { ActivityDeps } from './deps.js';
import { createMirrorActivities, toTaskUpdate, type MirrorWrite } from './mirror.js';

export interface PublishServiceTaskInput {
  message: ServiceTaskMessage;
  topic: string;
  /** The workflow run handing the task off: one message per run (start_task re-runs publish again). */
  runId: string;
}

export interface PublishServiceTaskOutput {
  topic: string;
  partition: number;
  offset: string | null;
  alreadySent: boolean;
}

/** What the record remembers of a hand-off, under `details.dispatch` of the `tasks` record. */
interface DispatchRecord {
  run_id: string;
  topic: string;
  partition: number;
  offset: string | null;
  at: Date;
}

export function createServiceTaskActivities(deps: ActivityDeps) {
  const store = new ServiceTaskStore(deps.tasks.collection.db, deps.config.mongo.serviceTaskCollection);
  const { mirrorTask } = createMirrorActivities(deps);
  return {
    /**
     * A scheduled execution's service task: its `ready` record, exactly as create_task writes it, and the input
     * of its `serviceTask` workflow (which the execution starts as a child). A repeated call changes nothing.
     */
    async prepareScheduledServiceTask(input: { taskId: string; service: string; condition: Record<string, unknown> }): Promise<ServiceTaskInput> {
      const svc = deps.config.services.list.find((s) => s.name === input.service);
      if (!svc) throw ApplicationFailure.nonRetryable(`service not support: ${input.service}`, 'UnknownService');
      await store.insertReady(readyServiceRecord(svc, input.taskId, input.condition));
      return serviceTaskInput(svc, input.taskId, input.condition);
    },
    /** The service task's mirror write: the `tasks` record (and its event), then the documented collection. */
    async mirrorServiceTask(write: MirrorWrite): Promise<'applied' | 'stale'> {
      const outcome = await mirrorTask(write);
      if (outcome === 'applied') await store.projectWrite(toTaskUpdate(write));
      return outcome;
    },

    /**
     * Hands the task to its algorithm module: exactly `{"Task": {task_id, service, source_name, condition}}` as
     * UTF-8 JSON on the service's topic. The idempotent producer keeps a retried send single within a session, and
     * the record remembers the run it was sent for, so a retry after a lost completion sends nothing.
     */
    async publishServiceTask(input: PublishServiceTaskInput): Promise<PublishServiceTaskOutput> {
      if (!deps.producer) throw ApplicationFailure.nonRetryable('Kafka is not configured in this worker', 'KafkaUnavailable');
      const taskId = input.message.task_id;
      const record = await deps.tasks.get(taskId);
      const sent = (record?.details as { dispatch?: DispatchRecord } | undefined)?.dispatch;
      if (sent && sent.run_id === input.runId) return { topic: sent.topic, partition: sent.partition, offset: sent.offset, alreadySent: true };
      const [meta] = await deps.producer.send(input.topic, [{ key: taskId, value: { Task: input.message } }]);
      const dispatch: DispatchRecord = {
        run_id: input.runId,
        topic: input.topic,
        partition: meta?.partition ?? 0,
        offset: meta?.baseOffset ?? meta?.offset ?? null,
        at: new Date(),
      };
      try {
        await deps.tasks.collection.updateOne({ _id: taskId } as never, { $set: { 'details.dispatch': dispatch } });
        Context.current().log.debug('service task handed off', { taskId, topic: input.topic });
      } catch (e) {
        // Sent is sent: failing now would have the retry send it a second time (the fault suite saw it while
        // MongoDB was away). Only a retry after a lost completion could send again, unremembered.
        Context.current().log.warn('service task handed off; its hand-off not recorded', { taskId, topic: input.topic, err: (e as Error).message });
      }
      return { topic: dispatch.topic, partition: dispatch.partition, offset: dispatch.offset, alreadySent: false };
    },
  };
}
