import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/client.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { TaskStore } from '../../src/store/tasks.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { ENCRYPTED_ENCODING } from '../../src/temporal/codec.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import type { TaskRecord } from '../../src/domain/task.js';
import { createDemoActivities } from '../support/demo/activities.js';
import { demoWorkflowBundle, eventually, testEnv } from '../support/env.js';
import { kcatConsumeAll } from '../support/kcat.js';

const env = testEnv('chain');
const { config } = env;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let temporal: TemporalClientHandle;
let mongo: MongoHandle;
let tasks: TaskStore;

beforeAll(async () => {
  await ensureTopics(createKafka(config), [config.kafka.eventsTopic], 1);
  worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await demoWorkflowBundle(), activities: createDemoActivities });
  workerDone = worker.run();
  temporal = await connectTemporalClient(config);
  mongo = await connectMongo(config);
  tasks = new TaskStore(mongo.db);
});

afterAll(async () => {
  await worker?.shutdown();
  await workerDone;
  await temporal?.close();
  await mongo?.close();
  await env.cleanup();
});

describe('the whole chain: client → Temporal → worker → MongoDB mirror → Kafka event', () => {
  it('mirrors each state change and publishes an event for each', async () => {
    const taskId = `demo_chain_${env.suffix}`;
    const handle = await temporal.client.workflow.start('demoTask', {
      taskQueue: config.temporal.taskQueue,
      workflowId: taskId,
      args: [{ taskId, message: 'secret-message-42', sleepMs: 1500 }],
    });

    // While the activity sleeps, the mirror already says running.
    const running = await eventually(async () => {
      const r = await tasks.get(taskId);
      return r?.state === 'running' ? r : null;
    }, 'the running state in MongoDB');
    expect(running.start_time).toBeInstanceOf(Date);
    expect(running.end_time).toBeNull();

    const result = await handle.result();
    expect(result).toEqual({ message: 'secret-message-42', worker: worker.name });

    const done = (await tasks.get(taskId)) as TaskRecord;
    expect(done).toMatchObject({ task_id: taskId, kind: 'command', state: 'succeeded', queue: 'demo', worker: worker.name, error: null });
    expect(done.result).toEqual({ message: 'secret-message-42', worker: worker.name });
    expect(done.create_time.getTime()).toBeLessThanOrEqual(done.start_time!.getTime());
    expect(done.start_time!.getTime()).toBeLessThanOrEqual(done.end_time!.getTime());

    // Kafka, read by kcat (not by our own client): one event per state change, in order.
    const events = await eventually(async () => {
      const msgs = kcatConsumeAll(config.kafka.brokers.join(','), config.kafka.eventsTopic).filter((m) => m.key === taskId);
      return msgs.length >= 3 ? msgs : null;
    }, 'three task events on Kafka');
    expect(events.map((m) => (JSON.parse(m.payload!) as { state: string }).state)).toEqual(['queued', 'running', 'succeeded']);
  });

  it('keeps workflow history encrypted: no payload is readable without the codec', async () => {
    const taskId = `demo_hist_${env.suffix}`;
    await temporal.client.workflow.execute('demoTask', {
      taskQueue: config.temporal.taskQueue,
      workflowId: taskId,
      args: [{ taskId, message: 'hunter2-in-history' }],
    });
    const raw = await Connection.connect({ address: config.temporal.address });
    try {
      const history = await raw.workflowService.getWorkflowExecutionHistory({ namespace: config.temporal.namespace, execution: { workflowId: taskId } });
      const bytes = Buffer.from(JSON.stringify(history.history));
      expect(bytes.toString()).not.toContain('hunter2');
      expect(Buffer.from(JSON.stringify(history.toJSON())).toString()).not.toContain(Buffer.from('hunter2-in-history').toString('base64').slice(0, 12));
      const started = history.history!.events![0]!.workflowExecutionStartedEventAttributes!;
      const encoding = Buffer.from(started.input!.payloads![0]!.metadata!.encoding!).toString();
      expect(encoding).toBe(ENCRYPTED_ENCODING);
    } finally {
      await raw.close();
    }
  });

  it('drops a mirror write older than the one it holds', async () => {
    const id = `rev_${env.suffix}`;
    expect(await tasks.apply({ task_id: id, rev: 10, kind: 'command', state: 'running', status: 'running', queue: 'q' })).toBe('applied');
    expect(await tasks.apply({ task_id: id, rev: 5, state: 'queued', status: 'queued' })).toBe('stale');
    expect(await tasks.apply({ task_id: id, rev: 11, state: 'succeeded', status: 'succeeded' })).toBe('applied');
    expect(await tasks.apply({ task_id: id, rev: 11, state: 'failed', status: 'failed' })).toBe('stale');
    expect((await tasks.get(id))?.state).toBe('succeeded');
  });

  it('records the worker heartbeat', async () => {
    const doc = await mongo.db.collection('workers').findOne({ name: worker.name });
    expect(doc).toMatchObject({ name: worker.name, pid: process.pid, stopped_at: null });
    expect(doc!.task_queues).toContain(config.temporal.taskQueue);
  });
});

describe('graceful shutdown', () => {
  it('lets a running activity finish when the worker is asked to stop', async () => {
    const local = testEnv('drain');
    const w = await createWorkerRuntime({ config: local.config, logger: local.logger, workflowBundle: await demoWorkflowBundle(), activities: createDemoActivities, kafka: false });
    const done = w.run();
    const client = await connectTemporalClient(local.config);
    try {
      const taskId = `demo_drain_${local.suffix}`;
      const handle = await client.client.workflow.start('demoTask', {
        taskQueue: local.config.temporal.taskQueue,
        workflowId: taskId,
        args: [{ taskId, message: 'drained', sleepMs: 2000 }],
      });
      const store = new TaskStore(mongo.db.client.db(local.config.mongo.db));
      await eventually(async () => (await store.get(taskId))?.state === 'running', 'the activity to start');
      await w.shutdown();
      // The worker finishes the activity it holds before it stops: the workflow completes without a retry.
      await done;
      const second = await createWorkerRuntime({ config: local.config, logger: local.logger, workflowBundle: await demoWorkflowBundle(), activities: createDemoActivities, kafka: false });
      const secondDone = second.run();
      try {
        expect(await handle.result()).toEqual({ message: 'drained', worker: w.name });
      } finally {
        await second.shutdown();
        await secondDone;
      }
    } finally {
      await client.close();
      await local.cleanup();
    }
  });
});
