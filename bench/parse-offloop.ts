import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { runParseItems, type ParseItem } from '../src/parsing/parse-job.js';
import { ParsePool } from '../src/parsing/parse-pool.js';
import { argNumber, mapLimit, percentile } from './lib/stats.js';

// npx tsx bench/parse-offloop.ts [--jobs 300] [--concurrency 8] [--threads 2] [--interfaces 48]
// What a job's parsing costs on the worker's parse threads (src/parsing/parse-pool.ts: the request's patterns run
// off the event loop under a budget) against the same parsing on the event loop, as it ran before: the same jobs,
// the same templates, in the same run. Each job parses `show ip interface brief` of a device with `interfaces`
// interfaces three ways: the ntc-templates TextFSM template, an inline TextFSM template and a `regex` template.
// Figures: wall time per job, CPU per job (this process, threads included), and the event loop's worst stall
// while the jobs ran: the cost the parse threads remove.
const jobs = argNumber('jobs', 300);
const concurrency = argNumber('concurrency', 8);
const threads = argNumber('threads', 2);
const interfaces = argNumber('interfaces', 48);

const ntcDir = process.env.NTC_TEMPLATES_DIR ?? join(process.env.SWITCHYARD_CACHE ?? join(homedir(), '.cache/switchyard'), 'ntc-templates');
let ntcTemplate: string;
try {
  ntcTemplate = readFileSync(join(ntcDir, 'cisco_ios_show_ip_interface_brief.textfsm'), 'utf8');
} catch {
  console.error(`no ntc-templates in ${ntcDir}: bash scripts/stack/install.sh ntc-templates`);
  process.exit(2);
}

function deviceOutput(seed: number): string {
  const lines = ['Interface              IP-Address      OK? Method Status                Protocol'];
  for (let i = 0; i < interfaces; i++) {
    const up = (i + seed) % 3 !== 0;
    const name = `GigabitEthernet${Math.floor(i / 24)}/${i % 24}`;
    const ip = i % 4 === 0 ? 'unassigned' : `10.${seed % 250}.${i}.1`;
    lines.push(`${name.padEnd(23)}${ip.padEnd(16)}YES NVRAM  ${(up ? 'up' : 'administratively down').padEnd(22)}${up ? 'up' : 'down'}`);
  }
  return `${lines.join('\n')}\n`;
}

const INLINE_FSM = [
  'Value INTF (\\S+)',
  'Value IPADDR (\\S+)',
  'Value STATUS (up|down|administratively down)',
  'Value PROTO (up|down)',
  '',
  'Start',
  '  ^${INTF}\\s+${IPADDR}\\s+\\w+\\s+\\w+\\s+${STATUS}\\s+${PROTO}\\s*$$ -> Record',
  '',
].join('\n');
const REGEX = '^(?P<intf>\\S+)\\s+(?P<ip>\\S+)\\s+\\w+\\s+\\w+\\s+(?P<status>up|down|administratively down)\\s+(?P<proto>up|down)\\s*$';

function jobItems(i: number): ParseItem[] {
  const text = deviceOutput(i);
  return [
    { key: 'show ip interface brief (ntc)', engine: 'ntc', templates: [ntcTemplate], text },
    { key: 'show ip interface brief (textfsm)', engine: 'textfsm', template: INLINE_FSM, text },
    { key: 'show ip interface brief (regex)', engine: 'regex', template: REGEX, text },
  ];
}

interface Run {
  label: string;
  perJobMs: number;
  p50: number;
  p99: number;
  cpuPerJobMs: number;
  maxLoopStallMs: number;
  p99LoopStallMs: number;
}

interface Half {
  n: number;
  latencies: number[];
  wallMs: number;
  cpuMs: number;
  loop: IntervalHistogram;
}

async function measureHalf(n: number, parse: (items: ParseItem[]) => Promise<unknown>): Promise<Half> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  loop.enable();
  await mapLimit([...Array(n).keys()], concurrency, async (i) => {
    // Jobs reach a worker one by one (each after its SSH output): the loop turns between them, in both runs.
    await new Promise((r) => setImmediate(r));
    const s = performance.now();
    await parse(jobItems(i));
    latencies.push(performance.now() - s);
  });
  await new Promise((r) => setTimeout(r, 20));
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  return { n, latencies, wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, loop };
}

/**
 * One side's halves as one run: time, CPU and jobs add up; the event loop's stalls are the worse half's (Node
 * merges only recordable histograms, not the event-loop delay monitor's).
 */
function asRun(label: string, halves: Half[]): Run {
  const n = halves.reduce((a, h) => a + h.n, 0);
  const latencies = halves.flatMap((h) => h.latencies);
  return {
    label,
    perJobMs: halves.reduce((a, h) => a + h.wallMs, 0) / n,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerJobMs: halves.reduce((a, h) => a + h.cpuMs, 0) / n,
    maxLoopStallMs: Math.max(...halves.map((h) => h.loop.max)) / 1e6,
    p99LoopStallMs: Math.max(...halves.map((h) => h.loop.percentile(99))) / 1e6,
  };
}

// The records must be the same either way (the thread runs the same code).
const sample = jobItems(1);
const pool = new ParsePool({ threads, budgetMs: 60_000 });
if (JSON.stringify(await pool.run(sample)) !== JSON.stringify(runParseItems(sample))) throw new Error('the parse threads answer differently from the same code on the loop');
const records = Object.values(runParseItems(sample)).map((r) => (r as unknown[]).length);
console.log(`parse cost per job: ${jobs} jobs of ${sample.length} outputs (${interfaces} interfaces; records ${records.join('/')}), ${concurrency} at once, ${threads} parse thread(s)`);

try {
  // Warm-up of both paths (JIT, thread start), then the measured runs in halves, A B B A (as bench/lib/harness.ts
  // does), so a shared machine's load drifting during the run weighs on both alike.
  const onLoop = async (items: ParseItem[]) => runParseItems(items);
  const onThreads = (items: ParseItem[]) => pool.run(items);
  await measureHalf(jobs, onLoop);
  await measureHalf(jobs, onThreads);
  const first = Math.ceil(jobs / 2);
  const off1 = await measureHalf(first, onThreads);
  const on1 = await measureHalf(first, onLoop);
  const on2 = await measureHalf(jobs - first, onLoop);
  const off2 = await measureHalf(jobs - first, onThreads);
  const on = asRun('on the event loop (before)', [on1, on2]);
  const off = asRun(`off the loop, ${threads} parse thread(s)`, [off1, off2]);
  for (const r of [on, off]) {
    console.log(
      `  ${r.label.padEnd(32)} ${r.perJobMs.toFixed(2)} ms/job wall (p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms per job), CPU ${r.cpuPerJobMs.toFixed(2)} ms/job, event loop delay p99 ${r.p99LoopStallMs.toFixed(1)} ms, max ${r.maxLoopStallMs.toFixed(1)} ms`,
    );
  }
  console.log(`ratio off/on (same jobs, same templates, A B B A, same run): wall per job ${(off.perJobMs / on.perJobMs).toFixed(2)}x, CPU per job ${(off.cpuPerJobMs / on.cpuPerJobMs).toFixed(2)}x, event-loop delay p99 ${(off.p99LoopStallMs / Math.max(on.p99LoopStallMs, 0.001)).toFixed(2)}x`);
} finally {
  await pool.close();
}
