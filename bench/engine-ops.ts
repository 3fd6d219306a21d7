import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { runEngineBaseline } from './engine-baseline/index.js';
import { formatCpuPer, measureCpu } from './lib/cpu.js';
import { argNumber, formatThroughput, mapLimit } from './lib/stats.js';

// npx tsx bench/engine-ops.ts [--ops 300] [--concurrency 20]
// What single Temporal operations cost on this machine, now: calls per second from `concurrency` callers and the
// CPU each costs this process and the stack's servers, beside a whole one-activity workflow (the engine
// baseline). Here the dev server's throughput comes out close to one over its CPU per unit of work (it uses
// about one core however many callers there are): this is the budget a job's starts, signals and workflow tasks
// spend.
const total = argNumber('ops', 300);
const concurrency = argNumber('concurrency', 20);
const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const tag = randomBytes(4).toString('hex');
const connection = await Connection.connect({ address });
const client = new Client({ connection });
// Nothing polls this queue: started workflows wait, so a start costs only the start.
const taskQueue = `bench-ops-${tag}`;
const payload = { request: 'x'.repeat(400) };
const id = (i: number) => `bench-ops-${tag}-${i}`;

const ops: Array<[string, (i: number) => Promise<unknown>]> = [
  ['start a workflow', (i) => client.workflow.start('nothing', { taskQueue, workflowId: id(i), args: [payload] })],
  ['signal a running workflow', (i) => client.workflow.getHandle(id(i)).signal('nothing', payload)],
  ['signal-with-start a running workflow', (i) => client.workflow.signalWithStart('nothing', { taskQueue, workflowId: `${id(0)}-lane-${i % 3}`, args: [{}], signal: 'nothing', signalArgs: [payload] })],
  ['describe a workflow', (i) => client.workflow.getHandle(id(i)).describe()],
];
try {
  console.log('no ratio: engine-ops has no baseline doing the same work. It measures single Temporal calls (the parts a job spends) and prints a whole bare one-activity workflow beside them for scale, not as a comparison.');
  for (const [label, op] of ops) {
    const started = performance.now();
    const { cpu } = await measureCpu(() => mapLimit([...Array(total).keys()], concurrency, op));
    console.log(`${label}: ${(total / ((performance.now() - started) / 1000)).toFixed(0)}/s; ${formatCpuPer(cpu, total, 'call')}`);
  }
  const { result, cpu } = await measureCpu(() => runEngineBaseline({ address, workflows: total, concurrency }));
  console.log(formatThroughput(result));
  console.log(`  ${formatCpuPer(cpu, total, 'workflow')}`);
} finally {
  await mapLimit([...Array(total).keys()], concurrency, (i) => client.workflow.getHandle(id(i)).terminate().catch(() => undefined));
  for (let k = 0; k < 3; k++) await client.workflow.getHandle(`${id(0)}-lane-${k}`).terminate().catch(() => undefined);
  await connection.close();
}
