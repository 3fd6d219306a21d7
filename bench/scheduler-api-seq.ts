import { randomBytes } from 'node:crypto';
import { mintSchedulerToken } from '../src/api/scheduler/auth.js';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { ScheduleStore } from '../src/store/schedules.js';
import { argNumber, percentile } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/scheduler-api-seq.ts [--tasks 2000] [--requests 30]
// One request at a time (no load generator): create / list / get latency with `tasks` tasks of one owner.
const total = argNumber('tasks', 2000);
const requests = argNumber('requests', 30);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({ overrides: { mongo: { db: `bench_schedseq_${tag}` }, temporal: { taskQueue: `bench-schedseq-${tag}` } } });
const api = await createApiRuntime({ config, logger: createLogger('warn'), port: 0, kafka: false });
const token = await mintSchedulerToken(config.auth.schedulerJwtSecret, 'bench', 'admin');
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const store = new ScheduleStore(api.deps.db);
await store.ensureIndexes();
const created: number[] = [];
try {
  const now = new Date();
  const seed = [...Array(total).keys()].map((i) => ({
    id: 1_000_000 + i, owner: 'bench', name: `seed-${i}`, description: null, project_id: 1, schedule_type: 'CRON' as const, schedule_config: '0 2 * * *',
    is_active: true, timeout_seconds: 3600, max_instances: 1, retry_count: 0, priority: 0, action: null, spec_anchor: now, created_at: now, updated_at: now,
  }));
  for (let i = 0; i < seed.length; i += 1000) await store.collection.insertMany(seed.slice(i, i + 1000));
  const time = async (fn: () => Promise<Response>) => {
    const t0 = performance.now();
    const res = await fn();
    const body = (await res.json()) as { data?: { id: number } };
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, body };
  };
  const report = (label: string, xs: number[]) => console.log(`${label}: ${xs.length} requests, p50 ${percentile(xs, 50).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms`);
  const c: number[] = [];
  for (let i = 0; i < requests; i++) {
    const r = await time(() => fetch(`${api.url}/api/v1/scheduler/tasks`, { method: 'POST', headers, body: JSON.stringify({ name: `b-${tag}-${i}`, project_id: 1, schedule_type: 'CRON', schedule_config: '0 3 * * *', is_active: false }) }));
    c.push(r.ms);
    created.push(r.body.data!.id);
  }
  report(`create (${total} tasks)`, c);
  const l: number[] = [];
  for (let i = 0; i < requests; i++) l.push((await time(() => fetch(`${api.url}/api/v1/scheduler/tasks?page=${1 + Math.floor(Math.random() * (total / 20))}&size=20`, { headers }))).ms);
  report(`list size=20 (${total} tasks)`, l);
  const g: number[] = [];
  for (let i = 0; i < requests; i++) g.push((await time(() => fetch(`${api.url}/api/v1/scheduler/tasks/${created[i % created.length]}`, { headers }))).ms);
  report('get', g);
  console.log('no ratio: scheduler-api-seq has no baseline. It gives the latency of one request at a time with nothing else in flight; the like-for-like comparison of creates (bare Hono + schedule.create over the same HTTP transport) is bench/scheduler-api.ts, and Temporal has no list or get of our tasks to compare with.');
} finally {
  for (const id of created) await api.deps.temporal.schedule.getHandle(`sched-${config.mongo.db}-${id}`).delete().catch(() => undefined);
  await api.shutdown();
  await endBenchRun(config);
}
