import type { LoadResult, LoadSpec } from './load.js';
import { timedRequests } from './timed-requests.js';

/**
 * A closed-loop HTTP load of a fixed size: `connections` kept-alive clients, each sending its next request when
 * its last one is answered, until `amount` requests are answered. Unlike autocannon it returns every latency,
 * so two halves of a run (bench/lib/harness.ts, A B B A) can be merged into one distribution.
 */
export async function runClosedHttpLoad(spec: LoadSpec & { amount: number }): Promise<LoadResult & { latencies: number[]; seconds: number }> {
  const requests = timedRequests(spec);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (next++ < spec.amount) await requests.send(performance.now());
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ...requests.finish(seconds), latencies: requests.latencies, seconds };
}
