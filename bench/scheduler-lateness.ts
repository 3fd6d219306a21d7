import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { mintSchedulerToken } from '../src/api/scheduler/auth.js';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { scheduledTimeOf } from '../src/scheduler/contract.js';
import { TaskStore } from '../src/store/tasks.js';
import { createWorkerRuntime } from '../src/worker.js';
import { runScheduleBaseline } from './engine-baseline/schedules.js';
import { argNumber, percentile } from './lib/stats.js';
import { endBenchLeftovers } from './lib/leftovers.js';

// npx tsx bench/scheduler-lateness.ts [--date 40] [--interval 10] [--spread 20]
// Fire lateness of scheduled runs: the command's actual start (the activity's spawn time) minus the scheduled
// time Temporal wrote into the run's workflow id. DATE tasks are spread over `spread` seconds starting 10 s out
// (at least 5 s after each task's creation);
// INTERVAL tasks (60 s, the minimum) fire once about a minute after creation.
// First the bare engine in the same run (bench/engine-baseline/schedules.ts): as many bare schedules, firing
// at the same pace, each starting a workflow that runs one trivial activity.
const dates = argNumber('date', 40);
const intervals = argNumber('interval', 10);
const spread = argNumber('spread', 20);
const tag = randomBytes(4).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'bench-sched-'));
const config = loadConfig({
  overrides: {
    mongo: { db: `bench_sched_${tag}` },
    temporal: { taskQueue: `bench-sched-${tag}` },
    worker: { name: `bench_${tag}`, httpPort: 0 },
    scheduler: { workspaceRoot: root },
  },
});
const logger = createLogger('warn');
const worker = await createWorkerRuntime({ config, logger });
const workerDone = worker.run();
const api = await createApiRuntime({ config, logger, port: 0, kafka: false });
const token = await mintSchedulerToken(config.auth.schedulerJwtSecret, 'bench', 'admin');
const ids: number[] = [];
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api.url}/api/v1/scheduler${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as { data: { id: number } };
};

const line = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, p90 ${percentile(xs, 90).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
const mostInOneSecond = (times: number[]) => {
  const per = new Map<number, number>();
  for (const t of times) {
    const second = Math.floor(t / 1000);
    per.set(second, (per.get(second) ?? 0) + 1);
  }
  return Math.max(0, ...per.values());
};
/** Fire times spread over `spread` seconds from `base`, whole seconds, none sooner than 5 s from now. */
const dateAt = (base: number, i: number) => new Date(Math.ceil(Math.max(base + (i * spread * 1000) / dates, Date.now() + 5000) / 1000) * 1000);

try {
  const engineBase = Date.now() + 8_000;
  // The INTERVAL tasks' first fires come together (created back to back): the baseline's last runs do too.
  const engineTimes = [...Array(dates).keys()].map((i) => dateAt(engineBase, i));
  const burst = new Date(engineBase + spread * 1000 + 2000);
  for (let i = 0; i < intervals; i++) engineTimes.push(new Date(Math.ceil(burst.getTime() / 1000) * 1000 + (i < intervals / 2 ? 0 : 1000)));
  const engine = await runScheduleBaseline({ address: config.temporal.address, fireTimes: engineTimes });

  const base = Date.now() + 10_000;
  for (let i = 0; i < dates; i++) {
    const at = dateAt(base, i).toISOString();
    const r = await call('POST', '/tasks', { name: `date-${i}`, project_id: 1, schedule_type: 'DATE', schedule_config: at, action: { type: 'command', command: 'true' } });
    if (!r.data) throw new Error(`create failed: ${JSON.stringify(r)}`);
    ids.push(r.data.id);
  }
  // An INTERVAL task first fires 60 s after its creation, to the second: half are created just after one whole
  // second and half just after the next, so their fires come in the baseline's two bursts.
  for (let i = 0; i < intervals; i++) {
    if (i === 0 || i === Math.ceil(intervals / 2)) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    const r = await call('POST', '/tasks', { name: `interval-${i}`, project_id: 1, schedule_type: 'INTERVAL', schedule_config: '60', action: { type: 'command', command: 'true' } });
    ids.push(r.data.id);
  }
  const tasks = new TaskStore(api.deps.db);
  const want = dates + intervals;
  const deadline = Date.now() + 180_000;
  let rows = await tasks.find({ kind: 'command', state: 'succeeded' }, { limit: 1000 });
  while (Date.now() < deadline) {
    const distinct = new Set(rows.map((r) => (r.details as { schedule_id: number }).schedule_id));
    if (distinct.size >= want) break;
    await new Promise((r) => setTimeout(r, 1000));
    rows = await tasks.find({ kind: 'command', state: 'succeeded' }, { limit: 1000 });
  }
  const lateness: number[] = [];
  const toWorkflow: number[] = [];
  const fireSeconds: number[] = [];
  const seen = new Set<number>();
  for (const r of rows.sort((a, b) => a.create_time.getTime() - b.create_time.getTime())) {
    const d = r.details as { schedule_id: number; started_at: string };
    if (seen.has(d.schedule_id)) continue; // the first fire of each task
    seen.add(d.schedule_id);
    const at = scheduledTimeOf(r.task_id);
    const scheduled = at ? new Date(at) : null;
    if (scheduled) fireSeconds.push(scheduled.getTime());
    if (scheduled && d.started_at) lateness.push(new Date(d.started_at).getTime() - scheduled.getTime());
    // create_time is the workflow's first task (workflow time): the engine's share of the lateness.
    if (scheduled) toWorkflow.push(r.create_time.getTime() - scheduled.getTime());
  }
  console.log(`bare engine (bench/engine-baseline/schedules.ts), ${engine.activityMs.length} of ${engineTimes.length} runs:`);
  console.log(`  activity start:       ${line(engine.activityMs)}`);
  console.log(`  first workflow task:  ${line(engine.workflowMs)}`);
  console.log(`scheduler fire lateness (command start − scheduled time), ${lateness.length} runs (${dates} DATE + ${intervals} INTERVAL):`);
  console.log(`  command start:        ${line(lateness)}`);
  console.log(`  first workflow task:  ${line(toWorkflow)}`);
  console.log(`  most fires in one second: engine ${mostInOneSecond(engineTimes.map((t) => t.getTime()))}, ours ${mostInOneSecond(fireSeconds)}`);
  const ratio = (p: number) => (percentile(lateness, p) / percentile(engine.activityMs, p)).toFixed(2);
  console.log(`ratio command start / bare engine activity start: p50 ${ratio(50)}×, p99 ${ratio(99)}×`);
  const load = (await import('node:os')).loadavg();
  console.log(`  host load average at the end: ${load.map((l) => l.toFixed(1)).join(' ')} (${(await import('node:os')).cpus().length} cores)`);
} finally {
  for (const id of ids) await call('DELETE', `/tasks/${id}`).catch(() => undefined);
  await api.shutdown();
  await worker.shutdown();
  await workerDone;
  await endBenchLeftovers(config);
  const client = new MongoClient(config.mongo.url);
  await client.connect();
  await client.db(config.mongo.db).dropDatabase();
  await client.close();
  rmSync(root, { recursive: true, force: true });
}
