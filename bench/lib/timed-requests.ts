import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec } from './load.js';
import { percentile } from './stats.js';

/**
 * The requests of one HTTP load run, as the closed-loop (closed-http.ts) and the paced (paced-load.ts) generators
 * send them: over at most `connections` kept-alive sockets, each to a random path of the spec with the next
 * `{{n}}` of the body template. The two differ only in when a request is sent and what its latency counts from.
 */
export function timedRequests(spec: LoadSpec) {
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  /** Milliseconds of each 2xx answer; anything else (a status, an error, a timeout) is a failure. */
  const latencies: number[] = [];
  let failures = 0;
  let n = 0;

  /** Sends one request and resolves once it is answered or has failed; its latency counts from `from` (performance.now()). */
  const send = (from: number) =>
    new Promise<void>((resolve) => {
      const path = spec.paths[Math.floor(Math.random() * spec.paths.length)]!;
      const body = spec.bodyTemplate ? spec.bodyTemplate.replaceAll('{{n}}', String(++n)) : undefined;
      // A response error can follow its 'end', or a request error its response: each request counts once.
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        if (ok) latencies.push(performance.now() - from);
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

  /** Closes the sockets and sums the run up; `seconds` is how long it took, for the rate. */
  const finish = (seconds: number): LoadResult => {
    agent.destroy();
    const round = (x: number) => Math.round(x * 10) / 10;
    return { total: latencies.length, perSecond: latencies.length / seconds, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(Math.max(...latencies)), failures };
  };

  return { send, finish, latencies };
}
