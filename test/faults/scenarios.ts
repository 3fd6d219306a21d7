/**
 * The fault scenarios of issue #8, each run under mixed load across the four dialects against a private
 * deployment (its own stack, real api/worker processes). A scenario answers its figures, one row per fault.
 * `npm run test:faults` gives each scenario a fresh deployment and the full load; the short versions in
 * `npm test` (test/integration/faults.test.ts) run several scenarios one after another on one deployment.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { createKafka } from '../../src/kafka/client.js';
import { moveLongLivedToNewCode } from '../../src/temporal/upgrade.js';
import { commandRunCounts, figuresOf, handOffCounts, mirrorDisagreements, waitTerminal, workflowRuns, type Figures } from './audit.js';
import { Deployment, type DeploymentOptions } from './deployment.js';
import { verdict } from './verdict.js';
import { gpuOrderViolations, type OrderEvent } from './gpu-order.js';
import { isDialectEnvelope, type JobKind, type Submission } from './dialects.js';
import { LoadRun, probeRecovery, probesFor, untilProgress, type LoadMix } from './load.js';
import { WORKER_LOST_ATTEMPTS } from '../../src/domain/worker-lost.js';

export interface ScenarioSize {
  name: 'short' | 'full';
  mix: LoadMix;
  /** The load is spread over this long; the fault lands inside it. */
  spreadMs: number;
  /** How long a stopped server stays down. */
  outageMs: number;
  /** How long the Temporal dev server stays down before it is started again. */
  temporalDownMs: number;
  /** Times the API is killed and started again while clients submit. */
  apiKills: number;
  /** Jobs waiting behind the config push on the pinned host whose owner is killed. */
  pinnedBehind: number;
  /** How long jobs may take to end after the fault (generous: a loaded machine is slow, not wrong). */
  drainMs: number;
  sleepSeconds: number;
}

export const SIZES: Record<'short' | 'full', ScenarioSize> = {
  full: {
    name: 'full',
    mix: { 'device-fifo': 60, 'device-pinned': 60, 'device-config': 6, scheduler: 40, gpu: 50, 'service-echo': 60, 'service-kafka': 40, ingest: 40 },
    spreadMs: 45_000,
    outageMs: 30_000,
    temporalDownMs: 10_000,
    apiKills: 3,
    pinnedBehind: 20,
    drainMs: 600_000,
    sleepSeconds: 2,
  },
  short: {
    name: 'short',
    mix: { 'device-fifo': 4, 'device-pinned': 4, 'device-config': 1, scheduler: 3, gpu: 4, 'service-echo': 4, 'service-kafka': 4, ingest: 4 },
    spreadMs: 6000,
    outageMs: 10_000,
    temporalDownMs: 3000,
    apiKills: 1,
    pinnedBehind: 4,
    drainMs: 600_000,
    sleepSeconds: 2,
  },
};

/** One job of each kind, submitted after a fault to measure recovery. */
export const PROBE_KINDS: JobKind[] = ['device-fifo', 'device-pinned', 'scheduler', 'gpu', 'service-echo', 'service-kafka'];

export type Log = (line: string) => void;

export interface ScenarioContext {
  size: ScenarioSize;
  log: Log;
  /** Keep the private stack's logs and data after the scenario (for a post-mortem). */
  keepState?: boolean;
}

export interface Scenario {
  title: string;
  /** The deployment it needs (the short test's shared deployment has all of them: 2 APIs, 2 workers). */
  deployment: Omit<DeploymentOptions, 'tag' | 'log'>;
  run(d: Deployment, ctx: ScenarioContext): Promise<Figures[]>;
}

export function scenarioTag(short: string): string {
  return `${short}${randomBytes(3).toString('hex')}`;
}

/** Deployments up right now: an interrupted run tears them down (`destroyActive`). */
const ACTIVE = new Set<Deployment>();

function isFigures(x: unknown): x is Figures {
  return typeof x === 'object' && x !== null && 'scenario' in x && 'lost' in x && 'duplicated' in x;
}

export async function destroyActive(opts: { keepState?: boolean } = {}): Promise<void> {
  await Promise.all([...ACTIVE].map((d) => d.destroy(opts)));
  ACTIVE.clear();
}

/** The last lines of every log file in `dirs`, each line cut to a readable length. Never throws. */
export function printLogTails(ctx: ScenarioContext, tag: string, dirs: string[], lines = LOG_TAIL_LINES): void {
  for (const dir of dirs) {
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      let text = '';
      try {
        text = readFileSync(join(dir, f), 'latin1');
      } catch {
        continue;
      }
      const tail = text.split('\n').filter((l) => l.trim() !== '').slice(-lines);
      ctx.log(`[${tag}] --- ${f}, last ${tail.length} line(s):`);
      for (const l of tail) ctx.log(`[${tag}]   ${l.length > LOG_LINE_CHARS ? `${l.slice(0, LOG_LINE_CHARS)}…` : l}`);
    }
  }
}
const LOG_TAIL_LINES = 25;
const LOG_LINE_CHARS = 400;

/**
 * Runs `fn` against a fresh deployment and always tears it down, also when `fn` throws. A scenario that throws,
 * or whose figures fail the verdict, prints the end of its processes' and servers' logs first.
 */
export async function withDeployment<T>(ctx: ScenarioContext, opts: DeploymentOptions, fn: (d: Deployment) => Promise<T>): Promise<T> {
  const d = await Deployment.create({ log: ctx.log, ...opts });
  ACTIVE.add(d);
  let failed = true;
  try {
    await d.start();
    const out = await fn(d);
    failed = (Array.isArray(out) ? out : [out]).some((f) => isFigures(f) && verdict(f).length > 0);
    return out;
  } finally {
    if (failed) {
      ctx.log(`[${opts.tag}] failed; logs in ${d.runDir}/logs and ${d.stack.stateDir}/logs${ctx.keepState ? '' : ' (removed: --keep-state keeps them)'}`);
      // CI keeps only the output: the end of every log goes there before the logs are removed.
      printLogTails(ctx, opts.tag, [join(d.runDir, 'logs'), join(d.stack.stateDir, 'logs')]);
    }
    ACTIVE.delete(d);
    await d.destroy({ keepState: ctx.keepState ?? false });
  }
}

/** Waits for the jobs to end, then judges them (dialect views, Temporal, the mirror, the topic, the SSH target). */
export async function audit(d: Deployment, ctx: ScenarioContext, scenario: string, subs: Submission[], recoverySeconds: number | null, notes: string[] = []): Promise<Figures> {
  const started = Date.now();
  const views = await waitTerminal(d.clients, subs, ctx.size.drainMs);
  ctx.log(`[${d.opts.tag}] ${scenario}: jobs settled ${((Date.now() - started) / 1000).toFixed(1)} s after the load`);
  const temporal = d.temporal!.client;
  const db = d.mongo!.db(d.config.mongo.db);
  // The mirror may still be catching up: a reconciliation pass runs every 5 s here and ends a record without a
  // workflow once it is 60 s old (RECONCILE_ORPHAN_SECONDS in deployment.ts). Give it that long and more.
  let runs = await workflowRuns(temporal);
  let mirror = await mirrorDisagreements(temporal, db, runs);
  const deadline = Date.now() + 180_000;
  while (mirror.length > 0 && Date.now() < deadline) {
    await sleep(3000);
    runs = await workflowRuns(temporal);
    mirror = await mirrorDisagreements(temporal, db, runs);
  }
  const handOffs = handOffCounts(d.stack.brokers, d.serviceTopic);
  const commandRuns = await commandRunCounts(d.runsFile);
  const http = d.clients.http.counters;
  const mod = d.module!.http.counters;
  const other5xx = [...d.clients.http.fiveHundreds, ...d.module!.http.fiveHundreds].filter((x) => x.status !== 503);
  const figures = figuresOf({
    scenario,
    subs,
    views,
    runs,
    handOffs,
    commandRuns,
    mirror,
    http: { '5xx': http['5xx'] + mod['5xx'], '503': http['503'] + mod['503'], noAnswer: http.noAnswer + mod.noAnswer },
    recoverySeconds,
    notes,
  });
  // A 5xx other than a 503 (a dependency is down, try again) is a crash in all but name.
  for (const x of other5xx.slice(0, 5)) figures.problems.push(`${x.status} answer: ${x.method} ${x.path} ${x.body}`);
  const byPath = new Map<string, number>();
  for (const x of [...d.clients.http.fiveHundreds, ...d.module!.http.fiveHundreds]) {
    const key = `${x.status} ${x.method} ${x.path.replace(/\/(task_|job_|ts_)[^/]+/, '/$1…').replace(/\/\d+(?=\/|$)/, '/N')}: ${x.body.slice(0, 80)}`;
    byPath.set(key, (byPath.get(key) ?? 0) + 1);
  }
  for (const [k, n] of [...byPath].sort((a, b) => b[1] - a[1]).slice(0, 6)) figures.notes.push(`5xx ×${n}: ${k}`);
  for (const r of d.module!.refused.splice(0)) figures.problems.push(`the module's report was refused: ${r.taskId} ${r.status} ${JSON.stringify(r.body)}`);
  d.clients.http.resetCounters();
  d.module!.http.resetCounters();
  return figures;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits until `fn` answers something truthy (polling), or throws after `ms`. */
async function until<T>(what: string, ms: number, fn: () => Promise<T | null | undefined | false>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function startLoad(d: Deployment, ctx: ScenarioContext, ingestRetryShare = 0.2): LoadRun {
  return new LoadRun(d.clients, { mix: ctx.size.mix, spreadMs: ctx.size.spreadMs, sleepSeconds: ctx.size.sleepSeconds, ingestRetryShare });
}

// ---------------------------------------------------------------------------------------------------------------
// 1. SIGKILL a worker mid-run, then the worker that owns a pinned host while its lane has waiting jobs.

async function workerKill(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  const tag = d.opts.tag;
  const out: Figures[] = [];
  // (a) a plain worker, while jobs of every kind run on it.
  const load = startLoad(d, ctx);
  await untilProgress(load, 0.35);
  const victim = await until('a fifo job running on a worker', 120_000, async () => {
    const running = load.subs.filter((s) => s.kind === 'device-fifo' && s.accepted);
    const views = await d.clients.view('device-fifo', running.map((s) => s.id!));
    return views.find((v) => v.status === 'started' && v.worker)?.worker ?? null;
  });
  const proc = d.workers.find((w) => w.name === victim)!;
  proc.kill();
  ctx.log(`[${tag}] SIGKILL worker ${victim} (pid ${proc.pids.at(-1)}) at ${Math.round(load.progress * 100)}% of the load`);
  const probeSubs: Submission[] = [];
  const recovery = await probeRecovery(d.clients, probesFor(d.clients, PROBE_KINDS), ctx.size.drainMs, probeSubs, ctx.log);
  await load.done;
  // It comes back (as a supervisor would restart it): the next fault needs two workers again.
  await proc.restart();
  out.push(await audit(d, ctx, '1a. SIGKILL a worker mid-run', [...load.subs, ...probeSubs], recovery, [`killed ${victim} while it ran jobs`]));

  // (b) the owner of a pinned host, while a config push runs there and jobs wait behind it.
  const dev = d.devices[0]!;
  const first = await d.clients.submitPinned(0, 'show clock');
  const owner = await until('the pinned host to have an owner', 120_000, async () => {
    const [v] = await d.clients.view('device-pinned', [first.id!]);
    return v?.terminal ? v.worker : null;
  });
  const subs: Submission[] = [first];
  for (let i = 0; i < 3; i++) subs.push(await d.clients.submitPinned(0, 'show clock'));
  const config = await d.clients.submitPinned(0, null);
  subs.push(config);
  for (let i = 0; i < ctx.size.pinnedBehind; i++) subs.push(await d.clients.submitPinned(0, 'show clock'));
  await until('the config push to start', 120_000, async () => {
    const [v] = await d.clients.view('device-config', [config.id!]);
    return v?.status === 'started' ? v : null;
  });
  const ownerProc = d.workers.find((w) => w.name === owner)!;
  ownerProc.kill();
  ctx.log(`[${tag}] SIGKILL pinned owner ${owner} of ${dev.host} while its config push ran and ${ctx.size.pinnedBehind} jobs waited`);
  const recoveryB = await probeRecovery(d.clients, [() => d.clients.submitPinned(0, 'show clock')], ctx.size.drainMs, subs, ctx.log);
  await ownerProc.restart();
  const figures = await audit(d, ctx, '1b. SIGKILL the owner of a pinned host', subs, recoveryB, [`killed ${owner}, owner of pinned_${dev.host}`]);
  const [cv] = await d.clients.view('device-config', [config.id!]);
  figures.notes.push(`the config push that was running ended ${cv?.status} ${cv?.error ?? ''}`.trim());
  out.push(figures);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. SIGKILL the API and start it again while clients submit.

async function apiKill(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  const tag = d.opts.tag;
  const load = startLoad(d, ctx, 0.3);
  const api = d.apis[0]!;
  const probeSubs: Submission[] = [];
  let recovery: number | null = null;
  for (let k = 1; k <= ctx.size.apiKills; k++) {
    await untilProgress(load, (0.5 * k) / ctx.size.apiKills);
    const killedAt = Date.now();
    await api.killAndWait();
    ctx.log(`[${tag}] SIGKILL ${api.name} (pid ${api.pids.at(-1)}) at ${Math.round(load.progress * 100)}% of the load; clients keep submitting`);
    await sleep(2000);
    await api.start();
    ctx.log(`[${tag}] ${api.name} back ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
    const r = await probeRecovery(d.clients, probesFor(d.clients, PROBE_KINDS), ctx.size.drainMs, probeSubs, ctx.log);
    recovery = r === null || recovery === null ? (recovery ?? r) : Math.max(recovery, r);
  }
  await load.done;
  const unanswered = load.subs.filter((s) => !s.accepted);
  return [
    await audit(d, ctx, '2. SIGKILL and restart the API while clients submit', [...load.subs, ...probeSubs], recovery, [
      `${ctx.size.apiKills} kill(s); ${unanswered.length} submissions got no success answer meanwhile (not counted as accepted)`,
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Stop the MongoDB-wire server (FerretDB) for a while.

async function mongoOutage(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  const tag = d.opts.tag;
  const load = startLoad(d, ctx);
  await untilProgress(load, 0.3);
  const idOf = (k: string) => load.subs.find((s) => s.kind === k && s.accepted)?.id ?? undefined;
  const ids = { device: idOf('device-pinned'), scheduler: idOf('scheduler'), gpu: idOf('gpu'), service: idOf('service-echo') };
  await d.stack.stop('ferretdb');
  const stoppedAt = Date.now();
  ctx.log(`[${tag}] FerretDB stopped at ${Math.round(load.progress * 100)}% of the load`);
  // While it is away: reads in every dialect answer a clear 503 in that dialect's envelope, and no API dies.
  const bad: string[] = [];
  let slowest = 0;
  let reads = 0;
  await sleep(1000);
  while (Date.now() - stoppedAt < ctx.size.outageMs - 2000) {
    for (const r of await d.clients.readEachDialect(ids)) {
      reads++;
      slowest = Math.max(slowest, r.ms);
      if (r.status !== 503 || !isDialectEnvelope(r.dialect, r.body)) bad.push(`${r.dialect}: ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
    }
    await sleep(1000);
  }
  if (!d.apis.every((a) => a.running)) bad.push('an API process died during the outage');
  await sleep(Math.max(0, ctx.size.outageMs - (Date.now() - stoppedAt)));
  await d.stack.start('ferretdb');
  ctx.log(`[${tag}] FerretDB back after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`);
  const probeSubs: Submission[] = [];
  const recovery = await probeRecovery(d.clients, probesFor(d.clients, PROBE_KINDS), ctx.size.drainMs, probeSubs, ctx.log);
  await load.done;
  const f = await audit(d, ctx, `3. FerretDB stopped for ${Math.round(ctx.size.outageMs / 1000)} s`, [...load.subs, ...probeSubs], recovery, [
    `${reads} reads in the four dialects during the outage: ${reads - bad.length} answered 503 in the dialect's envelope; slowest answer ${(slowest / 1000).toFixed(1)} s`,
  ]);
  f.problems.push(...bad.slice(0, 8).map((b) => `outage read not a 503 envelope: ${b}`));
  return [f];
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Stop the Kafka broker for a while.

async function kafkaOutage(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  const tag = d.opts.tag;
  const load = startLoad(d, ctx, 0.3);
  await untilProgress(load, 0.3);
  await d.stack.stop('kafka');
  const stoppedAt = Date.now();
  ctx.log(`[${tag}] Kafka stopped at ${Math.round(load.progress * 100)}% of the load`);
  // create_task for the Kafka-dispatched service while the broker is away: accepted, or refused clearly.
  const during: Submission[] = [];
  while (Date.now() - stoppedAt < ctx.size.outageMs) {
    during.push(await d.clients.submit('service-kafka'));
    await sleep(1000);
  }
  await d.stack.start('kafka');
  ctx.log(`[${tag}] Kafka back after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`);
  const unclear = during.filter((s) => !s.accepted && !(s.status !== undefined && s.status >= 400 && s.status !== 500));
  const probeSubs: Submission[] = [];
  const recovery = await probeRecovery(d.clients, probesFor(d.clients, [...PROBE_KINDS, 'ingest']), ctx.size.drainMs, probeSubs, ctx.log);
  await load.done;
  const f = await audit(d, ctx, `4. Kafka broker stopped for ${Math.round(ctx.size.outageMs / 1000)} s`, [...load.subs, ...during, ...probeSubs], recovery, [
    `create_task (dispatch: kafka) while the broker was down: ${during.filter((s) => s.accepted).length} of ${during.length} accepted, ${unclear.length} unclear answers`,
  ]);
  const lag = await ingestLag(d);
  f.notes.push(`ingest group after the outage: committed offsets ${lag.committed} of ${lag.end} (lag ${lag.end - lag.committed})`);
  if (lag.end !== lag.committed) f.problems.push(`ingest did not resume to the end of its topic: committed ${lag.committed} of ${lag.end}`);
  if (unclear.length > 0) f.problems.push(`${unclear.length} create_task answers during the outage were neither a success nor a clear refusal`);
  return [f];
}

/** The ingest group's committed offsets against the topic's end offsets, summed over partitions. */
async function ingestLag(d: Deployment): Promise<{ committed: number; end: number }> {
  const admin = createKafka(d.config).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ends = await admin.fetchTopicOffsets(d.ingestTopic);
      const [group] = await admin.fetchOffsets({ groupId: d.config.kafka.ingestGroup, topics: [d.ingestTopic] });
      const end = ends.reduce((n, p) => n + Number(p.high), 0);
      const committed = (group?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      if (committed === end || Date.now() > deadline) return { committed, end };
      await sleep(1000);
    }
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Restart the Temporal dev server (its SQLite file persists).

async function temporalRestart(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  const tag = d.opts.tag;
  // Slow GPU nodes, so that tasks wait in the dispatcher's queue when the server goes down.
  const speeds = d.gpuNodes.map((n) => n.opts.completeAfterMs);
  for (const n of d.gpuNodes) n.opts.completeAfterMs = 3000;
  // A task on a schedule that fires every minute: it must keep firing after the restart.
  const cron = await d.clients.submitCron('* * * * *');
  if (!cron.accepted) throw new Error(`could not create the CRON task: ${cron.error}`);
  const load = startLoad(d, ctx);
  await untilProgress(load, 0.5);
  await d.stack.stop('temporal');
  const stoppedAt = Date.now();
  ctx.log(`[${tag}] Temporal stopped at ${Math.round(load.progress * 100)}% of the load`);
  await sleep(ctx.size.temporalDownMs);
  await d.stack.start('temporal');
  ctx.log(`[${tag}] Temporal back after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`);
  const restartedAt = Date.now();
  const probeSubs: Submission[] = [];
  const recovery = await probeRecovery(d.clients, probesFor(d.clients, PROBE_KINDS), ctx.size.drainMs, probeSubs, ctx.log);
  await load.done;
  // The schedule fires again after the restart (within a minute and a bit).
  const fired = await until('the CRON task to fire after the restart', 150_000, async () => {
    const runs = await d.clients.executions(cron.id!);
    return runs.find((r) => r.createdAt > restartedAt && ['SUCCESS', 'FAILED', 'TIMEOUT'].includes(r.status)) ?? null;
  }).catch(() => null);
  await d.clients.pauseTask(cron.id!);
  d.gpuNodes.forEach((n, i) => (n.opts.completeAfterMs = speeds[i]));
  const f = await audit(d, ctx, '5. Temporal dev server restarted', [...load.subs, ...probeSubs], recovery, [
    `down ${Math.round(ctx.size.temporalDownMs / 1000)} s; ${fired ? `the CRON task fired after the restart (${fired.status})` : 'the CRON task did NOT fire after the restart'}`,
  ]);
  if (!fired || fired.status !== 'SUCCESS') f.problems.push('the CRON schedule did not carry on after the restart');
  return [f];
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Two API processes and two workers at once.

async function twoOfEach(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  if (d.apis.length < 2 || d.workers.length < 2) throw new Error('scenario 6 needs two APIs and two workers');
  const load = startLoad(d, ctx);
  await load.done;
  const subs = [...load.subs];
  const priority = await gpuPriorityCheck(d, ctx, subs);
  const f = await audit(d, ctx, '6. two APIs and two workers', subs, null, priority.notes);
  f.problems.push(...priority.problems);
  f.notes.push(`GPU node concurrency: ${d.gpuNodes.map((n) => `${n.opts.gpuId} at most ${n.maxRunning} of ${n.opts.capacity}`).join(', ')}`);
  for (const n of d.gpuNodes) if (n.maxRunning > n.opts.capacity) f.problems.push(`${n.opts.gpuId} ran ${n.maxRunning} tasks at once (capacity ${n.opts.capacity})`);
  const views = await Promise.all(d.apiUrls().map((u) => d.clients.clusterStatus(u)));
  const leaders = new Set(views.map((v) => v.leader));
  const leaderRows = views.map((v) => v.instances.filter((i) => i.role === 'LEADER').length);
  f.notes.push(`cluster: ${views[0]?.instances.length ?? 0} instances listed, leader ${[...leaders].join(' / ')} as each API sees it`);
  if (leaders.size !== 1 || views[0]?.leader === null || leaderRows.some((n) => n !== 1)) f.problems.push(`not exactly one cluster leader: ${JSON.stringify(views)}`);
  return [f];
}

/**
 * Fills every GPU slot with NORMAL tasks, queues more NORMAL tasks, then VIP ones: once the VIP tasks are in, no
 * waiting NORMAL task may be sent to a node before every VIP task has been.
 */
async function gpuPriorityCheck(d: Deployment, ctx: ScenarioContext, sink: Submission[]): Promise<{ notes: string[]; problems: string[] }> {
  const speeds = d.gpuNodes.map((n) => n.opts.completeAfterMs);
  for (const n of d.gpuNodes) n.opts.completeAfterMs = 6000;
  const capacity = d.gpuNodes.reduce((a, n) => a + n.opts.capacity, 0);
  const normals: Submission[] = [];
  const waiting = ctx.size.name === 'full' ? 8 : 4;
  for (let i = 0; i < capacity + waiting; i++) normals.push(await d.clients.submit('gpu', { priority: 0 }));
  await until('every GPU slot to be taken', 120_000, async () => d.gpuNodes.every((n) => n.running.size >= n.opts.capacity));
  // Where the nodes stand before the VIP tasks: the order is judged from here on.
  const start = d.gpuNodes.map((n) => ({ running: [...n.running], received: n.received.length, finished: n.finished.length }));
  const vips: Submission[] = [];
  const vipTimes: Array<[number, number]> = [];
  for (let i = 0; i < (ctx.size.name === 'full' ? 4 : 2); i++) {
    const t0 = Date.now();
    vips.push(await d.clients.submit('gpu', { priority: 5 }));
    vipTimes.push([t0, Date.now()]);
  }
  sink.push(...normals, ...vips);
  const sent = () => new Set(d.gpuNodes.flatMap((n) => n.received.map((r) => r.taskId)));
  await until('the VIP tasks to be sent to nodes', 300_000, async () => vips.every((v) => sent().has(v.id!)));
  d.gpuNodes.forEach((n, i) => (n.opts.completeAfterMs = speeds[i]));
  // Judged on the node's own times and each VIP task's answer: a slot that freed before any VIP task was accepted
  // may go to a NORMAL task chosen before it (the round began first); one that freed after may not.
  const events: OrderEvent[] = [
    ...d.gpuNodes.flatMap((n, i) => [
      ...n.received.slice(start[i]!.received).map((r) => ({ at: r.at, kind: 'sent' as const, gpuId: n.opts.gpuId, taskId: r.taskId })),
      ...n.finished.slice(start[i]!.finished).map((r) => ({ at: r.at, kind: 'finished' as const, gpuId: n.opts.gpuId, taskId: r.taskId })),
    ]),
    ...vips.map((v, i) => ({ at: vipTimes[i]![1], kind: 'accepted' as const, taskId: v.id! })),
  ];
  const vipIds = new Set(d.gpuNodes.flatMap((n) => n.received.filter((r) => r.priority >= 2).map((r) => r.taskId)));
  const jumped = gpuOrderViolations(events, new Map(d.gpuNodes.map((n, i) => [n.opts.gpuId, { capacity: n.opts.capacity, running: start[i]!.running }])), vipIds);
  if (jumped.length > 0 || process.env.SY_GPU_ORDER_TRACE) traceGpuOrder(d, ctx, vipTimes, normals, vips);
  return {
    notes: [`GPU priority: ${vips.length} VIP tasks arriving behind ${waiting} waiting NORMAL tasks were all sent to nodes first: ${jumped.length === 0 ? 'yes' : 'NO'}`],
    problems: jumped.map((n) => `NORMAL task ${n.taskId} took a slot of ${n.gpuId} that freed while VIP task(s) ${n.waitingVips.join(', ')} waited`),
  };
}

/** What the nodes saw around the VIP tasks, for a failed priority check (times relative to the last VIP answer). */
function traceGpuOrder(d: Deployment, ctx: ScenarioContext, vipTimes: Array<[number, number]>, normals: Submission[], vips: Submission[]): void {
  const zero = vipTimes.at(-1)![1];
  const name = new Map<string, string>([...normals.map((n, i) => [n.id!, `N${i}`] as const), ...vips.map((v, i) => [v.id!, `V${i}`] as const)]);
  const rows: Array<[number, string]> = vipTimes.flatMap(([a, b], i) => [[a, `V${i} submitted`], [b, `V${i} answered`]] as Array<[number, string]>);
  for (const n of d.gpuNodes) {
    for (const r of n.received) rows.push([r.at, `sent ${name.get(r.taskId) ?? r.taskId} to ${n.opts.gpuId}`]);
    for (const r of n.finished) rows.push([r.at, `${name.get(r.taskId) ?? r.taskId} finished on ${n.opts.gpuId}`]);
  }
  rows.sort((x, y) => x[0] - y[0]);
  ctx.log(['GPU priority trace (ms after the last VIP answer):', ...rows.filter(([t]) => t > zero - 15_000).map(([t, w]) => `  ${t - zero} ${w}`)].join('\n'));
}

// ---------------------------------------------------------------------------------------------------------------
// 7. A poison pill under load: a job that kills whichever worker runs it.

/** The command word that makes a worker of these deployments die (test/support/poison-hook.mjs). */
export const POISON_MARKER = 'sy-poison-pill';
/** What a deployment's workers need for scenario 7 (the short test's shared deployment sets it too). */
export const POISON_ENV = { SY_TEST_POISON_MARKER: POISON_MARKER };

/** Starts every worker that died again, as a supervisor (systemd, Kubernetes) would; counts the restarts. */
function superviseWorkers(d: Deployment, log: Log): { restarts: () => number; stop: () => Promise<void> } {
  let restarts = 0;
  let stopped = false;
  const busy = new Map<string, Promise<void>>();
  const timer = setInterval(() => {
    for (const w of d.workers) {
      if (stopped || w.running || busy.has(w.name)) continue;
      restarts++;
      log(`[${d.opts.tag}] ${w.name} died (pid ${w.pids.at(-1)}); starting it again`);
      busy.set(
        w.name,
        w
          .start()
          .catch((e: unknown) => log(`[${d.opts.tag}] ${w.name} did not start again: ${(e as Error).message}`))
          .finally(() => busy.delete(w.name)),
      );
    }
  }, 300);
  return {
    restarts: () => restarts,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await Promise.all(busy.values());
    },
  };
}

async function poisonPill(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  const tag = d.opts.tag;
  const supervisor = superviseWorkers(d, ctx.log);
  const load = startLoad(d, ctx);
  await untilProgress(load, 0.3);
  const poison = await d.clients.submitPoison(0, POISON_MARKER);
  if (!poison.accepted) throw new Error(`the poison job was refused: ${poison.error}`);
  ctx.log(`[${tag}] poison job ${poison.id} submitted at ${Math.round(load.progress * 100)}% of the load`);
  const [end] = await until('the poison job to end', ctx.size.drainMs, async () => {
    const views = await d.clients.view('device-pinned', [poison.id!]);
    return views[0]?.terminal ? views : null;
  });
  ctx.log(`[${tag}] poison job ended ${end?.status} ${end?.error ?? ''} after ${supervisor.restarts()} worker restart(s)`);
  const probeSubs: Submission[] = [];
  const recovery = await probeRecovery(d.clients, probesFor(d.clients, PROBE_KINDS), ctx.size.drainMs, probeSubs, ctx.log);
  await load.done;
  const f = await audit(d, ctx, '7. a poison pill under load (a job that kills its worker each attempt)', [...load.subs, poison, ...probeSubs], recovery, [
    `the poison job ended ${end?.status} ${end?.error ?? ''}; workers it killed (restarted by the scenario's supervisor): ${supervisor.restarts()}`,
  ]);
  await supervisor.stop();
  if (end?.error !== 'WorkerLost') f.problems.push(`the poison job ended ${end?.status} ${end?.error ?? ''}, not WorkerLost`);
  if (supervisor.restarts() !== WORKER_LOST_ATTEMPTS) f.problems.push(`the poison job killed ${supervisor.restarts()} workers, not ${WORKER_LOST_ATTEMPTS}`);
  // Every worker alive at the end: running and ready.
  for (const w of d.workers) {
    const ready = w.running && (await fetch(`${w.opts.url}/readyz`).then((r) => r.ok).catch(() => false));
    if (!ready) f.problems.push(`worker ${w.name} is not alive and ready at the end`);
  }
  return [f];
}

// ---------------------------------------------------------------------------------------------------------------
// 8. Upgrade under load: v2 workers (other workflow code, behind a patch) join, the v1 workers drain and stop.

const V2_WORKER = fileURLToPath(new URL('./worker-v2.ts', import.meta.url));
const LONG_LIVED = ['deviceLane', 'gpuDispatcher', 'gpuMonitor'];

/** Workflow tasks that failed with a non-determinism error, in runs started since `since` or still running. */
async function nondeterminismErrors(client: Client, since: Date): Promise<string[]> {
  const found: string[] = [];
  for await (const w of client.workflow.list({ query: `StartTime > '${since.toISOString()}' OR ExecutionStatus = 'Running'` })) {
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const f = e.workflowTaskFailedEventAttributes;
      if (!f) continue;
      const cause = String(f.cause ?? '');
      if (cause === '24' || cause.includes('NON_DETERMINISTIC') || /[Nn]ondeterminism|TMPRL1100/.test(f.failure?.message ?? '')) {
        found.push(`${w.type} ${w.workflowId}: event ${e.eventId}: ${f.failure?.message ?? cause}`);
      }
    }
  }
  return found;
}

/** Running lanes, dispatchers and monitors whose current run has not taken the v2 path (no patch marker). */
async function longLivedOnV1(client: Client): Promise<{ running: Map<string, number>; onV1: string[] }> {
  const running = new Map<string, number>();
  const onV1: string[] = [];
  const types = LONG_LIVED.map((t) => `'${t}'`).join(', ');
  for await (const w of client.workflow.list({ query: `WorkflowType IN (${types}) AND ExecutionStatus = 'Running'` })) {
    running.set(w.type, (running.get(w.type) ?? 0) + 1);
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    if (!(history.events ?? []).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')) onV1.push(`${w.type} ${w.workflowId}`);
  }
  return { running, onV1 };
}

async function upgradeUnderLoad(d: Deployment, ctx: ScenarioContext): Promise<Figures[]> {
  const tag = d.opts.tag;
  const client = d.temporal!.client;
  const since = new Date();
  const v1 = d.workers.filter((w) => w.running);
  // GPU nodes slowed so tasks wait in their dispatcher (not only the API's direct placement): a dispatcher runs.
  const speeds = d.gpuNodes.map((n) => n.opts.completeAfterMs);
  for (const n of d.gpuNodes) n.opts.completeAfterMs = 3000;
  // A first wave on v1 alone; the v2 workers start while it runs (a worker takes seconds to bundle and start).
  const first = startLoad(d, ctx);
  await untilProgress(first, 0.3);
  const v2: string[] = [];
  for (let i = 0; i < v1.length; i++) v2.push((await d.addWorker({ entry: V2_WORKER })).name);
  ctx.log(`[${tag}] v2 workers ${v2.join(', ')} up (first wave at ${Math.round(first.progress * 100)}%); second wave starts, then v1 ${v1.map((w) => w.name).join(', ')} drains`);
  // A second wave while v1 and v2 both run and v1 drains: runs started by v1 go on on v2.
  const second = startLoad(d, ctx);
  // More GPU tasks than the nodes have slots: the rest wait in the type's dispatcher across the upgrade.
  const capacity = d.gpuNodes.reduce((a, n) => a + n.opts.capacity, 0);
  const queued: Submission[] = [];
  for (let i = 0; i < capacity + 4; i++) queued.push(await d.clients.submit('gpu', { priority: i % 2 === 0 ? 0 : 5 }));
  await untilProgress(second, 0.3);
  // A graceful stop (SIGTERM): the worker stops polling, finishes what it runs within its shutdown grace, exits.
  // A third wave goes in while v1 drains: work accepted during the drain must land on v2 too.
  const draining = Promise.all(v1.map((w) => w.stop(60_000)));
  const third = startLoad(d, ctx);
  await draining;
  const duringDrain = third.subs.length;
  d.workers.splice(0, d.workers.length, ...d.workers.filter((w) => w.running));
  ctx.log(`[${tag}] v1 stopped at ${Math.round(second.progress * 100)}% of the second wave; ${duringDrain} job(s) of the third wave submitted during the drain`);
  const moved = await moveLongLivedToNewCode(client, d.config.temporal.taskQueue);
  ctx.log(`[${tag}] moveToNewCode sent to ${moved.signalled.length} lanes, dispatchers and monitors`);
  await Promise.all([first.done, second.done, third.done]);
  const figures = await audit(d, ctx, '8. upgrade under load (v1 → v2 workers)', [...first.subs, ...second.subs, ...queued, ...third.subs], null, [
    `v2 (${v2.length} workers) started during the first wave; v1 (${v1.length}) drained and stopped during the second; ${duringDrain} of the third wave's ${third.subs.length} submissions went in during the drain`,
  ]);
  if (duringDrain === 0) figures.problems.push('no job was submitted while v1 drained');
  d.gpuNodes.forEach((n, i) => (n.opts.completeAfterMs = speeds[i]));
  const state = await until('every lane, dispatcher and monitor to run v2', 120_000, async () => {
    const s = await longLivedOnV1(client);
    return s.onV1.length === 0 ? s : null;
  }).catch(async () => longLivedOnV1(client));
  const nde = await nondeterminismErrors(client, since);
  figures.notes.push(
    `on v2 at the end: ${[...state.running].map(([t, n]) => `${n} ${t}`).join(', ') || 'none running'}; not on v2: ${state.onV1.length}; non-determinism errors: ${nde.length}`,
  );
  figures.problems.push(...state.onV1.map((x) => `still on v1 code: ${x}`), ...nde.map((x) => `non-determinism: ${x}`));
  if (!state.running.get('deviceLane') || !state.running.get('gpuDispatcher')) figures.problems.push(`no running lane or dispatcher to check: ${JSON.stringify([...state.running])}`);
  return [figures];
}

export type ScenarioId = '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8';

/** The scenarios of issue #8 by number, as `npm run test:faults -- --only` names them. */
export const SCENARIOS: Record<ScenarioId, Scenario> = {
  '1': { title: 'SIGKILL a worker mid-run; SIGKILL the owner of a pinned host', deployment: { workers: 2, apis: 1 }, run: workerKill },
  '2': { title: 'SIGKILL and restart the API while clients submit', deployment: { workers: 2, apis: 1 }, run: apiKill },
  '3': { title: 'stop FerretDB (MongoDB wire) for a while', deployment: { workers: 2, apis: 1 }, run: mongoOutage },
  '4': { title: 'stop the Kafka broker for a while', deployment: { workers: 2, apis: 1 }, run: kafkaOutage },
  '5': { title: 'restart the Temporal dev server', deployment: { workers: 2, apis: 1 }, run: temporalRestart },
  '6': { title: 'two APIs and two workers at once', deployment: { workers: 2, apis: 2, gpuTaskMs: 1500 }, run: twoOfEach },
  '7': { title: 'a poison pill under load', deployment: { workers: 2, apis: 1, env: POISON_ENV }, run: poisonPill },
  '8': { title: 'upgrade under load: v2 workers join, v1 workers drain and stop', deployment: { workers: 2, apis: 1 }, run: upgradeUnderLoad },
};

/** Runs one scenario on a deployment of its own. */
export function runAlone(id: ScenarioId, ctx: ScenarioContext): Promise<Figures[]> {
  const s = SCENARIOS[id];
  return withDeployment(ctx, { ...s.deployment, tag: scenarioTag(`s${id}`) }, (d) => s.run(d, ctx));
}
