import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec } from './load.js';
import { percentile } from './stats.js';

/**
 * A closed-loop HTTP load of a fixed size: `connections` kept-alive clients, each sending its next request when
 * its last one is answered, until `amount` requests are answered. Unlike autocannon it returns every latency,
 * so two halves of a run (bench/lib/harness.ts, A B B A) can be merged into one distribution.
 */
export async function runClosedHttpLoad(spec: LoadSpec & { amount: number }): Promise<LoadResult & { latencies: number[]; seconds: number }> {
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const latencies: number[] = [];
  let failures = 0;
  let n = 0;
  let next = 0;
  const send = () =>
    new Promise<void>((resolve) => {
      const path = spec.paths[Math.floor(Math.random() * spec.paths.length)]!;
      const body = spec.bodyTemplate ? spec.bodyTemplate.replaceAll('{{n}}', String(++n)) : undefined;
      const t0 = performance.now();
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        if (ok) latencies.push(performance.now() - t0);
        else failures++;
        resolve();
      };
      const req = request(
        { agent, host: url.hostname, port: url.port, method: spec.method ?? 'GET', path, headers: { ...(spec.headers ?? {}), ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) }, timeout: (spec.timeout ?? 30) * 1000 },
        (res) => {
          res.resume();
          res.on('end', () => settle((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
          res.on('error', () => settle(false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => settle(false));
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (next++ < spec.amount) await send();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const round = (x: number) => Math.round(x * 10) / 10;
  return { total: latencies.length, perSecond: latencies.length / seconds, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(Math.max(...latencies)), failures, latencies, seconds };
}
