import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec } from './load.js';
import { percentile } from './stats.js';

/**
 * An open-loop load at a fixed rate: request i is due at i / rate seconds and is sent then (over at most
 * `connections` kept-alive sockets; one that finds them all busy waits for one). Its latency counts from when it
 * was due, so a slow server is charged for the requests it held back. autocannon's `overallRate` instead lets
 * each connection send its whole quota for a second back to back at the top of the second, and corrects for
 * coordinated omission as if requests were 1 ms apart: its percentiles are those of a burst, not of the rate.
 */
export async function runPacedLoad(spec: LoadSpec & { overallRate: number }): Promise<LoadResult> {
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const total = Math.round(spec.overallRate * spec.duration);
  const latencies: number[] = [];
  let failures = 0;
  let n = 0;
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const path = spec.paths[Math.floor(Math.random() * spec.paths.length)]!;
      const body = spec.bodyTemplate ? spec.bodyTemplate.replaceAll('{{n}}', String(++n)) : undefined;
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        if (ok) latencies.push(performance.now() - due);
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
  const started = performance.now() + 50;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Everything due by now goes out; then sleep until the next one is due.
    while (i < total && started + (i * 1000) / spec.overallRate <= now) inFlight.push(send(started + (i++ * 1000) / spec.overallRate));
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(0, started + (i * 1000) / spec.overallRate - performance.now())));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const round = (x: number) => Math.round(x * 10) / 10;
  return { total: latencies.length, perSecond: latencies.length / seconds, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(Math.max(...latencies)), failures };
}
