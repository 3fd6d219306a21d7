import { formatCpuPer, measureCpu, type CpuSplit } from './cpu.js';
import { runLoad, type LoadSpec } from './load.js';
import { percentile } from './stats.js';

/**
 * The one way every bench measures (bench/RESULTS.md): a unit of work is timed at the client, from the moment it
 * is sent (closed loop) or due (paced) to the moment the client sees it done; both sides of a comparison run the
 * same unit count at the same concurrency in the same process run, interleaved (A B B A) so that a machine
 * shared with other work slows both alike; CPU is counted per unit for this process and each stack server.
 */
export interface Measured {
  label: string;
  latenciesMs: number[];
  seconds: number;
  cpu: CpuSplit;
  /** Units that failed (not in the latencies). */
  failures: number;
}

/**
 * Closed loop: `concurrency` callers, each sending its next unit when its last one is done, until `n` units
 * are done. The in-flight count is exact: a unit is submit + wait for its end, inside the bound.
 */
export async function closedLoop(label: string, n: number, concurrency: number, unit: (i: number) => Promise<void>): Promise<Measured> {
  const { result, cpu } = await measureCpu(async () => {
    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(concurrency, n) }, async () => {
        for (;;) {
          const i = next++;
          if (i >= n) return;
          const t0 = performance.now();
          try {
            await unit(i);
            latencies.push(performance.now() - t0);
          } catch (e) {
            failures++;
            if (failures <= 3) console.warn(`${label}: unit ${i} failed: ${(e as Error).message}`);
          }
        }
      }),
    );
    return { latencies, failures, seconds: (performance.now() - started) / 1000 };
  });
  return { label, latenciesMs: result.latencies, seconds: result.seconds, failures: result.failures, cpu };
}

/**
 * Paced (open loop): unit i is due at i / rate seconds and is sent then, whatever is still in flight (up to
 * `maxInFlight`; beyond it a unit waits and is charged for the wait). Latency counts from when it was due.
 */
export async function pacedLoop(label: string, n: number, rate: number, maxInFlight: number, unit: (i: number) => Promise<void>): Promise<Measured> {
  const { result, cpu } = await measureCpu(async () => {
    const latencies: number[] = [];
    let failures = 0;
    let inFlight = 0;
    const waiting: Array<() => void> = [];
    const started = performance.now() + 20;
    const all: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight >= maxInFlight) await new Promise<void>((r) => waiting.push(r));
      inFlight++;
      all.push(
        unit(i)
          .then(
            () => void latencies.push(performance.now() - due),
            () => void failures++,
          )
          .finally(() => {
            inFlight--;
            waiting.shift()?.();
          }),
      );
    }
    await Promise.all(all);
    return { latencies, failures, seconds: (performance.now() - started) / 1000 };
  });
  return { label, latenciesMs: result.latencies, seconds: result.seconds, failures: result.failures, cpu };
}

/**
 * An HTTP closed loop of `amount` requests from the load generator's own process (bench/lib/load.ts), as a
 * Measured side; CPU is this process's (the server under test) and the stack servers', not the generator's.
 */
export async function httpClosedLoop(label: string, spec: LoadSpec & { amount: number }): Promise<Measured> {
  const { result, cpu } = await measureCpu(() => runLoad(spec));
  return { label, latenciesMs: result.latencies ?? [], seconds: result.seconds ?? NaN, failures: result.failures, cpu };
}

/** Two measurements of the same side as one: units, time, CPU and failures add up. */
export function merge(a: Measured, b: Measured): Measured {
  const ms: Record<string, number> = { ...a.cpu.ms };
  for (const [k, v] of Object.entries(b.cpu.ms)) ms[k] = (ms[k] ?? 0) + v;
  return { label: a.label, latenciesMs: [...a.latenciesMs, ...b.latenciesMs], seconds: a.seconds + b.seconds, failures: a.failures + b.failures, cpu: { ms } };
}

/**
 * Both sides, `n` units each, as A B B A halves: drift in the machine's load (other work on it, a warming JIT,
 * a growing database) lands on both sides alike instead of on whichever ran second.
 */
export async function interleaved(n: number, ours: (units: number) => Promise<Measured>, baseline: (units: number) => Promise<Measured>): Promise<{ ours: Measured; baseline: Measured }> {
  const first = Math.ceil(n / 2);
  const second = n - first;
  const o1 = await ours(first);
  const b1 = await baseline(first);
  const b2 = second > 0 ? await baseline(second) : null;
  const o2 = second > 0 ? await ours(second) : null;
  return { ours: o2 ? merge(o1, o2) : o1, baseline: b2 ? merge(b1, b2) : b1 };
}

export interface Figures {
  count: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerUnit: number;
}

export function figures(m: Measured): Figures {
  const cpuAll = Object.values(m.cpu.ms).reduce((a, b) => a + b, 0);
  const count = m.latenciesMs.length;
  return { count, perSecond: count / m.seconds, p50Ms: percentile(m.latenciesMs, 50), p99Ms: percentile(m.latenciesMs, 99), cpuMsPerUnit: count ? cpuAll / count : NaN };
}

/** One measured side: "label: 200 jobs in 12.3 s = 16.3 jobs/s, client latency p50 … ms, p99 … ms; CPU per job …". */
export function formatMeasured(m: Measured, unit: string, withCpu = true): string {
  const f = figures(m);
  const failed = m.failures ? `, ${m.failures} failed` : '';
  const line = `${m.label}: ${f.count} ${unit}s in ${m.seconds.toFixed(2)} s = ${f.perSecond.toFixed(1)} ${unit}s/s, client latency p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms${failed}`;
  return withCpu ? `${line}\n  ${formatCpuPer(m.cpu, Math.max(1, f.count), unit)}` : line;
}

/**
 * The ratio line every bench prints: throughput, p50 latency and CPU per unit of ours against the baseline's,
 * with what the two sides have in common (`same`), so the line can be quoted on its own.
 */
export function formatComparison(ours: Measured, baseline: Measured, same: string, withCpu = true): string {
  const o = figures(ours);
  const b = figures(baseline);
  const cpu = withCpu ? `, CPU per unit ${(o.cpuMsPerUnit / b.cpuMsPerUnit).toFixed(2)}×` : '';
  return `ratio ${ours.label} / ${baseline.label} (${same}): throughput ${(o.perSecond / b.perSecond).toFixed(2)}×, p50 latency ${(o.p50Ms / b.p50Ms).toFixed(2)}×${cpu}`;
}

/**
 * Prints both sides and their ratio. `withCpu` false when the servers measured run in processes of their own
 * (this process's CPU would not be theirs).
 */
export function printComparison(ours: Measured, baseline: Measured, unit: string, same: string, withCpu = true): void {
  console.log(formatMeasured(baseline, unit, withCpu));
  console.log(formatMeasured(ours, unit, withCpu));
  console.log(formatComparison(ours, baseline, same, withCpu));
}

/** The machine's load average (1, 5, 15 min) as a string, for the results table. */
export async function loadAverage(): Promise<string> {
  const { loadavg } = await import('node:os');
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}
