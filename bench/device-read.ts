import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import type { TaskRecord } from '../src/domain/task.js';
import { createLogger } from '../src/logging.js';
import { formatLoad, runLoad } from './lib/load.js';
import { argNumber } from './lib/stats.js';

// npx tsx bench/device-read.ts [--jobs 100000] [--seconds 10] [--rate 500]
// GET /job?id= on a `tasks` collection of `jobs` finished device job records, at 20 connections: one job read
// again and again (the peer's run: NetPulse did 1,100–1,470 req/s with p99 38–71 ms) and any of them (mostly
// first reads, which go to MongoDB), each flat out (req/s) and at a fixed `rate` (p99). The load comes from a
// second process, as a client's would; at a fixed rate it is paced evenly (bench/lib/paced-load.ts).
const total = argNumber('jobs', 100_000);
const seconds = argNumber('seconds', 10);
const rate = argNumber('rate', 500);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({ env: { LOG_LEVEL: 'warn' }, overrides: { mongo: { db: `bench_devread_${tag}` }, temporal: { taskQueue: `bench-devread-${tag}` } } });
const logger = createLogger('warn');
const api = await createApiRuntime({ config, logger, port: 0, kafka: false });
const headers = { 'X-API-KEY': config.auth.deviceApiKey };
const tasks = api.deps.db.collection<TaskRecord & { _id: string }>('tasks');

try {
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
  const body = await (await fetch(`${api.url}${one[0]}`, { headers })).text();
  // This machine's floor for the same answer: a bare Hono app in the same process, sending the same body.
  const bare = new Hono().get('/job', (c) => c.body(body, 200, { 'content-type': 'application/json' }));
  const bareServer: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: bare.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`;
  const bareFlat = await runLoad({ url: bareUrl, connections: 20, duration: seconds, paths: one });
  console.log(formatLoad('baseline: bare Hono sending the same body, flat out, 20 connections', bareFlat));
  const barePaced = await runLoad({ url: bareUrl, connections: 20, overallRate: rate, duration: seconds, paths: one });
  console.log(formatLoad(`baseline: bare Hono sending the same body at ${rate} req/s, 20 connections`, barePaced, rate));
  bareServer.close();
  const flat = await runLoad({ url: api.url, connections: 20, duration: seconds, headers, paths: one });
  console.log(formatLoad('GET /job?id= flat out, 20 connections, one job', flat));
  const paced = await runLoad({ url: api.url, connections: 20, overallRate: rate, duration: seconds, headers, paths: one });
  console.log(formatLoad(`GET /job?id= at ${rate} req/s, 20 connections, one job`, paced, rate));
  console.log(`ratio one job / bare Hono: ${(flat.perSecond / bareFlat.perSecond).toFixed(2)}× req/s flat out; at ${rate} req/s p50 ${(paced.p50 / Math.max(barePaced.p50, 0.1)).toFixed(2)}×, p99 ${(paced.p99 / Math.max(barePaced.p99, 0.1)).toFixed(2)}×`);
  // Every read of a job for the first time goes to MongoDB (finished jobs are kept a few seconds once read).
  const cold = ids.map((id) => `/job?id=${id}`);
  console.log(formatLoad(`GET /job?id= flat out, 20 connections, any of ${total} jobs (mostly first reads)`, await runLoad({ url: api.url, connections: 20, duration: seconds, headers, paths: cold })));
  console.log(formatLoad(`GET /job?id= at ${rate} req/s, 20 connections, any of ${total} jobs`, await runLoad({ url: api.url, connections: 20, overallRate: rate, duration: seconds, headers, paths: cold }), rate));
} finally {
  await api.deps.db.dropDatabase();
  await api.shutdown();
}
process.exit(0);
