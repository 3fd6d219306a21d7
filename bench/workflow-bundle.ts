// What the workflow bundle's build options save per workflow run (docs/decisions.md, "The workflow bundle is
// tree-shaken"). The same workflows — pinned device jobs handed their outcome at start, so each ends in one
// workflow task — run on the production workflows bundled two ways, in the same process run, alternating: the
// SDK's defaults (the baseline) and ours (src/temporal/bundling.ts). With the reusable V8 context every run
// evaluates the bundle's modules afresh, so what the bundle holds is paid per workflow. CPU is the whole process's
// (worker threads and the client alike); only the bundle differs between rows.
//   npx tsx bench/workflow-bundle.ts [--workflows 400] [--concurrency 20] [--rounds 2] [--address 127.0.0.1:7233]
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { laneResultSignal, type DeviceJobInput } from '../src/device/contract.js';
import type { DeviceJobRequest } from '../src/device/request.js';
import type { DeviceJobOutcome } from '../src/domain/device-outcome.js';
import { tracingWorkerOptions } from '../src/tracing/temporal.js';
import { PRODUCTION_WORKFLOW_BUNDLE } from '../src/worker.js';
import { moduleFactories, SDK_DEFAULT_WORKFLOW_BUNDLE } from '../test/support/bundle-shape.js';
import type { deviceJob } from '../workflows/device-job.js';
import { argNumber, mapLimit, percentile } from './lib/stats.js';
import { loadAverage } from './lib/harness.js';

const workflows = argNumber('workflows', 400);
const concurrency = argNumber('concurrency', 20);
const rounds = argNumber('rounds', 2);
const addressAt = process.argv.indexOf('--address');
const address = addressAt >= 0 ? process.argv[addressAt + 1]! : '127.0.0.1:7233';

Runtime.install({ logger: new DefaultLogger('WARN') });
const logger = new DefaultLogger('WARN');
const variants = [
  { name: 'SDK defaults (baseline)', code: (await bundleWorkflowCode({ ...SDK_DEFAULT_WORKFLOW_BUNDLE, logger })).code },
  { name: 'Switchyard (tree-shaken)', code: (await bundleWorkflowCode({ ...PRODUCTION_WORKFLOW_BUNDLE, logger })).code },
];

const native = await NativeConnection.connect({ address });
const connection = await Connection.connect({ address });
const client = new Client({ connection });
// Only what the workflow reads; the lane's outcome arrives with the start, already recorded.
const request = { queueStrategy: 'pinned', ttlSeconds: 60, executionTimeoutSeconds: 60 } as DeviceJobRequest;
const now = new Date().toISOString();
const outcome: DeviceJobOutcome = { state: 'succeeded', retval: { echo: 'ok' }, error: null, worker: 'bench', started_at: now, ended_at: now, rev: 1, recorded: true };

async function run(code: string, count: number): Promise<{ cpuMs: number; seconds: number; p50: number }> {
  const taskQueue = `bench-bundle-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: { code }, ...tracingWorkerOptions() });
  return worker.runUntil(async () => {
    const one = async (i: number) => {
      const t0 = performance.now();
      const input: DeviceJobInput = { jobId: `${taskQueue}-${i}`, request, queue: 'pinned_127.0.0.1', host: '127.0.0.1', fifoTaskQueue: taskQueue };
      const h = await client.workflow.signalWithStart<typeof deviceJob, [DeviceJobOutcome]>('deviceJob', {
        taskQueue,
        workflowId: input.jobId,
        args: [input],
        signal: laneResultSignal,
        signalArgs: [outcome],
      });
      await h.result();
      return performance.now() - t0;
    };
    await mapLimit([...Array(Math.min(40, count)).keys()], concurrency, (i) => one(-1 - i)); // warm-up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const latencies = await mapLimit([...Array(count).keys()], concurrency, (i) => one(i));
    const cpu = process.cpuUsage(cpu0);
    return { cpuMs: (cpu.user + cpu.system) / 1000, seconds: (performance.now() - t0) / 1000, p50: percentile(latencies, 50) };
  });
}

console.log(`workflow-bundle: ${workflows} pinned device-job workflows per row, ${concurrency} at a time, ${rounds} rounds; load avg ${await loadAverage()}`);
for (const v of variants) console.log(`  ${v.name}: ${(v.code.length / 1024).toFixed(0)} KiB, ${moduleFactories(v.code).length} module factories`);
const perVariant = new Map<string, number[]>();
console.log('| round | bundle | workflows/s | p50 ms | CPU ms per workflow (process) |');
console.log('|---|---|---|---|---|');
for (let r = 1; r <= rounds; r++) {
  for (const v of r % 2 ? variants : [...variants].reverse()) {
    const m = await run(v.code, workflows);
    const perWf = m.cpuMs / workflows;
    perVariant.set(v.name, [...(perVariant.get(v.name) ?? []), perWf]);
    console.log(`| ${r} | ${v.name} | ${(workflows / m.seconds).toFixed(1)} | ${m.p50.toFixed(0)} | ${perWf.toFixed(2)} |`);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const [base, ours] = variants.map((v) => mean(perVariant.get(v.name)!));
console.log(`CPU per workflow, ours / SDK defaults: ${(ours! / base!).toFixed(2)}× (${ours!.toFixed(2)} against ${base!.toFixed(2)} ms); load avg ${await loadAverage()}`);
await connection.close();
await native.close();
