import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKafka } from '../../src/kafka/client.js';
import { JsonProducer } from '../../src/kafka/producer.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import type { ConsumedMessage } from '../../src/kafka/consumer.js';
import { ServiceIngest } from '../../src/service-tasks/ingest.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { ServiceTasks } from '../../src/service-tasks/service.js';
import { ServiceTaskStore } from '../../src/store/service-tasks.js';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually as eventuallyWithin, testEnv, workflowBundle } from '../support/env.js';
import { kcatConsumeAll, kcatProduce } from '../support/kcat.js';


// The machine is shared by several engineers' tests: waits are generous, nothing is timed.
vi.setConfig({ testTimeout: 900_000 });
const eventually = <T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 180_000) => eventuallyWithin(fn, what, Math.max(timeoutMs, 180_000), 200);

const env = testEnv('serviceingest', {
  mongo: { serviceTaskCollection: 'dev_task' },
  services: { maxStatusTask: 10, list: [{ name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 120 }] },
});
const { config } = env;
const brokers = config.kafka.brokers.join(',');
const topic = config.kafka.ingestTopics[0]!;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let temporal: TemporalClientHandle;
let mongo: MongoHandle;
let store: ServiceTaskStore;
let producer: JsonProducer;
const running: ServiceIngest[] = [];

/** Handlings that ended, by message key, across every consumer of the file. */
const handlings = new Map<string, number>();

/**
 * The ingest, telling apart the messages it handled first from those it handled again. Kafka delivers at least
 * once: a consumer stopped mid-stream leaves its last groups uncommitted, and a rebalance (a member dropped on a
 * loaded machine) delivers a group again even to the same consumer. A message handled again must be a duplicate.
 */
class CountingIngest extends ServiceIngest {
  firstHandlings = 0;
  repeatHandlings = 0;

  override async handle(m: ConsumedMessage) {
    const key = m.key ?? '';
    const seenBefore = (handlings.get(key) ?? 0) > 0;
    const outcome = await super.handle(m);
    handlings.set(key, (handlings.get(key) ?? 0) + 1);
    if (seenBefore) this.repeatHandlings += 1;
    else this.firstHandlings += 1;
    return outcome;
  }
}

function newIngest(): CountingIngest {
  const ingest = new CountingIngest({
    kafka: createKafka(config, env.logger, `-ingest-${running.length}`),
    producer,
    tasks: new ServiceTasks({ config, logger: env.logger, temporal: temporal.client, store }),
    logger: env.logger,
    groupId: config.kafka.ingestGroup,
    topics: config.kafka.ingestTopics,
    deadLetterTopic: config.kafka.deadLetterTopic,
  });
  running.push(ingest);
  return ingest;
}

beforeAll(async () => {
  const kafka = createKafka(config);
  await ensureTopics(kafka, [topic], 3);
  await ensureTopics(kafka, [config.kafka.deadLetterTopic, config.kafka.eventsTopic], 1);
  worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await workflowBundle(), plugins: [createServiceTasksPlugin({ ingest: false })] });
  workerDone = worker.run();
  temporal = await connectTemporalClient(config);
  mongo = await connectMongo(config);
  store = new ServiceTaskStore(mongo.db, config.mongo.serviceTaskCollection);
  await store.ensureIndexes();
  producer = new JsonProducer(createKafka(config, env.logger, '-test-dlq'));
});

afterAll(async () => {
  for (const i of running) await i.stop().catch(() => undefined);
  await producer?.close();
  await worker?.shutdown();
  await workerDone;
  await temporal?.close();
  await mongo?.close();
  await env.cleanup();
});

async function executions(prefix: string): Promise<number> {
  return (await temporal.client.workflow.count(`WorkflowId STARTS_WITH "${prefix}"`)).count;
}

describe('Kafka ingest of {"Task": …} messages', () => {
  it('starts tasks, starts a duplicate once, dead-letters malformed messages and keeps going', { timeout: 600_000 }, async () => {
    const id = `ts_echo_dup_${env.suffix}`;
    const good = JSON.stringify({ Task: { task_id: id, service: 'echo', source_name: 'builtin', condition: { xx: 'xx' } } });
    kcatProduce(brokers, topic, [
      { key: 'a', value: good },
      { key: 'b', value: '{"Task": not json' },
      { key: 'a', value: good },
      { key: 'c', value: JSON.stringify({ Task: { service: 'nope', source_name: 'x', condition: {} } }) },
      { key: 'd', value: JSON.stringify({ Task: { service: 'echo', source_name: 'builtin', condition: { fresh: true } } }) },
      { key: 'e', value: JSON.stringify({ task: { service: 'echo' } }) },
    ]);
    const ingest = newIngest();
    await ingest.start();
    await eventually(async () => ingest.counters.started + ingest.counters.duplicates + ingest.counters.deadLettered >= 6, 'six messages handled', 180_000);
    expect(ingest.counters).toEqual({ started: 2, duplicates: 1, deadLettered: 3 });

    const done = await eventually(async () => {
      const r = await store.get(id);
      return r?.status === 'finished' ? r : null;
    }, 'the ingested task finished');
    expect(done.result).toEqual({ xx: 'xx' });
    expect(await mongo.db.collection('dev_task').countDocuments({ task_id: id })).toBe(1);
    const fresh = await eventually(async () => (await store.tasks.find({ kind: 'service', 'condition.fresh': true })).at(0), 'the task without an id');
    expect(fresh.task_id).toMatch(/^ts_echo_[0-9a-f-]{36}$/);
    expect(await eventually(async () => ((await executions(id)) === 1 ? 1 : 0), 'one execution of the duplicated id')).toBe(1);

    const dlq = await eventually(async () => {
      const m = kcatConsumeAll(brokers, config.kafka.deadLetterTopic);
      return m.length >= 3 ? m : null;
    }, 'dead letters');
    const letters = dlq.map((m) => JSON.parse(m.payload!) as { reason: string; value: string; topic: string; offset: string });
    const reasonOf = (value: string) => letters.find((l) => l.value === value)?.reason;
    expect(letters).toHaveLength(3);
    expect(reasonOf('{"Task": not json')).toMatch(/not UTF-8 JSON/);
    expect(reasonOf(JSON.stringify({ Task: { service: 'nope', source_name: 'x', condition: {} } }))).toBe('service not support');
    expect(reasonOf(JSON.stringify({ task: { service: 'echo' } }))).toMatch(/Task/);
    expect(letters.every((l) => l.topic === topic)).toBe(true);
    await ingest.stop();
  });

  it('loses and duplicates nothing when the consumer restarts mid-stream', { timeout: 900_000 }, async () => {
    const prefix = `ts_echo_rs${env.suffix}_`;
    const n = 200; // enough that the first consumer is stopped mid-stream (it starts 16 a partition at once)
    kcatProduce(
      brokers,
      topic,
      Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ Task: { task_id: `${prefix}${i}`, service: 'echo', source_name: 'builtin', condition: { i } } }) })),
    );
    const first = newIngest();
    await first.start();
    await eventually(async () => first.counters.started >= 8, 'a first part started', 240_000);
    await first.stop();
    const firstStarted = first.counters.started;
    expect(firstStarted).toBeLessThan(n);

    const second = newIngest();
    await second.start();
    await eventually(async () => (await store.tasks.count({ task_id: { $regex: `^${prefix}` } })) === n, 'every task recorded', 300_000);
    await eventually(async () => first.counters.started + second.counters.started >= n, 'every task started', 120_000);
    // Each message started its task exactly once across both consumers; none was dead-lettered. A message a
    // consumer handled for the first time started its task; one handled again (uncommitted by the first consumer,
    // or delivered again after a rebalance) was counted a duplicate.
    expect(first.counters.started + second.counters.started).toBe(n);
    expect(first.counters.deadLettered + second.counters.deadLettered).toBe(0);
    expect([...handlings.keys()].filter((k) => k.startsWith('k')).length).toBe(n);
    for (const ingest of [first, second]) {
      expect(ingest.counters.started).toBe(ingest.firstHandlings);
      expect(ingest.counters.duplicates).toBe(ingest.repeatHandlings);
    }
    // Redelivered messages (uncommitted when the first consumer stopped) are duplicates, not second runs.
    expect(await eventually(async () => ((await executions(prefix)) === n ? n : 0), `${n} executions`, 120_000)).toBe(n);
    expect(await mongo.db.collection('dev_task').countDocuments({ task_id: { $regex: `^${prefix}` } })).toBe(n);
    await second.stop();
  });
});
