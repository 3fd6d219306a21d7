import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintSchedulerToken } from '../src/api/scheduler/auth.js';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { scheduledTimeOf } from '../src/scheduler/contract.js';
import { TaskStore } from '../src/store/tasks.js';
import { createWorkerRuntime } from '../src/worker.js';
import { runScheduleBaseline } from './engine-baseline/schedules.js';
import { formatCpuPer, measureCpu } from './lib/cpu.js';
import { figures, interleaved, loadAverage, type Measured } from './lib/harness.js';
import { argNumber, percentile } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/scheduler-lateness.ts [--date 10] [--interval 2] [--spread 10]
// Fire lateness of scheduled runs: the command's actual start (the activity's spawn time) minus the scheduled
// time Temporal wrote into the run's workflow id. DATE tasks are spread over `spread` seconds starting 10 s out
// (at least 5 s after each task's creation); INTERVAL tasks (60 s, the minimum) fire once about a minute after
// creation, in two bursts (half created just after one whole second, half just after the next).
// The baseline (bench/engine-baseline/schedules.ts): as many bare schedules with a DATE task's spec, firing at
// the same pace (the DATE fires spread alike, the INTERVAL fires as the same two bursts), each starting a
// workflow that runs one trivial activity. Both sides run in halves, A B B A (bench/lib/harness.ts), in the
// same process run; each half's tasks are deleted after their first fire, so no half loads the next.
const dates = argNumber('date', 10);
const intervals = argNumber('interval', 2);
const spread = argNumber('spread', 10);
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
/** Fire times of `n` DATE runs spread over `spread` seconds from `base`, whole seconds, none sooner than 5 s from now. */
const dateAt = (base: number, i: number, n: number) => new Date(Math.ceil(Math.max(base + (i * spread * 1000) / n, Date.now() + 5000) / 1000) * 1000);
/** The DATE runs of a side's half (the rest of its units are INTERVAL runs): its first half gets the odd one. */
const halvesDone = { ours: 0, baseline: 0 };
const datesOf = (side: 'ours' | 'baseline', units: number) => Math.min(units, halvesDone[side]++ === 0 ? Math.ceil(dates / 2) : Math.floor(dates / 2));

/** The first workflow task of each run, per side (ms after the scheduled time): printed beside the lateness. */
const toWorkflow = { ours: [] as number[], baseline: [] as number[] };
const fireSeconds = { ours: [] as number[], baseline: [] as number[] };

/** Our half: DATE and INTERVAL tasks through the scheduler API, lateness from the command's recorded start. */
async function oursHalf(units: number): Promise<Measured> {
  const nDates = datesOf('ours', units);
  const nIntervals = units - nDates;
  const { result, cpu } = await measureCpu(async () => {
    const started = performance.now();
    const half: number[] = [];
    const base = Date.now() + 10_000;
    for (let i = 0; i < nDates; i++) {
      const at = dateAt(base, i, nDates).toISOString();
      const r = await call('POST', '/tasks', { name: `date-${ids.length}`, project_id: 1, schedule_type: 'DATE', schedule_config: at, action: { type: 'command', command: 'true' } });
      if (!r.data) throw new Error(`create failed: ${JSON.stringify(r)}`);
      ids.push(r.data.id);
      half.push(r.data.id);
    }
    // An INTERVAL task first fires 60 s after its creation, to the second: half are created just after one
    // whole second and half just after the next, so their fires come in the baseline's two bursts.
    for (let i = 0; i < nIntervals; i++) {
      if (i === 0 || i === Math.ceil(nIntervals / 2)) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
      const r = await call('POST', '/tasks', { name: `interval-${ids.length}`, project_id: 1, schedule_type: 'INTERVAL', schedule_config: '60', action: { type: 'command', command: 'true' } });
      if (!r.data) throw new Error(`create failed: ${JSON.stringify(r)}`);
      ids.push(r.data.id);
      half.push(r.data.id);
    }
    const mine = new Set(half);
    const tasks = new TaskStore(api.deps.db);
    const deadline = Date.now() + 180_000;
    const firsts = async () => {
      const rows = await tasks.find({ kind: 'command', state: 'succeeded' }, { limit: 1000 });
      const first = new Map<number, (typeof rows)[number]>();
      for (const r of rows.sort((a, b) => a.create_time.getTime() - b.create_time.getTime())) {
        const id = (r.details as { schedule_id: number }).schedule_id;
        if (mine.has(id) && !first.has(id)) first.set(id, r); // the first fire of each task
      }
      return first;
    };
    let first = await firsts();
    while (first.size < half.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      first = await firsts();
    }
    // Done with this half's tasks: an INTERVAL task would fire again in the next half.
    for (const id of half) await call('DELETE', `/tasks/${id}`).catch(() => undefined);
    const lateness: number[] = [];
    for (const r of first.values()) {
      const d = r.details as { started_at: string };
      const at = scheduledTimeOf(r.task_id);
      if (!at) continue;
      const scheduled = new Date(at).getTime();
      fireSeconds.ours.push(scheduled);
      if (d.started_at) lateness.push(new Date(d.started_at).getTime() - scheduled);
      // create_time is the workflow's first task (workflow time): the engine's share of the lateness.
      toWorkflow.ours.push(r.create_time.getTime() - scheduled);
    }
    return { lateness, failures: half.length - lateness.length, seconds: (performance.now() - started) / 1000 };
  });
  return { label: 'scheduler (command start)', latenciesMs: result.lateness, seconds: result.seconds, failures: result.failures, cpu };
}

/** The baseline's half: bare schedules at the same pace as our half (same DATE spread, the INTERVAL bursts). */
async function baselineHalf(units: number): Promise<Measured> {
  const nDates = datesOf('baseline', units);
  const nIntervals = units - nDates;
  const { result, cpu } = await measureCpu(async () => {
    const started = performance.now();
    const base = Date.now() + 10_000;
    const times = [...Array(nDates).keys()].map((i) => dateAt(base, i, nDates));
    // Our INTERVAL tasks are created after the DATE tasks and fire a minute later: here, two bursts after the
    // DATE fires (the baseline does not wait out the minute; the fire is what is measured).
    const burst = Math.ceil((base + spread * 1000 + 2000) / 1000) * 1000;
    for (let i = 0; i < nIntervals; i++) times.push(new Date(burst + (i < Math.ceil(nIntervals / 2) ? 0 : 1000)));
    const engine = await runScheduleBaseline({ address: config.temporal.address, fireTimes: times });
    toWorkflow.baseline.push(...engine.workflowMs);
    fireSeconds.baseline.push(...times.map((t) => t.getTime()));
    return { lateness: engine.activityMs, failures: times.length - engine.activityMs.length, seconds: (performance.now() - started) / 1000 };
  });
  return { label: 'bare schedules (activity start)', latenciesMs: result.lateness, seconds: result.seconds, failures: result.failures, cpu };
}

try {
  console.log(`scheduler-lateness: ${dates} DATE + ${intervals} INTERVAL runs a side, DATE fires spread over ${spread} s, A B B A halves, load average ${await loadAverage()}`);
  const { ours, baseline } = await interleaved(dates + intervals, oursHalf, baselineHalf);
  for (const [side, m] of [['baseline', baseline], ['ours', ours]] as const) {
    console.log(`${m.label}: ${m.latenciesMs.length} of ${dates + intervals} runs${m.failures ? `, ${m.failures} missing` : ''}`);
    console.log(`  lateness (start − scheduled time): ${line(m.latenciesMs)}`);
    console.log(`  first workflow task:               ${line(toWorkflow[side])}`);
    console.log(`  most fires in one second: ${mostInOneSecond(fireSeconds[side])}`);
    console.log(`  ${formatCpuPer(m.cpu, Math.max(1, m.latenciesMs.length), 'run')}`);
  }
  const o = figures(ours);
  const b = figures(baseline);
  const ratio = (p: number) => (percentile(ours.latenciesMs, p) / percentile(baseline.latenciesMs, p)).toFixed(2);
  console.log(
    `ratio ${ours.label} / ${baseline.label} (${dates + intervals} runs each at the same pace, A B B A, same run): lateness p50 ${ratio(50)}×, p99 ${ratio(99)}×, CPU per run ${(o.cpuMsPerUnit / b.cpuMsPerUnit).toFixed(2)}×`,
  );
  console.log(`  load average at the end: ${await loadAverage()} (${cpus().length} cores)`);
} finally {
  for (const id of ids) await call('DELETE', `/tasks/${id}`).catch(() => undefined);
  await api.shutdown();
  await worker.shutdown();
  await workerDone;
  await endBenchRun(config);
  rmSync(root, { recursive: true, force: true });
}
