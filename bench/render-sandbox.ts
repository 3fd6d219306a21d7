import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { DEFAULT_RENDER_LIMITS, RenderPool } from '../src/rendering/index.js';
import { JinjaSandbox } from '../src/rendering/sandbox.js';
import { closedLoop, interleaved, loadAverage, printComparison } from './lib/harness.js';
import { argNumber, percentile } from './lib/stats.js';

// npx tsx bench/render-sandbox.ts [--rounds 100] [--concurrency 8]
// Rendering cost per job: the legitimate-template corpus (test/fixtures/jinja2/legit/, network configuration
// templates) rendered through the QuickJS sandbox, against the unsandboxed nunjucks renderString the device
// service used before (the baseline), same templates, same process, same run. Only the templates nunjucks renders
// at all count (it lacks some Jinja2 filters and Python methods), so both sides do the same work. Figures:
//   - the ratio (bench/lib/harness.ts): the render thread the API uses (RenderPool: a message to the thread and
//     back per job) against nunjucks, one job at a time, A B B A; throughput, p50 latency, CPU per job,
//   - the sandbox in this thread (the engine's own cost: JSON in, QuickJS, string out), mean and percentiles,
//   - the render thread at `concurrency` jobs in flight (jobs/s; they queue on the one thread).
const rounds = argNumber('rounds', 100);
const concurrency = argNumber('concurrency', 8);

const dir = fileURLToPath(new URL('../test/fixtures/jinja2/legit/', import.meta.url));
const corpus = readdirSync(dir)
  .filter((f) => f.endsWith('.j2'))
  .sort()
  .map((f) => ({ name: f.slice(0, -3), template: readFileSync(dir + f, 'utf8'), context: JSON.parse(readFileSync(`${dir}${f.slice(0, -3)}.json`, 'utf8')) as Record<string, unknown> }));

const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
const unsandboxed = (t: string, c: Record<string, unknown>) => env.renderString(t, c);
// A time budget no legitimate render reaches even on a loaded machine: this measures cost, not limits.
const limits = { ...DEFAULT_RENDER_LIMITS, timeMs: 10_000 };
const sandbox = new JinjaSandbox(limits);
const pool = new RenderPool(limits);

const jobs = corpus.filter((c) => {
  try {
    unsandboxed(c.template, c.context);
    return true;
  } catch {
    return false;
  }
});

function measureSync(render: (t: string, c: Record<string, unknown>) => string): number[] {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const j of jobs) {
      const t0 = performance.now();
      render(j.template, j.context);
      samples.push(performance.now() - t0);
    }
  }
  return samples;
}

async function poolThroughput(): Promise<number> {
  const all = Array.from({ length: rounds }, () => jobs).flat();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < all.length) {
        const j = all[next++]!;
        await pool.render(j.template, j.context);
      }
    }),
  );
  return all.length / ((performance.now() - t0) / 1000);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const line = (label: string, xs: number[]) =>
  `${label.padEnd(34)} mean ${mean(xs).toFixed(3)} ms  p50 ${percentile(xs, 50).toFixed(3)} ms  p99 ${percentile(xs, 99).toFixed(3)} ms  (${xs.length} renders)`;

try {
  // Warm both (the sandbox's first render loads the engine; the pool's starts its thread).
  measureSync(unsandboxed);
  for (const j of jobs) sandbox.render(j.template, j.context);
  await pool.render('', {});

  // The comparison every bench prints (bench/lib/harness.ts): one job at a time, A B B A, CPU of this process
  // (the render thread included) per job.
  const all = Array.from({ length: rounds }, () => jobs).flat();
  const { ours, baseline } = await interleaved(
    all.length,
    (n) =>
      closedLoop('sandbox (render thread)', n, 1, async (i) => {
        const j = all[i % all.length]!;
        await pool.render(j.template, j.context);
      }),
    (n) =>
      closedLoop('nunjucks, unsandboxed', n, 1, async (i) => {
        const j = all[i % all.length]!;
        unsandboxed(j.template, j.context);
      }),
  );
  console.log(`templates: ${jobs.length} of ${corpus.length} in the corpus (those nunjucks renders), ${rounds} rounds; load average ${await loadAverage()}`);
  printComparison(ours, baseline, 'job', `${jobs.length} network templates × ${rounds}, one at a time, same process`);

  // Two more views: the engine's own cost without the thread hop, and the render thread's throughput.
  const base = measureSync(unsandboxed);
  const inThread = measureSync((t, c) => sandbox.render(t, c));
  const perSecond = await poolThroughput();
  const baseMean = mean(base);
  console.log(line('unsandboxed nunjucks (baseline)', base));
  console.log(line('sandbox, in this thread', inThread));
  console.log(`ratio sandbox in this thread / baseline: ${(mean(inThread) / baseMean).toFixed(2)}× mean cost per job (+${(mean(inThread) - baseMean).toFixed(3)} ms)`);
  console.log(`render thread at ${concurrency} in flight: ${perSecond.toFixed(0)} jobs/s (baseline in-thread: ${(1000 / baseMean).toFixed(0)} jobs/s)`);
} finally {
  sandbox.dispose();
  await pool.close();
}
