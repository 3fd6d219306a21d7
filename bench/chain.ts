import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { connectTemporalClient } from '../src/temporal/connection.js';
import { createWorkerRuntime } from '../src/worker.js';
import { createDemoActivities } from '../test/support/demo/activities.js';
import { demoWorkflowBundle } from '../test/support/env.js';
import { createBaselineActivities } from './engine-baseline/activities.js';
import { connectBaseline } from './engine-baseline/index.js';
import type { baselineWorkflow } from './engine-baseline/workflows.js';
import { closedLoop, interleaved, loadAverage, printComparison } from './lib/harness.js';
import { argNumber } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/chain.ts [--workflows 300] [--concurrency 50]
// The foundation's own overhead: demoTask (codec, 3 mirror writes as local activities, Kafka events, 1 activity)
// against a bare workflow with a no-op activity on a bare worker: same count, same concurrency, closed loop,
// interleaved A B B A in the same run (bench/lib/harness.ts).
const total = argNumber('workflows', 300);
const concurrency = argNumber('concurrency', 50);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({
  overrides: { mongo: { db: `bench_chain_${tag}` }, temporal: { taskQueue: `bench-chain-${tag}` }, kafka: { eventsTopic: `bench.chain.${tag}` }, worker: { name: `bench_${tag}`, httpPort: 0 } },
});
const logger = createLogger('warn');

const bareQueue = `bench-bare-chain-${tag}`;
const bare = await connectBaseline(config.temporal.address, config.temporal.namespace, bareQueue, createBaselineActivities());
const bareRun = bare.worker.run();
let bareSeq = 0;
const bareUnit = (i: number) => bare.client.workflow.execute<typeof baselineWorkflow>('baselineWorkflow', { taskQueue: bareQueue, workflowId: `${bareQueue}-${++bareSeq}`, args: [i] }).then(() => undefined);

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
  await closedLoop('warm-up', 10, 10, (i) => run(i, `warm-${tag}`).then(() => undefined));
  await closedLoop('warm-up', 10, 10, bareUnit);
  console.log(`chain: ${total} workflows a side, ${concurrency} in flight, load average ${await loadAverage()}`);
  let half = 0;
  const { ours, baseline } = await interleaved(
    total,
    (n) => {
      const prefix = `chain-${tag}-${++half}`;
      return closedLoop('switchyard-chain (demoTask)', n, concurrency, (i) => run(i, prefix).then(() => undefined));
    },
    (n) => closedLoop('bare workflow, no-op activity', n, concurrency, bareUnit),
  );
  printComparison(ours, baseline, 'workflow', `${total} each, ${concurrency} in flight, same run`);
} finally {
  bare.worker.shutdown();
  await bareRun;
  await bare.close();
  await worker.shutdown();
  await done;
  await temporal.close();
  await endBenchRun(config);
}
