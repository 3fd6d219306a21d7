import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { mintSchedulerToken } from '../src/api/scheduler/auth.js';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { ScheduleStore, type ScheduleDoc } from '../src/store/schedules.js';
import { runScheduleCreateBaseline } from './engine-baseline/schedule-creates.js';
import { formatLoad, runLoad, type LoadSpec } from './lib/load.js';
import { argNumber } from './lib/stats.js';

// npx tsx bench/scheduler-api.ts [--tasks 10000] [--rate 200] [--seconds 10]
// API latency of create / list / get at a fixed request rate with `tasks` tasks of one owner in MongoDB.
// The bulk of the tasks is inserted straight into `schedules` (their Temporal Schedules would only slow the
// set-up); tasks created during the run are real (paused) Temporal Schedules, and `get` asks Temporal for
// next_run_time as it does in service. Every created schedule is deleted afterwards.
// Creates are compared with the bare engine creating as many paused schedules at the same rate, in the same run
// (bench/engine-baseline/schedule-creates.ts).
const total = argNumber('tasks', 10_000);
const rate = argNumber('rate', 200);
const seconds = argNumber('seconds', 10);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({ overrides: { mongo: { db: `bench_schedapi_${tag}` }, temporal: { taskQueue: `bench-schedapi-${tag}` } } });
const logger = createLogger('warn');
const api = await createApiRuntime({ config, logger, port: 0, kafka: false });
const token = await mintSchedulerToken(config.auth.schedulerJwtSecret, 'bench', 'admin');
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const store = new ScheduleStore(api.deps.db);
await store.ensureIndexes();

try {
  const now = new Date();
  // Stored as ScheduleStore stores them: `_id` is the task id.
  const docs: (ScheduleDoc & { _id: number })[] = [];
  for (let i = 0; i < total; i++) {
    docs.push({
      _id: 1_000_000 + i,
      id: 1_000_000 + i,
      owner: 'bench',
      name: `seed-${i}`,
      description: null,
      project_id: 1,
      schedule_type: 'CRON',
      schedule_config: '0 2 * * *',
      is_active: true,
      timeout_seconds: 3600,
      max_instances: 1,
      retry_count: 0,
      priority: 0,
      action: null,
      spec_anchor: now,
      created_at: now,
      updated_at: now,
    });
  }
  for (let i = 0; i < docs.length; i += 1000) await store.collection.db.collection<ScheduleDoc & { _id: number }>(store.collection.collectionName).insertMany(docs.slice(i, i + 1000));
  console.log(`seeded ${total} tasks`);

  const run = async (label: string, opts: Pick<LoadSpec, 'method' | 'paths' | 'bodyTemplate'>) => {
    const result = await runLoad({ url: api.url, connections: 20, overallRate: rate, duration: seconds, timeout: 30, headers, ...opts });
    console.log(formatLoad(label, result, rate));
    return result;
  };

  const engine = await runScheduleCreateBaseline({ address: config.temporal.address, rate, seconds, connections: 20 });
  console.log(`bare engine schedule.create (paused CRON): ${engine.total} creates at ${rate}/s target (${engine.perSecond.toFixed(0)}/s achieved), latency p50 ${engine.p50} ms, p99 ${engine.p99} ms`);
  const creates = await run('create (POST /tasks, paused CRON)', {
    method: 'POST',
    paths: ['/api/v1/scheduler/tasks'],
    bodyTemplate: JSON.stringify({ name: `bench-${tag}-{{n}}`, project_id: 1, schedule_type: 'CRON', schedule_config: '0 3 * * *', is_active: false }),
  });
  console.log(`ratio create / bare engine: ${(creates.perSecond / engine.perSecond).toFixed(2)}× throughput, p50 ${(creates.p50 / engine.p50).toFixed(2)}×`);
  await run('list (GET /tasks?page=k&size=20)', { paths: Array.from({ length: 400 }, (_, k) => `/api/v1/scheduler/tasks?page=${k + 1}&size=20`) });
  // Creates answered after the load generator gave up are in MongoDB too: wait for the server to settle before reading them.
  await new Promise((r) => setTimeout(r, 5000));
  const created = await store.collection.find({ owner: 'bench', id: { $lt: 1_000_000 } }, { projection: { id: 1 } }).toArray();
  const ids = created.map((d) => d.id);
  await run(`get (GET /tasks/{id} of ${ids.length} real schedules)`, { paths: ids.map((id) => `/api/v1/scheduler/tasks/${id}`) });

  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(ids.slice(i, i + 20).map((id) => api.deps.temporal.schedule.getHandle(`sched-${config.mongo.db}-${id}`).delete().catch(() => undefined)));
  }
  console.log(`deleted ${ids.length} schedules`);
} finally {
  await api.shutdown();
  const client = new MongoClient(config.mongo.url);
  await client.connect();
  await client.db(config.mongo.db).dropDatabase();
  await client.close();
}
