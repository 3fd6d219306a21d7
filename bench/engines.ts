/**
 * The same benchmarks on both engines in one run: Temporal's own server on PostgreSQL (the production engine,
 * `scripts/stack/up.sh --engine server`) and the dev server (`temporal server start-dev`, SQLite), each a private
 * stack on free ports of this machine, sharing one private FerretDB and Kafka. Each benchmark runs on the dev
 * server, then on the real one, as a child process pointed at it (TEMPORAL_ADDRESS); the figures and the ratio
 * real / dev are printed side by side, with the load average before and after (the machine is shared).
 *
 *   npx tsx bench/engines.ts [--workflows 300] [--jobs 100] [--concurrency 20] [--keep-state]
 *
 * Benchmarks: the engine baseline (bench/engine-baseline), device jobs end to end (bench/device-jobs.ts, pinned
 * and fifo) with one and with two workers.
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
const keepState = process.argv.includes('--keep-state');
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');

/** Runs a bench script against one engine; answers its output's `… = N <unit>/s` figures by label. */
async function bench(engine: string, env: Record<string, string>, script: string, args: string[]): Promise<Map<string, number>> {
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
  const figures = new Map<string, number>();
  for (const m of out.matchAll(/^([\w./ -]+): \d+ \w+ in [\d.]+ s = ([\d.]+) \w+\/s/gm)) figures.set(m[1]!.trim(), Number(m[2]));
  return figures;
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
    dev: { ...shared, TEMPORAL_ADDRESS: `127.0.0.1:${dev.ports.temporal}` },
    server: { ...shared, TEMPORAL_ADDRESS: `127.0.0.1:${server.ports.temporal}` },
  };
  const runs: Array<{ name: string; script: string; args: string[] }> = [
    { name: 'engine baseline', script: 'bench/engine-baseline/main.ts', args: ['--workflows', String(workflows)] },
    { name: 'device jobs, 1 worker', script: 'bench/device-jobs.ts', args: ['--jobs', String(jobs), '--concurrency', String(concurrency), '--only', 'pinned,fifo', '--workers', '1'] },
    { name: 'device jobs, 2 workers', script: 'bench/device-jobs.ts', args: ['--jobs', String(jobs), '--concurrency', String(concurrency), '--only', 'pinned,fifo', '--workers', '2'] },
  ];
  for (const r of runs) {
    log(`--- ${r.name} (load average ${load()})`);
    const d = await bench('dev', engines.dev, r.script, r.args);
    const s = await bench('server', engines.server, r.script, r.args);
    for (const [label, devRate] of d) {
      const serverRate = s.get(label);
      if (serverRate === undefined) continue;
      rows.push(`${r.name} | ${label} | ${devRate.toFixed(1)}/s | ${serverRate.toFixed(1)}/s | ${(serverRate / devRate).toFixed(2)}×`);
    }
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
