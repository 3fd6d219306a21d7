import { randomBytes } from 'node:crypto';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createDeviceWorkerPlugin } from '../src/device/worker-plugin.js';
import { createLogger } from '../src/logging.js';
import { fromConnectionArgs } from '../src/ssh/connection.js';
import type { SessionSpec } from '../src/ssh/session-pool.js';
import { connectMongo } from '../src/store/mongo.js';
import { connectTemporalClient } from '../src/temporal/connection.js';
import { createWorkerRuntime } from '../src/worker.js';
import type { deviceJob } from '../workflows/device-job.js';
import { EMULATED_PLATFORMS, startDeviceEmulator } from '../test/support/device-emulator.js';
import { startSshd } from '../test/support/sshd.js';
import { createBaselineActivities } from './engine-baseline/activities.js';
import { connectBaseline } from './engine-baseline/index.js';
import { createSshBaselineActivities } from './engine-baseline/ssh.js';
import type { baselineSshWorkflow, baselineWorkflow } from './engine-baseline/workflows.js';
import { closedLoop, formatMeasured, interleaved, loadAverage, printComparison, type Measured } from './lib/harness.js';
import { PLATFORM_SHOW } from './lib/platform-commands.js';
import { argNumber } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/device-jobs.ts [--jobs 200] [--concurrency 16] [--workers 1] [--only pinned,fifo,netmiko,platforms]
// Device jobs end to end, closed loop: `concurrency` clients, each submitting its next job (POST /device/exec)
// once its last one has ended (its workflow's result, after its terminal record is written), so exactly that
// many jobs are in flight. Latency is measured at the client, submit to end.
// Baseline, same run, same count, same concurrency, interleaved A B B A (bench/lib/harness.ts): a bare Temporal
// workflow (no codec, no mirror, no API) whose one activity does the same SSH work with the same driver
// (src/ssh): a fresh connection per job for fifo, a session held by the worker for pinned; its worker takes
// as many activities at once as ours takes fifo jobs (DEVICE_FIFO_CONCURRENCY). A second line compares with a
// bare workflow whose activity does nothing (the engine's floor). CPU per job: this process (API, both workers,
// clients) and each stack server; sshd and the emulator are not counted.
// `platforms` (not run by default): pinned netmiko show jobs on an emulator of each platform, each on its own
// loopback address, with the Cisco IOS run as the ratio's baseline.
// Needs root (the private sshd) and the local stack.
const total = argNumber('jobs', 200);
const concurrency = argNumber('concurrency', 16);
// Worker runtimes polling the same queues (`--workers 2`: the topology's two workers; bench/engines.ts).
const workerCount = argNumber('workers', 1);
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1]!.split(',') : ['pinned', 'fifo', 'netmiko'];
const tag = randomBytes(4).toString('hex');
// The environment's addresses count (TEMPORAL_ADDRESS, MONGO_URL, KAFKA_BROKERS: bench/engines.ts points them at
// a private stack); the log level is this bench's.
const config = loadConfig({
  env: { ...process.env, LOG_LEVEL: 'warn' },
  overrides: { mongo: { db: `bench_device_${tag}` }, temporal: { taskQueue: `bench-device-${tag}` }, kafka: { eventsTopic: `bench.device.${tag}` }, worker: { name: `bench_dev_${tag}`, httpPort: 0 } },
});
const logger = createLogger('warn');
console.log(`device-jobs: ${total} jobs a side, ${concurrency} in flight, load average ${await loadAverage()}`);

const [sshd, emu] = await Promise.all([startSshd(), startDeviceEmulator({ pageLength: 24 })]);
const workers = await Promise.all(
  [...Array(workerCount).keys()].map((i) => createWorkerRuntime({ config, logger, name: `bench_dev_${tag}_${i}`, plugins: [createDeviceWorkerPlugin()] })),
);
const done = Promise.all(workers.map((w) => w.run()));
const api = await createApiRuntime({ config, logger, port: 0 });
const mongo = await connectMongo(config);
const temporal = await connectTemporalClient(config);
const KEY = { 'X-API-KEY': config.auth.deviceApiKey, 'content-type': 'application/json' };

const ssh = { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password };
const dev = { host: emu.host, port: emu.port, username: emu.username, password: emu.password, device_type: 'cisco_ios' };
const targets: Record<string, SessionSpec> = {
  sshd: { driver: 'paramiko', connection: fromConnectionArgs(ssh) },
  emu: { driver: 'netmiko', connection: fromConnectionArgs(dev) },
};
const bareSsh = createSshBaselineActivities(targets);
const bareQueue = `bench-bare-${tag}`;
const bare = await connectBaseline(config.temporal.address, config.temporal.namespace, bareQueue, { ...createBaselineActivities(), ...bareSsh.activities }, config.device.fifoConcurrency);
const bareRun = bare.worker.run();

/** One job through the API, submit to end. A 503 (a loaded shared machine) is retried, as a client would. */
async function job(body: Record<string, unknown>): Promise<void> {
  let id: string | undefined;
  for (let attempt = 1; !id; attempt++) {
    const res = await fetch(`${api.url}/device/exec`, { method: 'POST', headers: KEY, body: JSON.stringify(body) });
    const j = (await res.json()) as { data: { id: string } };
    if (res.status === 200) id = j.data.id;
    else if (res.status !== 503 || attempt >= 5) throw new Error(`submit failed: ${JSON.stringify(j)}`);
    else await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  // Waited for as the baseline waits for its workflows (a result long poll), not by polling MongoDB.
  const outcome = await temporal.client.workflow.getHandle<typeof deviceJob>(id).result();
  if (outcome.state !== 'succeeded') throw new Error(`job ${id} ${outcome.state} ${JSON.stringify(outcome.error)}`);
}

let seq = 0;
const bareSshJob = (mode: 'fresh' | 'pooled', target: string, command: string) =>
  bare.client.workflow.execute<typeof baselineSshWorkflow>('baselineSshWorkflow', { taskQueue: bareQueue, workflowId: `${bareQueue}-${++seq}`, args: [mode, target, command] }).then(() => undefined);
const bareNoop = (n: number) =>
  bare.client.workflow.execute<typeof baselineWorkflow>('baselineWorkflow', { taskQueue: bareQueue, workflowId: `${bareQueue}-${++seq}`, args: [n] }).then(() => undefined);

async function compare(label: string, baselineLabel: string, mode: 'fresh' | 'pooled', target: string, command: (i: number) => string, body: (i: number) => Record<string, unknown>): Promise<Measured> {
  const { ours, baseline } = await interleaved(
    total,
    (n) => closedLoop(label, n, concurrency, (i) => job(body(i))),
    (n) => closedLoop(baselineLabel, n, concurrency, (i) => bareSshJob(mode, target, command(i))),
  );
  printComparison(ours, baseline, 'job', `${total} each, ${concurrency} in flight, same driver and device, same run`);
  return ours;
}

try {
  // Warm-up: the first jobs pay for the sandbox, the lane start and the first login, on both sides.
  await closedLoop('warm-up', 10, 5, (i) => job({ driver: 'paramiko', queue_strategy: 'pinned', connection_args: ssh, command: `echo warm${i}` }));
  await closedLoop('warm-up', 10, 5, (i) => bareSshJob('pooled', 'sshd', `echo warm${i}`));
  await closedLoop('warm-up', 10, 5, (i) => bareNoop(i));
  const noop = await closedLoop('bare workflow, no-op activity', total, concurrency, (i) => bareNoop(i));
  console.log(formatMeasured(noop, 'job'));
  const floor = (ours: Measured) => console.log(`  against the no-op engine floor (same count and concurrency): throughput ${((ours.latenciesMs.length / ours.seconds) / (noop.latenciesMs.length / noop.seconds)).toFixed(2)}×`);

  if (only.includes('pinned'))
    floor(await compare('pinned paramiko echo (one host)', 'bare workflow + pooled paramiko session', 'pooled', 'sshd', (i) => `echo p${i}`, (i) => ({ driver: 'paramiko', queue_strategy: 'pinned', connection_args: ssh, command: `echo p${i}` })));
  if (only.includes('fifo'))
    floor(await compare('fifo paramiko echo (fresh connection each)', 'bare workflow + fresh paramiko connection', 'fresh', 'sshd', (i) => `echo f${i}`, (i) => ({ driver: 'paramiko', connection_args: ssh, command: `echo f${i}` })));
  if (only.includes('netmiko')) {
    const show = (i: number) => (i % 2 ? 'show clock' : 'show ip interface brief');
    floor(await compare('pinned netmiko show (emulator)', 'bare workflow + pooled netmiko session', 'pooled', 'emu', show, (i) => ({ driver: 'netmiko', connection_args: dev, command: show(i) })));
    console.log(`emulator logins during the run: ${emu.logins}`);
  }
  if (only.includes('platforms')) {
    // Not a comparison with the engine: each platform against Cisco IOS, same count and concurrency, interleaved
    // A B B A (bench/lib/harness.ts) so a load that changes during the run weighs on both sides alike.
    const emulators = await Promise.all(EMULATED_PLATFORMS.map((platform, i) => startDeviceEmulator({ platform, listenHost: `127.0.0.${40 + i}` })));
    try {
      const run = (platform: (typeof EMULATED_PLATFORMS)[number], n: number) => {
        const e = emulators[EMULATED_PLATFORMS.indexOf(platform)]!;
        const d = { host: e.host, port: e.port, username: e.username, password: e.password, secret: e.enableSecret, device_type: platform };
        return closedLoop(`pinned netmiko ${platform}: ${PLATFORM_SHOW[platform]}`, n, concurrency, () => job({ driver: 'netmiko', connection_args: d, command: PLATFORM_SHOW[platform] }));
      };
      for (const platform of EMULATED_PLATFORMS) {
        if (platform === 'cisco_ios') continue;
        const { ours, baseline } = await interleaved(total, (n) => run(platform, n), (n) => run('cisco_ios', n));
        printComparison(ours, baseline, 'job', `${total} each, ${concurrency} in flight, against Cisco IOS's emulator, same run`);
      }
      console.log(`logins per platform: ${EMULATED_PLATFORMS.map((p, i) => `${p} ${emulators[i]!.logins}`).join(', ')}`);
    } finally {
      await Promise.all(emulators.map((e) => e.close()));
    }
  }
  console.log(`load average at the end ${await loadAverage()}`);
} finally {
  await api.shutdown();
  await Promise.all(workers.map((w) => w.shutdown()));
  await done;
  bare.worker.shutdown();
  await bareRun;
  await bare.close();
  await bareSsh.close();
  await temporal.close();
  await endBenchRun(config);
  await mongo.close();
  await sshd.close();
  await emu.close();
}
process.exit(0);
