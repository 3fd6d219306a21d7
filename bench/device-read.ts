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
import { formatLoad, runLoad } from './lib/load.js';
import { argNumber } from './lib/stats.js';

// npx tsx bench/device-read.ts [--jobs 100000] [--seconds 10] [--rate 500]
// GET /job?id= on a `tasks` collection of `jobs` finished device job records, at 20 connections: one job read
// again and again (the peer's run: NetPulse did 1,100–1,470 req/s with p99 38–71 ms) and any of them (mostly
// first reads, which go to MongoDB), each flat out (req/s) and at a fixed `rate` (p99). The API is a
// `switchyard api` process of its own, as deployed (the records are seeded from here, so its heap holds none of
// them); the baseline is a bare Hono app, alone in its process, sending the same body. The load comes from a
// third process, as a client's would; at a fixed rate it is paced evenly (bench/lib/paced-load.ts).
const total = argNumber('jobs', 100_000);
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
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lib/bare-hono.ts', import.meta.url)), file], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  // The peer's run: one job read by id again and again (a client polling it), read once before.
  const one = [`/job?id=${ids[Math.floor(ids.length / 2)]}`];
  const body = await (await fetch(`${apiUrl}${one[0]}`, { headers })).text();
  bare = await startBareHono(body);
  const bareFlat = await runLoad({ url: bare.url, connections: 20, duration: seconds, paths: one });
  console.log(formatLoad('baseline: bare Hono sending the same body, flat out, 20 connections', bareFlat));
  const barePaced = await runLoad({ url: bare.url, connections: 20, overallRate: rate, duration: seconds, paths: one });
  console.log(formatLoad(`baseline: bare Hono sending the same body at ${rate} req/s, 20 connections`, barePaced, rate));
  bare.stop();
  bare = undefined;
  const flat = await runLoad({ url: apiUrl, connections: 20, duration: seconds, headers, paths: one });
  console.log(formatLoad('GET /job?id= flat out, 20 connections, one job', flat));
  const paced = await runLoad({ url: apiUrl, connections: 20, overallRate: rate, duration: seconds, headers, paths: one });
  console.log(formatLoad(`GET /job?id= at ${rate} req/s, 20 connections, one job`, paced, rate));
  console.log(`ratio one job / bare Hono: ${(flat.perSecond / bareFlat.perSecond).toFixed(2)}× req/s flat out; at ${rate} req/s p50 ${(paced.p50 / Math.max(barePaced.p50, 0.1)).toFixed(2)}×, p99 ${(paced.p99 / Math.max(barePaced.p99, 0.1)).toFixed(2)}×`);
  // Every read of a job for the first time goes to MongoDB (finished jobs are kept a few seconds once read).
  const cold = ids.map((id) => `/job?id=${id}`);
  console.log(formatLoad(`GET /job?id= flat out, 20 connections, any of ${total} jobs (mostly first reads)`, await runLoad({ url: apiUrl, connections: 20, duration: seconds, headers, paths: cold })));
  console.log(formatLoad(`GET /job?id= at ${rate} req/s, 20 connections, any of ${total} jobs`, await runLoad({ url: apiUrl, connections: 20, overallRate: rate, duration: seconds, headers, paths: cold }), rate));
} finally {
  bare?.stop();
  await api.stop();
  api.closeLog();
  await mongo.db.dropDatabase();
  await mongo.close();
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
