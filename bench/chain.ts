import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { connectTemporalClient } from '../src/temporal/connection.js';
import { connectMongo } from '../src/store/mongo.js';
import { createWorkerRuntime } from '../src/worker.js';
import { createDemoActivities } from '../test/support/demo/activities.js';
import { demoWorkflowBundle } from '../test/support/env.js';
import { runEngineBaseline } from './engine-baseline/index.js';
import { argNumber, formatRatio, formatThroughput, mapLimit, summarize } from './lib/stats.js';

// npx tsx bench/chain.ts [--workflows 300] [--concurrency 50]
// The foundation's own overhead: demoTask (codec, 3 mirror writes as local activities, Kafka events, 1 activity)
// against the bare engine, measured in the same run.
const total = argNumber('workflows', 300);
const concurrency = argNumber('concurrency', 50);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({
  overrides: { mongo: { db: `bench_chain_${tag}` }, temporal: { taskQueue: `bench-chain-${tag}` }, kafka: { eventsTopic: `bench.chain.${tag}` }, worker: { name: `bench_${tag}`, httpPort: 0 } },
});
const logger = createLogger('warn');

const baseline = await runEngineBaseline({ address: config.temporal.address, workflows: total, concurrency });
console.log(formatThroughput(baseline));

const worker = await createWorkerRuntime({ config, logger, workflowBundle: await demoWorkflowBundle(), activities: createDemoActivities });
const done = worker.run();
const temporal = await connectTemporalClient(config);
try {
  const run = (i: number, prefix: string) =>
    temporal.client.workflow.execute('demoTask', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `${prefix}-${i}`,
      args: [{ taskId: `${prefix}-${i}`, message: `m${i}` }],
    });
  await mapLimit([...Array(10).keys()], 10, (i) => run(i, `warm-${tag}`));
  const started = performance.now();
  const latencies = await mapLimit([...Array(total).keys()], concurrency, async (i) => {
    const t0 = performance.now();
    await run(i, `chain-${tag}`);
    return performance.now() - t0;
  });
  const chain = summarize('switchyard-chain', latencies, (performance.now() - started) / 1000);
  console.log(formatThroughput(chain));
  console.log(formatRatio(chain, baseline));
} finally {
  await worker.shutdown();
  await done;
  await temporal.close();
  const mongo = await connectMongo(config);
  await mongo.db.dropDatabase();
  await mongo.close();
}
