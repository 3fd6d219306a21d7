import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { connectMongo } from '../src/store/mongo.js';
import { connectTemporalClient } from '../src/temporal/connection.js';
import protoPkg from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startSshd } from '../test/support/sshd.js';
import { connectBaseline } from './engine-baseline/index.js';
import { createSshBaselineActivities } from './engine-baseline/ssh.js';
import type { baselineSshWorkflow } from './engine-baseline/workflows.js';
import { fromConnectionArgs } from '../src/ssh/connection.js';
import type { SessionSpec } from '../src/ssh/session-pool.js';
import { processCpuMs, processGroupCpuMs, serverCpuMs, stackServers } from './lib/cpu.js';
import { summarize, type Throughput } from './lib/stats.js';
import { ephemeralPort } from '../test/support/ports.js';

// npx tsx bench/peer-netpulse.ts [--jobs 200] [--concurrency 20] [--poll 100] [--hosts 1] [--mode pinned|fifo]
//   [--shape one,split] [--systems netpulse,switchyard] [--no-engine] [--compare <another checkout>] [--cpu-prof <dir>]
// Pinned (or fifo) device jobs the way a NetPulse client runs them, against NetPulse 0.4.3 and Switchyard in the
// same run, on the same OpenSSH targets (one private sshd listening on 127.0.0.1 … 127.0.0.<hosts>): `concurrency`
// clients each submit `echo <n>` (driver paramiko) and poll the job by id every `poll` ms until it ends.
// Throughput runs from the first submit to the last terminal answer; latency is submit → terminal answer.
// Switchyard runs with API and worker in one process (shape `one`) and/or as separate API and worker processes
// (`split`: how `npm start`, `switchyard dev`, and production run them). CPU per job is read from /proc for each
// process: API, worker, Temporal, FerretDB, Kafka (it carries Switchyard's task events); NetPulse's gunicorn, node
// and fifo workers and Redis. The bare engine runs first: per job one bare Temporal workflow whose one activity
// runs the same command on a held session per host (pooled, as pinned; a fresh connection for fifo), started by a
// plain client and polled the same way (DescribeWorkflowExecution every `poll` ms), plain worker and client in the
// bench process: no HTTP, no MongoDB, no lane, no codec.
// NetPulse must be running: bench/peers/netpulse-setup.sh install && bench/peers/netpulse-setup.sh start.
// Needs root (the private sshd) and the local stack.

const args = process.argv.slice(2);
function opt(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}
function num(name: string, fallback: number): number {
  const v = Number(opt(name, String(fallback)));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}
const jobs = num('jobs', 200);
const concurrency = num('concurrency', 20);
const pollMs = num('poll', 100);
const hostCount = num('hosts', 1);
const mode = opt('mode', 'pinned');
if (mode !== 'pinned' && mode !== 'fifo') throw new Error('--mode is pinned or fifo');
const shapes = opt('shape', 'one,split').split(',');
const systems = opt('systems', 'netpulse,switchyard').split(',');
const withEngine = !args.includes('--no-engine');
// Another checkout of Switchyard (say, main before a change) run beside this one, each shape, in the same run.
const compareRepo = args.includes('--compare') ? opt('compare', '') : '';
// A V8 CPU profile of each Switchyard process (and its workflow threads) into this folder, for `--cpu-prof` readers.
const cpuProfDir = args.includes('--cpu-prof') ? opt('cpu-prof', '') : '';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const NETPULSE_RUN = join(process.env.PEER_DIR ?? join(homedir(), '.cache/switchyard/peers'), 'netpulse-run');
const NETPULSE_URL = opt('netpulse-url', `http://127.0.0.1:${process.env.NETPULSE_PORT ?? 9100}`);
const NETPULSE_KEY = opt('netpulse-key', process.env.NETPULSE_API_KEY ?? 'bench-key');

const load = () => `load avg ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
const CORES = availableParallelism();
// Cores the whole system kept busy on average: jobs/s × CPU s per job. Near CORES the run was bound by CPU (it
// goes only as fast as the machine does the work); well below it, by serial latency (a faster machine would not
// help it much). Which of the two binds a system decides how its ratio moves when the machine gets slower.
const coresBusy = (r: Row): number => (r.result.perSecond * cpuMsPerJob(r)) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- CPU per process, from /proc (user + system, plus reaped children: rq forks a work horse per job) ----

/**
 * What each watched name is: one process, a process group (a server that forks workers, and the workers), or a
 * stack server with its live children (bench/lib/cpu.ts). CPU ms each, summed per name.
 */
type Watched = Array<{ name: string; pid: number; read: 'process' | 'group' | 'server' }>;
const readCpu = { process: processCpuMs, group: processGroupCpuMs, server: serverCpuMs };
function sampleCpu(w: Watched): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of w) out[p.name] = (out[p.name] ?? 0) + (readCpu[p.read](p.pid) ?? 0);
  return out;
}
/** Every server of the local stack (Temporal, FerretDB, Kafka; BENCH_STACK_STATES as bench/lib/cpu.ts reads it). */
function stackWatched(): Watched {
  return stackServers().map((s) => ({ ...s, read: 'server' as const }));
}

// ---- the client side ----

interface SystemClient {
  name: string;
  submit(n: number, host: string): Promise<string>;
  /** The job's status word, or null while it is open. */
  poll(id: string): Promise<string | null>;
}

const ssh = { username: '', password: '', port: 0 };

async function asJson(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

function body(n: number, host: string): string {
  return JSON.stringify({
    driver: 'paramiko',
    queue_strategy: mode,
    connection_args: { host, port: ssh.port, username: ssh.username, password: ssh.password },
    command: `echo ${n}`,
  });
}

const NETPULSE_TERMINAL = new Set(['finished', 'failed', 'stopped', 'canceled', 'cancelled']);
function netpulseClient(): SystemClient {
  const headers = { 'X-API-KEY': NETPULSE_KEY, 'content-type': 'application/json' };
  return {
    name: 'NetPulse',
    async submit(n, host) {
      const j = (await asJson(await fetch(`${NETPULSE_URL}/device/exec`, { method: 'POST', headers, body: body(n, host) }), 'NetPulse submit')) as { id: string };
      return j.id;
    },
    async poll(id) {
      const j = (await asJson(await fetch(`${NETPULSE_URL}/jobs/${id}`, { headers }), 'NetPulse poll')) as { status: string };
      return NETPULSE_TERMINAL.has(j.status) ? j.status : null;
    },
  };
}

const SWITCHYARD_TERMINAL = new Set(['finished', 'failed', 'cancelled']);
function switchyardClient(url: string, key: string): SystemClient {
  const headers = { 'X-API-KEY': key, 'content-type': 'application/json' };
  return {
    name: 'Switchyard',
    async submit(n, host) {
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${url}/device/exec`, { method: 'POST', headers, body: body(n, host) });
        // A 503 (a dependency slow on a loaded machine) is retried, as a client would.
        if (res.status === 503 && attempt < 5) {
          await res.text();
          await sleep(500 * attempt);
          continue;
        }
        return ((await asJson(res, 'Switchyard submit')) as { data: { id: string } }).data.id;
      }
    },
    async poll(id) {
      const j = (await asJson(await fetch(`${url}/job?id=${encodeURIComponent(id)}`, { headers }), 'Switchyard poll')) as { data: Array<{ status: string }> };
      const status = j.data[0]?.status ?? 'missing';
      return SWITCHYARD_TERMINAL.has(status) ? status : null;
    },
  };
}

/** The bare engine as a client sees it: start a workflow, describe it every `poll` ms until it is closed. */
async function bareEngine(hosts: string[]) {
  const cfg = loadConfig({ env: process.env });
  const targets: Record<string, SessionSpec> = Object.fromEntries(
    hosts.map((host) => [host, { driver: 'paramiko', connection: fromConnectionArgs({ host, port: ssh.port, username: ssh.username, password: ssh.password }) }]),
  );
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already
  }
  const bareSsh = createSshBaselineActivities(targets);
  const taskQueue = `bench-peer-bare-${randomBytes(4).toString('hex')}`;
  const bare = await connectBaseline(cfg.temporal.address, cfg.temporal.namespace, taskQueue, bareSsh.activities);
  const running = bare.worker.run();
  let seq = 0;
  const client: SystemClient = {
    name: 'bare engine',
    async submit(n, host) {
      const h = await bare.client.workflow.start<typeof baselineSshWorkflow>('baselineSshWorkflow', {
        taskQueue,
        workflowId: `${taskQueue}-${++seq}`,
        args: [mode === 'pinned' ? 'pooled' : 'fresh', host, `echo ${n}`],
      });
      return h.workflowId;
    },
    async poll(id) {
      const d = await bare.client.workflow.getHandle(id).describe();
      return d.status.name === 'RUNNING' ? null : d.status.name === 'COMPLETED' ? 'finished' : d.status.name.toLowerCase();
    },
  };
  const close = async () => {
    bare.worker.shutdown();
    await running;
    await bareSsh.close();
    await bare.close();
  };
  return { client, close };
}

/** `concurrency` clients, each: submit, poll every `pollMs` until the job ends, next job. Host i % hosts. */
/** Per job id, epoch ms: submit sent, submit answered, terminal answer seen (the stages of the last drive). */
const clientTimes = new Map<string, { sent: number; answered: number; seen: number }>();
async function drive(sys: SystemClient, label: string, n: number, hosts: string[]): Promise<Throughput & { bad: number; polls: number }> {
  clientTimes.clear();
  let next = 0;
  let bad = 0;
  let polls = 0;
  const latencies: number[] = [];
  let lastEnd = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t0 = performance.now();
        const sent = Date.now();
        const id = await sys.submit(i, hosts[i % hosts.length]!);
        const answered = Date.now();
        let status: string | null = null;
        while (status === null) {
          await sleep(pollMs);
          polls++;
          status = await sys.poll(id);
        }
        const t1 = performance.now();
        clientTimes.set(id, { sent, answered, seen: Date.now() });
        if (status !== 'finished') bad++;
        latencies.push(t1 - t0);
        lastEnd = Math.max(lastEnd, t1);
      }
    }),
  );
  return { ...summarize(label, latencies, (lastEnd - started) / 1000), bad, polls };
}

// ---- Switchyard processes ----


function startProcess(role: 'both' | 'api' | 'worker', env: Record<string, string>, repo = REPO): Promise<{ child: ChildProcess; ready: string }> {
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(repo, 'bench/peers/switchyard-process.ts'), role], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ child, ready: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`switchyard ${role} exited early (${code})`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * Commands the MongoDB server has answered, by name (`serverStatus.metrics.commands`, which FerretDB keeps too);
 * null where the server does not say. Counts the whole server, like the CPU figures of the shared stack.
 */
async function mongoCommands(env: Record<string, string>): Promise<Record<string, number> | null> {
  const mongo = await connectMongo(loadConfig({ env: { ...process.env, ...env } }));
  try {
    const status = await mongo.db.admin().command({ serverStatus: 1 });
    const commands = (status.metrics as { commands?: Record<string, { total?: number | { toNumber(): number } }> } | undefined)?.commands;
    if (!commands) return null;
    return Object.fromEntries(Object.entries(commands).map(([name, c]) => [name, Number(c.total ?? 0)]));
  } catch {
    return null;
  } finally {
    await mongo.close();
  }
}

// ---- inside a lane: from the job records (start_time is taken before the claim, end_time after the command) ----

interface LaneRecord {
  task_id?: string;
  host?: string | null;
  create_time?: Date;
  start_time?: Date | null;
  end_time?: Date | null;
}
/** Serial time inside each host's lane: start → end (claim + command) and end → next start (the hand-off). */
function laneTimes(records: LaneRecord[]): void {
  const run: number[] = [];
  const gap: number[] = [];
  const byHost = new Map<string, LaneRecord[]>();
  for (const r of records) if (r.start_time && r.end_time && r.host) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  for (const list of byHost.values()) {
    list.sort((a, b) => a.start_time!.getTime() - b.start_time!.getTime());
    list.forEach((r, i) => {
      run.push(r.end_time!.getTime() - r.start_time!.getTime());
      if (i > 0) gap.push(Math.max(0, r.start_time!.getTime() - list[i - 1]!.end_time!.getTime()));
    });
  }
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
  const p = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))] ?? NaN;
  // A job's stages as the client and the record see them: submit (sent → answered), waiting (created → started:
  // the lane's hand-off), running (started → ended: claim + command + outcome write), seen (ended → the poll
  // that answered terminal).
  const stages: Record<string, number[]> = { submit: [], waiting: [], running: [], seen: [] };
  for (const r of records) {
    const c = r.task_id ? clientTimes.get(r.task_id) : undefined;
    if (!c || !r.create_time || !r.start_time || !r.end_time) continue;
    stages.submit!.push(c.answered - c.sent);
    stages.waiting!.push(r.start_time.getTime() - r.create_time.getTime());
    stages.running!.push(r.end_time.getTime() - r.start_time.getTime());
    stages.seen!.push(c.seen - r.end_time.getTime());
  }
  console.log(`  stages per job (ms, mean / p50 / p99): ${Object.entries(stages).map(([k, a]) => `${k} ${mean(a).toFixed(0)}/${p(a, 0.5)}/${p(a, 0.99)}`).join('; ')}`);
  console.log(
    `  inside the lane (${run.length} jobs): claim + command mean ${mean(run).toFixed(1)} ms (p50 ${p(run, 0.5)}, p99 ${p(run, 0.99)}); end → next start mean ${mean(gap).toFixed(1)} ms (p50 ${p(gap, 0.5)}, p99 ${p(gap, 0.99)}); busy share ${((100 * run.reduce((a, b) => a + b, 0)) / (run.reduce((a, b) => a + b, 0) + gap.reduce((a, b) => a + b, 0))).toFixed(0)} %`,
  );
}

// ---- Temporal history per job: the job's workflow (a sample) and its share of the lanes ----

async function historyPerJob(taskQueue: string, jobCount: number): Promise<void> {
  const t = await connectTemporalClient(loadConfig({ env: { ...process.env, TEMPORAL_TASK_QUEUE: taskQueue } }));
  const count = async (type: string, limit: number) => {
    const byType = new Map<string, number>();
    let runs = 0;
    for await (const wf of t.client.workflow.list({ query: `WorkflowType='${type}' AND TaskQueue='${taskQueue}'` })) {
      if (runs >= limit) break;
      runs++;
      const h = await t.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      for (const e of h.events ?? []) {
        const name = (protoPkg.temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace('EVENT_TYPE_', '');
        byType.set(name, (byType.get(name) ?? 0) + 1);
      }
    }
    return { byType, runs };
  };
  try {
    const job = await count('deviceJob', 10);
    const lane = await count('deviceLane', 1000);
    const fmt = (m: Map<string, number>, per: number) => [...m].map(([k, v]) => `${k.toLowerCase()} ${(v / per).toFixed(2)}`).join(', ');
    console.log(`  history per job, its workflow (${job.runs} sampled): ${fmt(job.byType, job.runs)}`);
    console.log(`  history per job, lanes (${lane.runs} runs over ${jobCount} jobs): ${fmt(lane.byType, jobCount)}`);
  } finally {
    await t.close();
  }
}

// ---- the run ----

interface Row {
  label: string;
  result: Throughput & { bad: number; polls: number };
  cpu: Record<string, number>;
  /** The shared servers' CPU ms per second just before the run, with no job in flight (see `idleRates`). */
  idle: Record<string, number>;
  load: string;
}

/**
 * The shared servers (Temporal, FerretDB, Kafka) keep working with no job in flight: earlier runs' timers,
 * schedules and task queues in a long-used stack cost a dev server tens of ms of CPU a second. Sampled for a few
 * seconds before each run and printed beside the run's figures, so that a stack's leftovers are seen, not counted
 * as the jobs'.
 */
const IDLE_SAMPLE_MS = 3000;
async function idleRates(): Promise<Record<string, number>> {
  const servers = stackWatched();
  const before = sampleCpu(servers);
  await sleep(IDLE_SAMPLE_MS);
  const after = sampleCpu(servers);
  return Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k]! - (before[k] ?? 0)) * 1000) / IDLE_SAMPLE_MS]));
}

const sum = (ms: Record<string, number>): number => Object.values(ms).reduce((a, b) => a + b, 0);
/** CPU ms per job, all watched processes. */
function cpuMsPerJob(r: Row): number {
  return sum(r.cpu) / r.result.count;
}
/** CPU ms per job, all processes, less what the shared servers spent at their idle rate over the run. */
function perJobLessIdle(r: Row): number {
  return cpuMsPerJob(r) - (sum(r.idle) * r.result.seconds) / r.result.count;
}
const rows: Row[] = [];
function report(r: Row): void {
  const t = r.result;
  const cpu = Object.entries(r.cpu)
    .map(([k, ms]) => `${k} ${(ms / t.count).toFixed(1)}`)
    .join(', ');
  const all = cpuMsPerJob(r);
  console.log(
    `${r.label}: ${t.count} jobs in ${t.seconds.toFixed(2)} s = ${t.perSecond.toFixed(1)} jobs/s, latency p50 ${t.p50Ms.toFixed(0)} ms, p99 ${t.p99Ms.toFixed(0)} ms` +
      `${t.bad ? `, ${t.bad} not finished` : ''}, ${(t.polls / t.count).toFixed(1)} polls/job (${r.load})`,
  );
  console.log(`  CPU ms per job: ${cpu} (all ${all.toFixed(1)}); cores busy ${coresBusy(r).toFixed(2)} of ${CORES}`);
  const idle = Object.entries(r.idle);
  if (idle.length > 0) {
    console.log(
      `  idle before the run, CPU ms/s: ${idle.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}; CPU ms per job less that idle rate: ${perJobLessIdle(r).toFixed(1)}` +
        (idle.some(([, v]) => v > 50) ? ' (a busy idle stack: restart it for figures that compare with other runs)' : ''),
    );
  }
}

async function measured(label: string, watched: Watched, fn: () => Promise<Throughput & { bad: number; polls: number }>): Promise<Row> {
  const idle = await idleRates();
  const before = sampleCpu(watched);
  const self = process.cpuUsage();
  const result = await fn();
  const after = sampleCpu(watched);
  const used = process.cpuUsage(self);
  const cpu: Record<string, number> = {};
  for (const k of Object.keys(after)) cpu[k] = after[k]! - (before[k] ?? 0);
  cpu.client = (used.user + used.system) / 1000;
  const row = { label, result, cpu, idle, load: load() };
  rows.push(row);
  report(row);
  return row;
}

const hostList = Array.from({ length: hostCount }, (_, i) => `127.0.0.${i + 1}`);
console.log(`peer-netpulse: ${jobs} ${mode} jobs, ${concurrency} clients, poll every ${pollMs} ms, ${hostCount} host(s); ${load()}`);
const sshd = await startSshd({ listenHosts: hostList });
Object.assign(ssh, { username: sshd.username, password: sshd.password, port: sshd.port });
const tag = randomBytes(4).toString('hex');
let engine: Row | null = null;
try {
  if (withEngine) {
    const bare = await bareEngine(hostList);
    try {
      await drive(bare.client, 'warm-up', Math.min(10 * hostCount, jobs), hostList);
      engine = await measured(`bare engine ${mode} (a workflow per job, held session, polled)`, stackWatched(), () => drive(bare.client, 'bare engine', jobs, hostList));
    } finally {
      await bare.close();
    }
  }

  let netpulse: Row | null = null;
  if (systems.includes('netpulse')) {
    const watched: Watched = ['redis', 'gunicorn', 'node', 'fifo'].map((name) => ({ name: `np-${name}`, pid: Number(readFileSync(join(NETPULSE_RUN, `${name}.pid`), 'utf8').trim()), read: 'group' as const }));
    const np = netpulseClient();
    await drive(np, 'warm-up', Math.min(10 * hostCount, jobs), hostList);
    netpulse = await measured(`NetPulse ${mode}`, watched, () => drive(np, `NetPulse ${mode}`, jobs, hostList));
  }

  if (systems.includes('switchyard')) {
    for (const [shape, repo] of shapes.flatMap((sh) => (compareRepo ? [[sh, compareRepo], [sh, REPO]] : [[sh, REPO]]))) {
      const which = repo === REPO ? '' : `${repo}: `;
      if (shape !== 'one' && shape !== 'split') throw new Error('--shape: one, split');
      const key = randomBytes(12).toString('hex');
      const run = `${shape}${which ? 'c' : ''}`;
      const port = await ephemeralPort();
      const env = {
        LOG_LEVEL: 'warn',
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        MONGO_DB: `bench_peer_${tag}_${run}`,
        TEMPORAL_TASK_QUEUE: `bench-peer-${tag}-${run}`,
        KAFKA_EVENTS_TOPIC: `bench.peer.${tag}.${run}`,
        WORKER_NAME: `bench_peer_${tag}_${run}`,
        WORKER_HTTP_PORT: '0',
        DEVICE_API_KEY: key,
      };
      const procs: Array<{ name: string; child: ChildProcess }> = [];
      try {
        if (shape === 'one') procs.push({ name: 'sy-api+worker', child: (await startProcess('both', env, repo)).child });
        else {
          procs.push({ name: 'sy-worker', child: (await startProcess('worker', env, repo)).child });
          procs.push({ name: 'sy-api', child: (await startProcess('api', env, repo)).child });
        }
        const sy = switchyardClient(`http://127.0.0.1:${port}`, key);
        await drive(sy, 'warm-up', Math.min(10 * hostCount, jobs), hostList);
        const watched: Watched = [...procs.map((p) => ({ name: p.name, pid: p.child.pid!, read: 'process' as const })), ...stackWatched()];
        const label = `${which}Switchyard ${mode} (${shape === 'one' ? 'API+worker one process' : 'API, worker separate'})`;
        const commandsBefore = await mongoCommands(env);
        const row = await measured(label, watched, () => drive(sy, label, jobs, hostList));
        const commandsAfter = await mongoCommands(env);
        if (commandsBefore && commandsAfter) {
          const per = Object.entries(commandsAfter)
            .map(([name, n]) => [name, (n - (commandsBefore[name] ?? 0)) / row.result.count] as const)
            .filter(([, n]) => n >= 0.01)
            .sort((a, b) => b[1] - a[1]);
          console.log(`  MongoDB commands per job (the server's count, whole stack): ${per.map(([name, n]) => `${name} ${n.toFixed(2)}`).join(', ')} (all ${per.reduce((a, [, n]) => a + n, 0).toFixed(2)})`);
        }
        await historyPerJob(env.TEMPORAL_TASK_QUEUE, row.result.count + Math.min(10 * hostCount, jobs));
        if (netpulse) {
          console.log(
            `  ratio Switchyard/NetPulse: ${(row.result.perSecond / netpulse.result.perSecond).toFixed(2)}× throughput; p50 ${row.result.p50Ms.toFixed(0)} vs ${netpulse.result.p50Ms.toFixed(0)} ms`,
          );
        }
        if (engine) console.log(`  ratio Switchyard/bare engine: ${(row.result.perSecond / engine.result.perSecond).toFixed(2)}×`);
        if (engine && netpulse) console.log(`  ratio bare engine/NetPulse: ${(engine.result.perSecond / netpulse.result.perSecond).toFixed(2)}×`);
      } finally {
        for (const p of procs.reverse()) await stopProcess(p.child);
        const mongo = await connectMongo(loadConfig({ env: { ...process.env, ...env } }));
        laneTimes(await mongo.db.collection<LaneRecord>('tasks').find({ kind: 'device' }, { projection: { task_id: 1, host: 1, start_time: 1, end_time: 1, create_time: 1 } }).toArray());
        await mongo.db.dropDatabase();
        await mongo.close();
      }
    }
  }
  console.log(`\n| run | jobs/s | p50 ms | p99 ms | CPU ms/job | less idle | cores busy (of ${CORES}) | load avg |\n|---|---|---|---|---|---|---|---|`);
  for (const r of rows) {
    console.log(
      `| ${r.label} | ${r.result.perSecond.toFixed(1)} | ${r.result.p50Ms.toFixed(0)} | ${r.result.p99Ms.toFixed(0)} | ${cpuMsPerJob(r).toFixed(1)} | ${perJobLessIdle(r).toFixed(1)} | ${coresBusy(r).toFixed(2)} | ${r.load.replace('load avg ', '')} |`,
    );
  }
} finally {
  await sshd.close();
}
process.exit(0);
