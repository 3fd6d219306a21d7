/**
 * The same benchmarks on both engines in one run: Temporal's own server on PostgreSQL (the production engine,
 * `scripts/stack/up.sh --engine server`) and the dev server (`temporal server start-dev`, SQLite), each a private
 * stack on free ports of this machine, sharing one private FerretDB and Kafka. Each benchmark runs on the dev
 * server, then on the real one, as a child process pointed at it (TEMPORAL_ADDRESS); the figures and the ratio
 * real / dev are printed side by side, with the load average before each (the machine is shared). The order
 * alternates from one benchmark to the next (dev first, then the server first, …) so that drift in the machine's
 * load does not always land on the same engine.
 *
 *   npx tsx bench/engines.ts [--only baseline,device,scheduler] [--workflows 300] [--jobs 100] [--concurrency 20]
 *                            [--tasks 1000] [--minutes 10] [--keep-state]
 *
 * Benchmarks: the engine baseline (bench/engine-baseline), device jobs end to end (bench/device-jobs.ts, pinned
 * and fifo) with one and with two workers, and the scheduler at scale (bench/scheduler-scale.ts: `tasks` CRON
 * tasks firing every minute for `minutes` minutes against as many bare schedules, with the API's list/get
 * latency meanwhile).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PrivateStack, reapLeftovers, REPO_ROOT } from '../test/faults/private-stack.js';
import { installServerEngine } from '../test/topology/engine.js';
import { argNumber } from './lib/stats.js';

const workflows = argNumber('workflows', 300);
const jobs = argNumber('jobs', 100);
const concurrency = argNumber('concurrency', 20);
const taskCount = argNumber('tasks', 1000);
const minutes = argNumber('minutes', 10);
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1]!.split(',') : ['baseline', 'device', 'scheduler'];
const keepState = process.argv.includes('--keep-state');
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');

interface Figure {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The figures of a bench's `label: N units in S s = R units/s, … latency p50 X ms, p99 Y ms` lines, by label. */
function throughputFigures(out: string): Map<string, Figure> {
  const figures = new Map<string, Figure>();
  for (const m of out.matchAll(/^(\S[^\n]*?): \d+ \w+ in [\d.]+ s = ([\d.]+) \w+\/s, (?:client )?latency p50 ([\d.]+) ms, p99 ([\d.]+) ms/gm))
    figures.set(m[1]!.trim(), { perSecond: Number(m[2]), p50Ms: Number(m[3]), p99Ms: Number(m[4]) });
  return figures;
}

/** bench/scheduler-scale.ts's `SUMMARY key=value …` line. */
function summary(out: string): Record<string, string> {
  const line = /^SUMMARY (.*)$/m.exec(out)?.[1] ?? '';
  return Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string]));
}

/** Runs a bench script against one engine; answers its output. */
async function bench(engine: string, env: Record<string, string>, script: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const line of b.toString().split('\n')) if (line.trim()) process.stdout.write(`  [${engine}] ${line}\n`);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${script} on ${engine} exited ${code}`);
  return out;
}

await reapLeftovers(log);
await installServerEngine(log);
const server = await PrivateStack.create({ tag: `bench-server-${process.pid}`, engine: 'server', log });
const dev = await PrivateStack.create({ tag: `bench-dev-${process.pid}`, engine: 'dev', log });
const rows: string[] = [];
try {
  await server.up();
  await dev.up(['temporal']);
  const shared = { MONGO_URL: `mongodb://127.0.0.1:${server.ports.ferret}`, KAFKA_BROKERS: server.brokers };
  const engines = {
    // The CPU of each engine's servers and of the shared FerretDB and Kafka is counted (bench/lib/cpu.ts).
    dev: { ...shared, TEMPORAL_ADDRESS: `127.0.0.1:${dev.ports.temporal}`, BENCH_STACK_STATES: `${dev.stateDir}:${server.stateDir}` },
    server: { ...shared, TEMPORAL_ADDRESS: `127.0.0.1:${server.ports.temporal}`, BENCH_STACK_STATES: server.stateDir },
  };
  const f = (x: Figure) => `${x.perSecond.toFixed(1)}/s, p50 ${x.p50Ms.toFixed(0)} ms, p99 ${x.p99Ms.toFixed(0)} ms`;
  /** Table rows of a throughput bench: each figure both engines printed. */
  const throughputRows = (dev: string, server: string) => {
    const d = throughputFigures(dev);
    const s = throughputFigures(server);
    return [...d].flatMap(([label, x]) => {
      const y = s.get(label);
      return y ? [`${label} | ${f(x)} | ${f(y)} | ${(y.perSecond / x.perSecond).toFixed(2)}× throughput, ${(y.p50Ms / x.p50Ms).toFixed(2)}× p50`] : [];
    });
  };
  const schedulerRows = (dev: string, server: string) => {
    const d = summary(dev);
    const s = summary(server);
    const pair = (k: string) => `p50 ${d[`${k}_p50`]} ms, p99 ${d[`${k}_p99`]} ms | p50 ${s[`${k}_p50`]} ms, p99 ${s[`${k}_p99`]} ms | ${(Number(s[`${k}_p50`]) / Number(d[`${k}_p50`])).toFixed(2)}× p50, ${(Number(s[`${k}_p99`]) / Number(d[`${k}_p99`])).toFixed(2)}× p99`;
    return [
      `ours: command start − scheduled time (missed: dev ${d.ours_missed}, server ${s.ours_missed}) | ${pair('ours')}`,
      `bare schedules, same load (missed: dev ${d.bare_missed}, server ${s.bare_missed}) | ${pair('bare')}`,
      `GET /tasks (a page of 20) meanwhile | ${pair('list')}`,
      `GET /tasks/{id} meanwhile | ${pair('get')}`,
    ];
  };
  const runs: Array<{ key: string; name: string; script: string; args: string[]; rows: (dev: string, server: string) => string[] }> = [
    { key: 'baseline', name: 'engine baseline', script: 'bench/engine-baseline/main.ts', args: ['--workflows', String(workflows), '--concurrency', String(concurrency)], rows: throughputRows },
    { key: 'device', name: 'device jobs, 1 worker', script: 'bench/device-jobs.ts', args: ['--jobs', String(jobs), '--concurrency', String(concurrency), '--only', 'pinned,fifo', '--workers', '1'], rows: throughputRows },
    { key: 'device', name: 'device jobs, 2 workers', script: 'bench/device-jobs.ts', args: ['--jobs', String(jobs), '--concurrency', String(concurrency), '--only', 'pinned,fifo', '--workers', '2'], rows: throughputRows },
    { key: 'scheduler', name: `scheduler, ${taskCount} tasks × ${minutes} min`, script: 'bench/scheduler-scale.ts', args: ['--tasks', String(taskCount), '--minutes', String(minutes)], rows: schedulerRows },
  ];
  for (const [i, r] of runs.filter((x) => only.includes(x.key)).entries()) {
    const order = i % 2 === 0 ? (['dev', 'server'] as const) : (['server', 'dev'] as const);
    const got: Partial<Record<'dev' | 'server', string>> = {};
    const loads: string[] = [];
    for (const engine of order) {
      loads.push(`${engine} ${load()}`);
      log(`--- ${r.name} on ${engine} (load average ${load()})`);
      got[engine] = await bench(engine, engines[engine], r.script, r.args);
    }
    for (const row of r.rows(got.dev!, got.server!)) rows.push(`${r.name} (${order.join(' then ')}; load ${loads.join(', ')}) | ${row}`);
  }
} finally {
  if (keepState) {
    await server.stopAll().catch(() => undefined);
    await dev.stopAll().catch(() => undefined);
  } else {
    await server.destroy().catch(() => undefined);
    await dev.destroy().catch(() => undefined);
  }
}
process.stdout.write(`\nbenchmark | figure | dev server | Temporal server on PostgreSQL | server / dev\n${rows.join('\n')}\nload average at the end: ${load()}\n`);
process.exit(0);
