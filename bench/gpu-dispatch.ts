import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { Client, Connection } from '@temporalio/client';
import { connectTemporalClient } from '../src/temporal/connection.js';
import { createWorkerRuntime } from '../src/worker.js';
import type { gpuTask } from '../workflows/gpu-task.js';
import type { baselineCommandWorkflow } from './engine-baseline/workflows.js';
import { closedLoop, interleaved, loadAverage, printComparison } from './lib/harness.js';
import { argNumber, percentile } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/gpu-dispatch.ts [--latency 100] [--tasks 1000] [--agents 4] [--capacity 8]
// 1. Dispatch latency: POST /api/v2/tasks sent → the node receives POST /tasks, one task at a time, free
//    capacity. A figure of its own (no engine-shaped baseline: the engine has no node to send to).
// 2. Throughput, closed loop with as many tasks in flight as there are slots (A agents × C), `tasks` a side,
//    interleaved A B B A, latency at the client (submit → the client sees the end):
//    ours:     POST /api/v2/tasks, then the task's gpuTask workflow result; A real agents (`switchyard
//              gpu-agent --command cat`, each its own process, C slots) run them;
//    baseline: a bare workflow whose one activity runs the same command (`cat`, payload on stdin) on a bare
//              worker in its own process with A × C activity slots: the same fork per task, no API, no
//              dispatcher, no mirror, no codec. An attempt not done in 15 s is ended and made again (ours sends a
//              task a node did not finish to another node); the bench prints how many were, and whether the
//              earlier attempt ever reached the bare worker (bench/engine-baseline/workflows.ts says why).
const latencyN = argNumber('latency', 100);
const total = argNumber('tasks', 1000);
const agentsN = argNumber('agents', 4);
const capacity = argNumber('capacity', 8);
const slots = agentsN * capacity;
const tag = randomBytes(4).toString('hex');
const config = loadConfig({
  overrides: {
    mongo: { db: `bench_gpu_${tag}` },
    temporal: { taskQueue: `bench-gpu-${tag}` },
    worker: { name: `bench_gpu_${tag}`, httpPort: 0 },
    gpu: { heartbeatTimeoutSeconds: 30 },
  },
});
const logger = createLogger('warn');
const KEY = config.auth.gpuApiKey;

const worker = await createWorkerRuntime({ config, logger, kafka: false });
const workerDone = worker.run();
const api = await createApiRuntime({ config, logger, port: 0, kafka: false });
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api.url}/api/v2${path}`, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await res.json()) as { code: number; data: { taskId: string } };
};

// A bare node for latency: records when each task arrives and reports its result at once (again after a 503, as
// a node must when it finishes before its task's workflow has started).
const reportResult = async (taskId: string) => {
  for (let i = 0; i < 50; i++) {
    const r = await call('POST', `/tasks/${taskId}/result`, { result: 'ok' });
    if (r.code !== 503) return;
    await new Promise((res) => setTimeout(res, 100));
  }
};
const arrivals = new Map<string, number>();
const waiters = new Map<string, () => void>();
const node = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    if (req.method !== 'POST') return void res.writeHead(200).end('{}');
    const t = JSON.parse(body) as { taskId: string };
    arrivals.set(t.taskId, performance.now());
    res.writeHead(202).end('{}');
    waiters.get(t.taskId)?.();
    void reportResult(t.taskId);
  });
});
await new Promise<void>((r) => node.listen(0, '127.0.0.1', r));
const nodePort = (node.address() as AddressInfo).port;
const agents: ChildProcess[] = [];
const waitFor = async (ok: () => Promise<boolean>, ms: number) => {
  for (const end = Date.now() + ms; !(await ok()); ) {
    if (Date.now() > end) throw new Error('agents did not register in time');
    await new Promise((r) => setTimeout(r, 200));
  }
};
try {
  await call('POST', '/gpus/register', { gpuId: 'bench_lat', hostname: 'bench', ip: '127.0.0.1', port: nodePort, supportedTaskTypes: [1], maxConcurrentTasks: 64 });
  const beat = setInterval(() => void call('POST', '/gpus/bench_lat/heartbeat'), 5000);
  const latencies: number[] = [];
  const apiMs: number[] = [];
  for (let i = 0; i < latencyN + 10; i++) {
    const t0 = performance.now();
    let arrived!: () => void;
    const got = new Promise<void>((r) => (arrived = r));
    const created = await call('POST', '/tasks', { taskType: 1, payload: `l${i}` });
    const t1 = performance.now();
    const id = created.data.taskId;
    if (arrivals.has(id)) arrived();
    else waiters.set(id, arrived);
    await got;
    waiters.delete(id);
    if (i >= 10) {
      latencies.push(arrivals.get(id)! - t0);
      apiMs.push(t1 - t0);
    }
  }
  clearInterval(beat);
  console.log(
    `dispatch latency (create sent → node receives), ${latencyN} tasks one at a time, free capacity: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms` +
      ` (of which the POST /tasks answer: p50 ${percentile(apiMs, 50).toFixed(1)} ms)`,
  );
  console.log('no ratio for the dispatch latency: the engine has no node to send a task to, so there is no engine-shaped baseline; the throughput below has one.');

  // The agents run as their own processes, as nodes do: forking each task's command from the bench's own large
  // process (API, worker and client in one) cost more system time than everything else together.
  for (let a = 0; a < agentsN; a++) {
    const args = ['--import', 'tsx', 'src/cli.ts', 'gpu-agent', '--api', api.url, '--key', KEY, '--gpu-id', `bench_agent_${a}`, '--task-types', '2', '--max-concurrent', String(capacity), '--command', 'cat', '--heartbeat-seconds', '5', '--version', 'bench'];
    agents.push(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } }));
  }
  await waitFor(async () => {
    const r = (await call('GET', '/gpus/by-task-type/2')) as unknown as { data: { status: string }[] };
    return r.data.filter((n) => n.status === 'ACTIVE').length === agentsN;
    // Each agent is a Node process loading TypeScript through tsx: at a load average of 30 that alone took over a
    // minute once.
  }, 180_000);
  // The bare worker, in its own process like the agents.
  const bareQueue = `bench-bare-gpu-${tag}`;
  const bareWorker = spawn(process.execPath, ['--import', 'tsx', 'bench/engine-baseline/worker-process.ts', config.temporal.address, config.temporal.namespace, bareQueue, String(slots)], { stdio: ['ignore', 'pipe', 'inherit'] });
  agents.push(bareWorker);
  // Its report lines (worker-process.ts): attempts made again after the 15 s start-to-close timeout, slow commands.
  const bareReports: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: bareWorker.stdout! }).on('line', (line) => (line === 'ready' ? resolve() : bareReports.push(line)));
    bareWorker.once('exit', (code) => reject(new Error(`bare worker exited with ${code}`)));
  });
  const ours = await connectTemporalClient(config);
  const bareConnection = await Connection.connect({ address: config.temporal.address });
  const bare = new Client({ connection: bareConnection, namespace: config.temporal.namespace });
  let seq = 0;
  const gpuUnit = async (i: number) => {
    const r = await call('POST', '/tasks', { taskType: 2, priority: i % 3, payload: `t${i}` });
    const outcome = await ours.client.workflow.getHandle<typeof gpuTask>(r.data.taskId).result();
    if (outcome.status !== 'COMPLETED') throw new Error(`task ${r.data.taskId} ${outcome.status}`);
  };
  const bareUnit = async (i: number) => {
    await bare.workflow.execute<typeof baselineCommandWorkflow>('baselineCommandWorkflow', { taskQueue: bareQueue, workflowId: `${bareQueue}-${++seq}`, args: ['cat', `t${i}`] });
  };
  await closedLoop('warm-up', slots, slots, bareUnit);
  console.log(`throughput: ${total} tasks a side, ${slots} in flight (${agentsN} agents × ${capacity}), load average ${await loadAverage()}`);
  const { ours: gpu, baseline } = await interleaved(
    total,
    (n) => closedLoop(`gpu-dispatch (${agentsN} agents × ${capacity}, cat)`, n, slots, gpuUnit),
    (n) => closedLoop(`bare workflow + activity running cat (${slots} slots)`, n, slots, bareUnit),
  );
  printComparison(gpu, baseline, 'task', `${total} each, ${slots} in flight, one cat per task in a separate process, same run`);
  // Counted, not hidden: each attempt made again cost its unit 15 s and held one of the baseline's slots that long.
  const again = bareReports.filter((l) => l.startsWith('attempt-again '));
  const lost = again.filter((l) => l.endsWith(' never-here')).length;
  const slow = bareReports.filter((l) => l.startsWith('slow ')).length;
  console.log(
    `baseline attempts made again after the 15 s start-to-close timeout: ${again.length} (${lost} whose earlier attempt Temporal recorded as started but never reached the bare worker; ${again.length - lost} that ran there), commands over 5 s: ${slow}` +
      (again.length ? ': the baseline lost that time, so its throughput ratio favours ours; quote a run without any' : ''),
  );
  for (const l of bareReports) console.log(`  bare worker: ${l}`);
  console.log(`load average at the end ${await loadAverage()}`);
  await ours.close();
  await bareConnection.close();
} finally {
  // SIGTERM: each agent deregisters on its way out.
  await Promise.all(agents.map((a) => new Promise<void>((r) => (a.exitCode !== null ? r() : (a.once('exit', () => r()), a.kill('SIGTERM'))))));
  node.close();
  await api.shutdown();
  await worker.shutdown();
  await workerDone;
  await endBenchRun(config);
}
process.exit(0);
