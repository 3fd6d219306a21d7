import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/index.js';
import { createKafka } from '../src/kafka/client.js';
import { JsonProducer } from '../src/kafka/producer.js';
import { ensureTopics } from '../src/kafka/topics.js';
import { createLogger } from '../src/logging.js';
import { ServiceIngest } from '../src/service-tasks/ingest.js';
import { createServiceTasksPlugin } from '../src/service-tasks/plugin.js';
import { ServiceTasks } from '../src/service-tasks/service.js';
import { connectMongo } from '../src/store/mongo.js';
import { ServiceTaskStore } from '../src/store/service-tasks.js';
import { connectTemporalClient } from '../src/temporal/connection.js';
import { createWorkerRuntime } from '../src/worker.js';
import { createBaselineActivities } from './engine-baseline/activities.js';
import { connectBaseline } from './engine-baseline/index.js';
import type { baselineWorkflow } from './engine-baseline/workflows.js';
import { closedLoop, loadAverage, merge, type Measured } from './lib/harness.js';
import { argNumber } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/service-ingest.ts [--messages 2000] [--duplicates 100] [--partitions 8] [--members 4]
// Kafka ingest → service tasks, with `--duplicates` repeated ids and one malformed message. Two figures, each
// against the same unit done by the bare engine in the same run (half before the ingest, half after):
//   starts:   tasks started per second (each offset committed only after its workflow start) against a bare
//             client starting as many one-activity workflows with as many starts in flight as the ingest allows
//             (16 per partition);
//   finished: tasks finished per second, first message to last task's end, against the same bare workflows'
//             first start to last completion.
// The tasks run the built-in `echo` service on a worker in this process. Caveat: `service.echo` is one task
// queue for the whole Temporal namespace, so another process serving `echo` on the same server may run some.
const messages = argNumber('messages', 2000);
const duplicates = Math.min(argNumber('duplicates', 100), messages);
const partitions = argNumber('partitions', 8);
const members = argNumber('members', 4);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({
  env: { LOG_LEVEL: 'warn' },
  overrides: {
    mongo: { db: `bench_ingest_${tag}` },
    temporal: { taskQueue: `bench-ingest-${tag}` },
    kafka: { eventsTopic: `bench.ingest.${tag}.events`, ingestTopics: [`bench.ingest.${tag}`], ingestGroup: `bench-ingest-${tag}`, deadLetterTopic: `bench.ingest.${tag}.dlq` },
    worker: { name: `bench_ingest_${tag}`, httpPort: 0 },
    services: { maxStatusTask: 10, list: [{ name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 600 }] },
  },
});
const logger = createLogger('warn');
const topic = config.kafka.ingestTopics[0]!;

const inFlight = partitions * 16;
console.log(`service-ingest: ${messages} tasks, ${inFlight} starts in flight at most, load average ${await loadAverage()}`);

// The bare side: one-activity workflows started by a plain client on a plain worker, no mirror, no codec.
const bareQueue = `bench-bare-ingest-${tag}`;
const bare = await connectBaseline(config.temporal.address, config.temporal.namespace, bareQueue, createBaselineActivities());
const bareRun = bare.worker.run();
let bareSeq = 0;
async function bareHalf(n: number): Promise<{ starts: Measured; finishedSeconds: number }> {
  const handles: Promise<unknown>[] = [];
  const t0 = performance.now();
  const starts = await closedLoop('bare client workflow.start', n, inFlight, async (i) => {
    const h = await bare.client.workflow.start<typeof baselineWorkflow>('baselineWorkflow', { taskQueue: bareQueue, workflowId: `${bareQueue}-${++bareSeq}`, args: [i] });
    handles.push(h.result());
  });
  await Promise.all(handles);
  return { starts, finishedSeconds: (performance.now() - t0) / 1000 };
}
const bareFirst = await bareHalf(Math.ceil(messages / 2));

const kafka = createKafka(config, logger, '-bench');
await ensureTopics(kafka, [topic], partitions);
await ensureTopics(kafka, [config.kafka.deadLetterTopic, config.kafka.eventsTopic], 1);
const producer = new JsonProducer(kafka);
const prefix = `ts_echo_b${tag}_`;
const payloads = [
  ...Array.from({ length: messages }, (_, i) => ({ key: `k${i}`, value: { Task: { task_id: `${prefix}${i}`, service: 'echo', source_name: 'builtin', condition: { i } } } })),
  ...Array.from({ length: duplicates }, (_, i) => ({ key: `k${i}`, value: { Task: { task_id: `${prefix}${i}`, service: 'echo', source_name: 'builtin', condition: { i } } } })),
  { key: 'bad', value: 'not a task' },
];
for (let i = 0; i < payloads.length; i += 500) await producer.send(topic, payloads.slice(i, i + 500));
console.log(`produced ${payloads.length} messages (${messages} distinct ids, ${duplicates} repeats, 1 malformed) on ${partitions} partitions, ${members} consumers in the group`);

const worker = await createWorkerRuntime({ config, logger, plugins: [createServiceTasksPlugin({ ingest: false })] });
const done = worker.run();
const temporal = await connectTemporalClient(config);
const mongo = await connectMongo(config);
const store = new ServiceTaskStore(mongo.db, config.mongo.serviceTaskCollection);
await store.ensureIndexes();
const ingest = new ServiceIngest({
  kafka: createKafka(config, logger, '-bench-ingest'),
  producer,
  tasks: new ServiceTasks({ config, logger, temporal: temporal.client, store }),
  logger,
  groupId: config.kafka.ingestGroup,
  topics: config.kafka.ingestTopics,
  deadLetterTopic: config.kafka.deadLetterTopic,
  members,
});

const total = payloads.length;
const handled = () => ingest.counters.started + ingest.counters.duplicates + ingest.counters.deadLettered;
try {
  const t0 = performance.now();
  await ingest.start();
  while (handled() < total) await new Promise((r) => setTimeout(r, 50));
  const seconds = (performance.now() - t0) / 1000;
  const perSecond = ingest.counters.started / seconds;
  console.log(
    `service-ingest: ${ingest.counters.started} tasks started in ${seconds.toFixed(2)} s = ${perSecond.toFixed(1)} tasks/s ` +
      `(${(total / seconds).toFixed(1)} messages/s; duplicates ${ingest.counters.duplicates}, dead-lettered ${ingest.counters.deadLettered})`,
  );

  // Lost and duplicated, from the records and from Temporal's own view.
  let records = 0;
  let executions = 0;
  const deadline = Date.now() + 120_000;
  do {
    await new Promise((r) => setTimeout(r, 1000));
    records = await store.tasks.count({ kind: 'service', task_id: { $regex: `^${prefix}` } });
    executions = (await temporal.client.workflow.count(`WorkflowId STARTS_WITH "${prefix}"`)).count;
  } while ((records !== messages || executions !== messages) && Date.now() < deadline);
  console.log(`lost ${messages - Math.min(records, executions)} (records ${records}, executions ${executions} of ${messages}); duplicated ${Math.max(0, executions - messages)}`);

  const t1 = performance.now();
  let finished = 0;
  while (Date.now() < deadline + 300_000) {
    finished = await store.tasks.count({ task_id: { $regex: `^${prefix}` }, status: 'finished' });
    if (finished >= messages) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const took = `${((performance.now() - t0) / 1000).toFixed(1)} s after the consumer started (${((performance.now() - t1) / 1000).toFixed(1)} s after the last start)`;
  // The tasks run on this one worker: ending them all can take longer than starting them.
  console.log(finished >= messages ? `all ${finished} tasks finished ${took}` : `${finished} of ${messages} tasks finished when the wait ended, ${took}; the rest still run`);
  const finishedSeconds = (performance.now() - t0) / 1000;

  const bareSecond = await bareHalf(messages - Math.ceil(messages / 2));
  const bareStarts = merge(bareFirst.starts, bareSecond.starts);
  const bareStartsPerSecond = bareStarts.latenciesMs.length / bareStarts.seconds;
  const bareFinishedPerSecond = messages / (bareFirst.finishedSeconds + bareSecond.finishedSeconds);
  console.log(`bare engine: ${bareStarts.latenciesMs.length} starts in ${bareStarts.seconds.toFixed(2)} s = ${bareStartsPerSecond.toFixed(1)} starts/s (${inFlight} in flight); ${messages} finished at ${bareFinishedPerSecond.toFixed(1)} workflows/s`);
  console.log(`ratio service-ingest / bare engine, starts (${messages} each, ≤ ${inFlight} in flight, same run): ${(perSecond / bareStartsPerSecond).toFixed(2)}× started/s`);
  if (finished >= messages) console.log(`ratio service-ingest / bare engine, finished (${messages} each, same run): ${(messages / finishedSeconds / bareFinishedPerSecond).toFixed(2)}× finished/s`);
  console.log(`load average at the end ${await loadAverage()}`);
} finally {
  await ingest.stop();
  bare.worker.shutdown();
  await bareRun;
  await bare.close();
  await producer.close();
  await worker.shutdown();
  await done;
  await temporal.close();
  await endBenchRun(config);
  await mongo.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, config.kafka.deadLetterTopic, config.kafka.eventsTopic] }).catch(() => undefined);
  await admin.disconnect();
}
