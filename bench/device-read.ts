import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { ENV_KEYS } from '../src/config/env-keys.js';
import type { TaskRecord } from '../src/domain/task.js';
import { connectMongo } from '../src/store/mongo.js';
import { freePort } from '../test/faults/private-stack.js';
import { ServiceProcess } from '../test/faults/service-process.js';
import { httpClosedLoop, interleaved, loadAverage, printComparison } from './lib/harness.js';
import { formatLoad, runLoad } from './lib/load.js';
import { argNumber } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/device-read.ts [--jobs 100000] [--requests 5000] [--seconds 10] [--rate 500]
// GET /job?id= on a `tasks` collection of `jobs` finished device job records, 20 connections. The API is a
// `switchyard api` process of its own, as deployed (the records are seeded from here, so its heap holds none of
// them); the baseline is a bare Hono app, alone in its process, answering the same body after the same
// X-API-KEY check (bench/lib/bare-hono.ts). The load comes from a third process, as a client's would.
//   closed loop, `requests` a side, interleaved A B B A: any of `jobs` jobs (mostly first reads: MongoDB), and
//     one job read again and again. The one-job figure is served from the API's in-process cache of finished
//     job views (10 s, src/device/finished-jobs.ts) after its first read: it measures the HTTP path, not MongoDB.
//   paced at `rate` (open loop, bench/lib/paced-load.ts): p50/p99 of each against the bare app at the same rate.
// No CPU per request: the API and the bare app are processes of their own.
const total = argNumber('jobs', 100_000);
const requests = argNumber('requests', 5000);
const seconds = argNumber('seconds', 10);
const rate = argNumber('rate', 500);
const tag = randomBytes(4).toString('hex');
const work = await mkdtemp(join(tmpdir(), 'bench-devread-'));
const env: Record<string, string> = {};
for (const k of ENV_KEYS) if (process.env[k.name] !== undefined) env[k.name] = process.env[k.name]!;
Object.assign(env, { LOG_LEVEL: 'warn', MONGO_DB: `bench_devread_${tag}`, TEMPORAL_TASK_QUEUE: `bench-devread-${tag}` });
const config = loadConfig({ env });
const port = await freePort();
// At `info` it says when it listens (what ServiceProcess waits for); requests are logged only at `debug`.
const api = new ServiceProcess({ kind: 'api', name: 'api', env: { ...env, LOG_LEVEL: 'info', API_HOST: '127.0.0.1', API_PORT: String(port) }, logFile: join(work, 'api.log') });
const apiUrl = `http://127.0.0.1:${port}`;
const mongo = await connectMongo(config);
const headers = { 'X-API-KEY': config.auth.deviceApiKey };
const tasks = mongo.db.collection<TaskRecord & { _id: string }>('tasks');

/** The bare Hono baseline in a process of its own; resolves with its URL and a stop function. */
async function startBareHono(body: string): Promise<{ url: string; stop: () => void }> {
  const file = join(work, 'body.json');
  await writeFile(file, body);
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lib/bare-hono.ts', import.meta.url)), file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_API_KEY: config.auth.deviceApiKey } });
  const bare = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`bare Hono exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${bare}`, stop: () => child.kill('SIGTERM') };
}

let bare: { url: string; stop: () => void } | undefined;
try {
  await api.start();
  const t0 = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < total; i += 1000) {
    // `_id` is the task id, as TaskStore writes it.
    const batch: (TaskRecord & { _id: string })[] = [];
    for (let k = i; k < Math.min(total, i + 1000); k++) {
      const id = `job_${tag}${k.toString(16).padStart(8, '0')}`;
      ids.push(id);
      const at = new Date(t0 - (total - k) * 1000);
      batch.push({
        _id: id,
        task_id: id,
        kind: 'device',
        state: 'succeeded',
        status: 'finished',
        queue: `pinned_10.0.${(k >> 8) & 255}.${k & 255}`,
        create_time: at,
        enqueue_time: at,
        start_time: new Date(at.getTime() + 50),
        end_time: new Date(at.getTime() + 150),
        updated_at: at,
        rev: 1,
        worker: 'worker_bench',
        host: `10.0.${(k >> 8) & 255}.${k & 255}`,
        owner: 'worker_bench',
        priority: 0,
        result: { 'show clock': '*12:00:00.000 UTC Mon Jan 1 2024' },
        error: null,
        waiting_reason: null,
      });
    }
    await tasks.insertMany(batch);
  }
  console.log(`seeded ${total} job records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`device-read: ${requests} requests a side, 20 connections, load average ${await loadAverage()}`);
  const one = [`/job?id=${ids[Math.floor(ids.length / 2)]}`];
  const cold = ids.map((id) => `/job?id=${id}`);
  // The bare app sends the body of one job's view (the `any` reads differ only in ids and times).
  const body = await (await fetch(`${apiUrl}${one[0]}`, { headers })).text();
  bare = await startBareHono(body);
  const bareUrl = bare.url;
  const closed = (label: string, url: string, paths: string[]) => (n: number) => httpClosedLoop(label, { url, connections: 20, amount: n, duration: 0, headers, paths });
  const same = `${requests} each, 20 in flight, same key check, HTTP from a third process, same run`;
  const any = await interleaved(requests, closed(`GET /job?id= any of ${total} jobs (mostly first reads)`, apiUrl, cold), closed('bare Hono, same body, same key check', bareUrl, one));
  printComparison(any.ours, any.baseline, 'request', same, false);
  const cached = await interleaved(requests, closed('GET /job?id= one job (from the 10 s view cache)', apiUrl, one), closed('bare Hono, same body, same key check', bareUrl, one));
  printComparison(cached.ours, cached.baseline, 'request', same, false);
  const barePaced = await runLoad({ url: bareUrl, connections: 20, overallRate: rate, duration: seconds, headers, paths: one });
  console.log(formatLoad(`baseline: bare Hono, same body, same key check, at ${rate} req/s`, barePaced, rate));
  const pacedAny = await runLoad({ url: apiUrl, connections: 20, overallRate: rate, duration: seconds, headers, paths: cold });
  console.log(formatLoad(`GET /job?id= any of ${total} jobs at ${rate} req/s`, pacedAny, rate));
  console.log(`ratio at ${rate} req/s, any job / bare Hono: p50 ${(pacedAny.p50 / Math.max(barePaced.p50, 0.1)).toFixed(2)}×, p99 ${(pacedAny.p99 / Math.max(barePaced.p99, 0.1)).toFixed(2)}×`);
  bare.stop();
  bare = undefined;
  console.log(`load average at the end ${await loadAverage()}`);
} finally {
  bare?.stop();
  await api.stop();
  api.closeLog();
  await endBenchRun(config);
  await mongo.close();
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
