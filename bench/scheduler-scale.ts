import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { mintSchedulerToken } from '../src/api/scheduler/auth.js';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { scheduledTimeOf } from '../src/scheduler/contract.js';
import { TaskStore } from '../src/store/tasks.js';
import { createWorkerRuntime } from '../src/worker.js';
import { createBaselineActivities, type StartNotes } from './engine-baseline/activities.js';
import { connectBaseline } from './engine-baseline/index.js';
import type { baselineScheduledCommandWorkflow } from './engine-baseline/workflows.js';
import { formatCpuPer, measureCpu } from './lib/cpu.js';
import { closedLoop, loadAverage, pacedLoop } from './lib/harness.js';
import { argNumber, mapLimit, percentile } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/scheduler-scale.ts [--tasks 1000] [--minutes 10] [--rate 2] [--command true]
// Many scheduler tasks firing every minute at once, against as many bare Temporal schedules at the same pace.
// Ours: `tasks` CRON tasks `* * * * *` (one run a minute each, at second 0) created through the API, run by one
// worker of this repo; each run executes `command` in its workspace. Bare, same run, same process, same
// minutes: as many Temporal schedules with the same cron shifted to second 30 (so the two bursts of a minute do
// not land on the same second), the same overlap policy (SKIP) and catch-up window (1 minute), each starting a
// plain workflow whose one activity spawns the same command through `sh -c`, on a plain worker with the same
// activity slots. Both arms run together for `minutes` whole minutes: the machine's load (other engineers'
// work, the other arm's burst) lands on both alike; the machine carries 2 × tasks fires a minute.
// Lateness: the command's start minus the run's scheduled time (which Temporal writes into the run's workflow
// id): ours from the execution records (`details.started_at`), bare from the activity itself. A fire of the
// window that never started within a minute after the window is counted as missed (SKIP drops a fire while
// the task's previous run still runs; the catch-up window drops one the engine could not start within a minute).
// Meanwhile `rate` requests a second alternate between `GET /tasks` (a random page of 20) and
// `GET /tasks/{id}` (a random task), timed at the client.
// Point TEMPORAL_ADDRESS / MONGO_URL at another stack to measure there (bench/engines.ts runs it on both engines).
const taskCount = argNumber('tasks', 1000);
const minutes = argNumber('minutes', 10);
const rate = argNumber('rate', 2);
const commandArg = process.argv.indexOf('--command');
const command = commandArg > 0 ? process.argv[commandArg + 1]! : 'true';
const tag = randomBytes(4).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'bench-sched-scale-'));
const config = loadConfig({
  env: { ...process.env, LOG_LEVEL: 'warn' },
  overrides: {
    mongo: { db: `bench_schedscale_${tag}` },
    temporal: { taskQueue: `bench-schedscale-${tag}` },
    worker: { name: `bench_ss_${tag}`, httpPort: 0 },
    scheduler: { workspaceRoot: root },
  },
});
const logger = createLogger('warn');
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
log(`scheduler-scale: ${taskCount} tasks a side, every minute for ${minutes} min, ${rate} API reads/s; Temporal ${config.temporal.address}; load average ${await loadAverage()}`);

const worker = await createWorkerRuntime({ config, logger });
const workerDone = worker.run();
const api = await createApiRuntime({ config, logger, port: 0, kafka: false });
const token = await mintSchedulerToken(config.auth.schedulerJwtSecret, 'bench', 'admin');
const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: { data?: { id: number } } }> => {
  const res = await fetch(`${api.url}/api/v1/scheduler${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
    // A read that takes longer counts as failed: the sampler must not outlive the window it samples.
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: (await res.json()) as { data?: { id: number } } };
};

const notes: StartNotes = new Map();
const bareQueue = `bench-bare-sched-${tag}`;
const bare = await connectBaseline(config.temporal.address, config.temporal.namespace, bareQueue, createBaselineActivities(notes), config.worker.maxConcurrentActivities);
const bareRun = bare.worker.run();
const bareIds: string[] = [];

const line = (xs: number[]) =>
  xs.length ? `p50 ${percentile(xs, 50).toFixed(0)} ms, p90 ${percentile(xs, 90).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms` : 'none';

try {
  // Ours: created through the API, as a user would, 8 at a time; a 503 (a loaded machine) is retried.
  const ids: number[] = [];
  const created = await closedLoop('create', taskCount, 8, async (i) => {
    for (let attempt = 1; ; attempt++) {
      const r = await call('POST', '/tasks', { name: `scale-${i}`, project_id: 1, schedule_type: 'CRON', schedule_config: '* * * * *', action: { type: 'command', command } });
      if (r.status === 200 && r.json.data) return void ids.push(r.json.data.id);
      if (r.status !== 503 || attempt >= 5) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.json)}`);
      await new Promise((res) => setTimeout(res, 500 * attempt));
    }
  });
  log(`created ${ids.length} tasks in ${created.seconds.toFixed(1)} s (${created.failures} failed), p50 ${percentile(created.latenciesMs, 50).toFixed(0)} ms`);
  // Bare: the same cron at second 30, same policies.
  await closedLoop('bare create', taskCount, 8, async (i) => {
    const scheduleId = `${bareQueue}-${i}`;
    await bare.client.schedule.create({
      scheduleId,
      spec: { calendars: [{ second: 30, minute: '*', hour: '*' }], timezone: 'UTC' },
      action: { type: 'startWorkflow', workflowType: 'baselineScheduledCommandWorkflow', workflowId: scheduleId, taskQueue: bareQueue, args: [command] as Parameters<typeof baselineScheduledCommandWorkflow> },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute', pauseOnFailure: false },
    });
    bareIds.push(scheduleId);
  });
  log(`created ${bareIds.length} bare schedules`);

  // The window: whole minutes from the first one that starts at least 5 s from now.
  const t0 = Math.ceil((Date.now() + 5000) / 60_000) * 60_000;
  const windowEnd = t0 + minutes * 60_000; // scheduled times in [t0, windowEnd)
  log(`window ${new Date(t0).toISOString()} – ${new Date(windowEnd).toISOString()} (load average ${await loadAverage()})`);
  await new Promise((r) => setTimeout(r, t0 - Date.now()));
  const loadAtStart = await loadAverage();

  const listMs: number[] = [];
  const getMs: number[] = [];
  let readFailures = 0;
  const reads = Math.floor(((windowEnd - Date.now()) / 1000) * rate);
  const { cpu } = await measureCpu(async () => {
    await pacedLoop('reads', reads, rate, 20, async (i) => {
      const t = performance.now();
      const list = i % 2 === 0;
      const path = list ? `/tasks?page=${1 + Math.floor(Math.random() * Math.ceil(taskCount / 20))}&size=20` : `/tasks/${ids[Math.floor(Math.random() * ids.length)]}`;
      const r = await call('GET', path).catch(() => ({ status: 0 }));
      if (r.status !== 200) return void readFailures++;
      (list ? listMs : getMs).push(performance.now() - t);
    });
    // A fire of the window's last minute may start up to a minute late before it counts as missed.
    await new Promise((r) => setTimeout(r, Math.max(0, windowEnd + 30_000 + 60_000 - Date.now())));
  });
  const loadAtEnd = await loadAverage();

  // Ours fire at second 0 of the window's minutes, the bare schedules at second 30.
  const inWindow = (at: number, shift: number) => at >= t0 + shift && at < windowEnd + shift;
  const tasks = new TaskStore(api.deps.db);
  const rows = await tasks.find({ kind: 'command' }, { limit: 1_000_000 });
  const ours: number[] = [];
  const oursWorkflow: number[] = [];
  for (const r of rows) {
    const at = Date.parse(scheduledTimeOf(r.task_id) ?? '');
    if (Number.isNaN(at) || !inWindow(at, 0)) continue;
    const started = (r.details as { started_at?: string }).started_at;
    if (started) ours.push(Date.parse(started) - at);
    oursWorkflow.push(r.create_time.getTime() - at);
  }
  const bareMs: number[] = [];
  const bareWorkflow: number[] = [];
  for (const [workflowId, n] of notes) {
    const at = Date.parse(scheduledTimeOf(workflowId) ?? '');
    if (Number.isNaN(at) || !inWindow(at, 30_000)) continue;
    bareMs.push(n.activityMs - at);
    bareWorkflow.push(n.workflowMs - at);
  }
  const expected = taskCount * minutes;
  log(`load average at the window's start ${loadAtStart}, a minute after its end ${loadAtEnd}`);
  console.log(`bare schedules (cron second 30), ${bareMs.length} of ${expected} fires started (${expected - bareMs.length} missed):`);
  console.log(`  command start − scheduled:     ${line(bareMs)}`);
  console.log(`  first workflow task:           ${line(bareWorkflow)}`);
  console.log(`ours (CRON tasks, second 0), ${ours.length} of ${expected} fires started (${expected - ours.length} missed):`);
  console.log(`  command start − scheduled:     ${line(ours)}`);
  console.log(`  first workflow task:           ${line(oursWorkflow)}`);
  const ratio = (p: number) => (percentile(ours, p) / percentile(bareMs, p)).toFixed(2);
  console.log(`ratio ours / bare command-start lateness: p50 ${ratio(50)}×, p99 ${ratio(99)}×`);
  console.log(`API reads meanwhile (${rate}/s target, ${readFailures} failed): list ${line(listMs)}; get ${line(getMs)}`);
  console.log(`  ${formatCpuPer(cpu, Math.max(1, ours.length + bareMs.length), 'fire (both arms)')}`);
  console.log(
    `SUMMARY tasks=${taskCount} minutes=${minutes} ours_p50=${percentile(ours, 50).toFixed(0)} ours_p99=${percentile(ours, 99).toFixed(0)} ours_missed=${expected - ours.length} bare_p50=${percentile(bareMs, 50).toFixed(0)} bare_p99=${percentile(bareMs, 99).toFixed(0)} bare_missed=${expected - bareMs.length} list_p50=${percentile(listMs, 50).toFixed(0)} list_p99=${percentile(listMs, 99).toFixed(0)} get_p50=${percentile(getMs, 50).toFixed(0)} get_p99=${percentile(getMs, 99).toFixed(0)}`,
  );
} finally {
  log('cleaning up');
  await mapLimit(bareIds, 16, (id) => bare.client.schedule.getHandle(id).delete().catch(() => undefined));
  bare.worker.shutdown();
  await bareRun;
  await bare.close();
  await api.shutdown();
  await worker.shutdown();
  await workerDone;
  await endBenchRun(config);
  rmSync(root, { recursive: true, force: true });
}
process.exit(0);
