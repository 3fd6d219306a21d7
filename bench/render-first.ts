import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RENDER_LIMITS, RenderPool } from '../src/rendering/index.js';
import { loadAverage } from './lib/harness.js';
import { argNumber, percentile } from './lib/stats.js';

// npx tsx bench/render-first.ts [--rounds 6]
// The first template a process renders: with a cold render thread (started by that render: thread, WebAssembly
// compile, engine load, as before the API warmed it) against a thread warmed beforehand (RenderPool.warm(), what the
// API now does at start), same template, same run, rounds alternating A B B A. Each round is a new pool, so a new
// thread; the ratio is cold / warm latency of that first render.
const rounds = argNumber('rounds', 6);
const dir = fileURLToPath(new URL('../test/fixtures/jinja2/legit/', import.meta.url));
const template = readFileSync(`${dir}02-interfaces-loop-trim.j2`, 'utf8');
const context = JSON.parse(readFileSync(`${dir}02-interfaces-loop-trim.json`, 'utf8')) as Record<string, unknown>;

async function firstRender(warm: boolean): Promise<number> {
  const pool = new RenderPool(DEFAULT_RENDER_LIMITS);
  try {
    if (warm) await pool.warm();
    const t0 = performance.now();
    await pool.render(template, context);
    return performance.now() - t0;
  } finally {
    await pool.close();
  }
}

const cold: number[] = [];
const warmed: number[] = [];
for (let i = 0; i < rounds; i++) {
  const coldFirst = i % 4 === 0 || i % 4 === 3;
  for (const warm of coldFirst ? [false, true] : [true, false]) (warm ? warmed : cold).push(await firstRender(warm));
}
const p50 = (xs: number[]) => percentile(xs, 50);
console.log(`load average: ${await loadAverage()}`);
console.log(`first render, cold thread: p50 ${p50(cold).toFixed(0)} ms (min ${Math.min(...cold).toFixed(0)}, max ${Math.max(...cold).toFixed(0)})`);
console.log(`first render, warmed thread: p50 ${p50(warmed).toFixed(1)} ms (min ${Math.min(...warmed).toFixed(1)}, max ${Math.max(...warmed).toFixed(1)})`);
console.log(`ratio cold / warmed (p50): ${(p50(cold) / p50(warmed)).toFixed(0)}×`);
