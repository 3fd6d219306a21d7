import { randomBytes } from 'node:crypto';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createDeviceWorkerPlugin } from '../src/device/worker-plugin.js';
import { createLogger } from '../src/logging.js';
import { connectMongo } from '../src/store/mongo.js';
import { connectTemporalClient } from '../src/temporal/connection.js';
import { createWorkerRuntime } from '../src/worker.js';
import type { deviceJob } from '../workflows/device-job.js';
import { EMULATED_PLATFORMS, startDeviceEmulator } from '../test/support/device-emulator.js';
import { startSshd } from '../test/support/sshd.js';
import { runEngineBaseline } from './engine-baseline/index.js';
import { formatCpuPer, measureCpu, type CpuSplit } from './lib/cpu.js';
import { PLATFORM_SHOW } from './lib/platform-commands.js';
import { argNumber, formatRatio, formatThroughput, mapLimit, summarize, type Throughput } from './lib/stats.js';

// npx tsx bench/device-jobs.ts [--jobs 200] [--concurrency 20] [--only pinned,fifo,netmiko,platforms]
// Device jobs end to end: each job goes through POST /device/exec (API → Temporal → worker → SSH → MongoDB) and
// counts when its workflow has ended (after its terminal record is written), waited for as the baseline waits.
// Against the bare engine (bench/engine-baseline) in the same run, at the same concurrency; CPU per job is split
// between this process (API, worker and client) and the stack's servers.
// `platforms` (not run by default): pinned netmiko show jobs on an emulator of each platform, each on its own
// loopback address, one show command per platform, with the Cisco IOS run as the ratio's baseline.
// Needs root (the private sshd) and the local stack.
const total = argNumber('jobs', 200);
const concurrency = argNumber('concurrency', 20);
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1]!.split(',') : ['pinned', 'fifo', 'netmiko'];
const tag = randomBytes(4).toString('hex');
const config = loadConfig({
  env: { LOG_LEVEL: 'warn' },
  overrides: { mongo: { db: `bench_device_${tag}` }, temporal: { taskQueue: `bench-device-${tag}` }, kafka: { eventsTopic: `bench.device.${tag}` }, worker: { name: `bench_dev_${tag}`, httpPort: 0 } },
});
const logger = createLogger('warn');

const { result: baseline, cpu: baselineCpu } = await measureCpu(() => runEngineBaseline({ address: config.temporal.address, workflows: total, concurrency }));
console.log(formatThroughput(baseline));
console.log(`  ${formatCpuPer(baselineCpu, total, 'workflow')}`);

const [sshd, emu] = await Promise.all([startSshd(), startDeviceEmulator({ pageLength: 24 })]);
const worker = await createWorkerRuntime({ config, logger, plugins: [createDeviceWorkerPlugin()] });
const done = worker.run();
const api = await createApiRuntime({ config, logger, port: 0 });
const mongo = await connectMongo(config);
const temporal = await connectTemporalClient(config);
const KEY = { 'X-API-KEY': config.auth.deviceApiKey, 'content-type': 'application/json' };

async function run(label: string, n: number, body: (i: number) => Record<string, unknown>): Promise<Throughput> {
  const submitted = new Map<string, number>();
  const ended = new Map<string, number>();
  const waits: Promise<void>[] = [];
  const started = performance.now();
  await mapLimit([...Array(n).keys()], concurrency, async (i) => {
    const t0 = performance.now();
    let res: Response;
    let j: { data: { id: string } };
    // A 503 (MongoDB or Temporal slow under load on a shared machine) is retried, as a client would.
    for (let attempt = 1; ; attempt++) {
      res = await fetch(`${api.url}/device/exec`, { method: 'POST', headers: KEY, body: JSON.stringify(body(i)) });
      j = (await res.json()) as { data: { id: string } };
      if (res.status === 200) break;
      if (res.status !== 503 || attempt >= 5) throw new Error(`submit failed: ${JSON.stringify(j)}`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
    const id = j.data.id;
    submitted.set(id, t0);
    // A job's workflow ends once its terminal record is written: waited for as the baseline waits for its
    // workflows (a result long poll), rather than by polling MongoDB, which would load it with the watcher's reads.
    waits.push(
      temporal.client.workflow
        .getHandle<typeof deviceJob>(id)
        .result()
        .then((outcome) => {
          ended.set(id, performance.now());
          if (outcome.state !== 'succeeded') console.warn(`${label}: job ${id} ${outcome.state} ${JSON.stringify(outcome.error)}`);
        }),
    );
  });
  console.log(`${label}: ${n} accepted in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  await Promise.all(waits);
  const ids = [...submitted.keys()];
  const seconds = (Math.max(...ended.values()) - started) / 1000;
  return summarize(label, ids.map((id) => ended.get(id)! - submitted.get(id)!), seconds);
}

const ssh = { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password };
const results: Throughput[] = [];
try {
  // Warm-up: the first jobs pay for the sandbox, the lane start and the first login.
  await run('warm-up', 10, (i) => ({ driver: 'paramiko', queue_strategy: 'pinned', connection_args: ssh, command: `echo warm${i}` }));
  const report = async (measured: Promise<{ result: Throughput; cpu: CpuSplit }>) => {
    const { result: r, cpu } = await measured;
    results.push(r);
    console.log(formatThroughput(r, 'jobs'));
    console.log(`  ${formatCpuPer(cpu, r.count, 'job')} (sshd not counted)`);
    console.log(formatRatio(r, baseline));
  };
  const measured = (label: string, body: (i: number) => Record<string, unknown>) => measureCpu(() => run(label, total, body));
  if (only.includes('pinned')) await report(measured('pinned paramiko echo (one host)', (i) => ({ driver: 'paramiko', queue_strategy: 'pinned', connection_args: ssh, command: `echo p${i}` })));
  if (only.includes('fifo')) await report(measured('fifo paramiko echo (fresh connection each)', (i) => ({ driver: 'paramiko', connection_args: ssh, command: `echo f${i}` })));
  if (only.includes('netmiko')) {
    const dev = { host: emu.host, port: emu.port, username: emu.username, password: emu.password, device_type: 'cisco_ios' };
    await report(measured('pinned netmiko show (emulator)', (i) => ({ driver: 'netmiko', connection_args: dev, command: i % 2 ? 'show clock' : 'show ip interface brief' })));
    console.log(`emulator logins during the run: ${emu.logins}`);
  }
  if (only.includes('platforms')) {
    let cisco: Throughput | null = null;
    for (const [i, platform] of EMULATED_PLATFORMS.entries()) {
      const e = await startDeviceEmulator({ platform, listenHost: `127.0.0.${40 + i}` });
      try {
        const dev = { host: e.host, port: e.port, username: e.username, password: e.password, secret: e.enableSecret, device_type: platform };
        const { result: r, cpu } = await measureCpu(() => run(`pinned netmiko ${platform}: ${PLATFORM_SHOW[platform]}`, total, () => ({ driver: 'netmiko', connection_args: dev, command: PLATFORM_SHOW[platform] })));
        results.push(r);
        console.log(formatThroughput(r, 'jobs'));
        console.log(`  ${formatCpuPer(cpu, r.count, 'job')}; logins ${e.logins}`);
        if (platform === 'cisco_ios') cisco = r;
        else if (cisco) console.log(formatRatio(r, cisco));
      } finally {
        await e.close();
      }
    }
  }
  if (results.length > 1) console.log(`summary: ${results.map((r) => `${r.label} ${r.perSecond.toFixed(1)} jobs/s`).join('; ')}; baseline ${baseline.perSecond.toFixed(1)} workflows/s`);
} finally {
  await api.shutdown();
  await worker.shutdown();
  await done;
  await temporal.close();
  await mongo.db.dropDatabase();
  await mongo.close();
  await sshd.close();
  await emu.close();
}
process.exit(0);
