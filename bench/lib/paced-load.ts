import type { LoadResult, LoadSpec } from './load.js';
import { timedRequests } from './timed-requests.js';

/**
 * An open-loop load at a fixed rate: request i is due at i / rate seconds and is sent then (over at most
 * `connections` kept-alive sockets; one that finds them all busy waits for one). Its latency counts from when it
 * was due, so a slow server is charged for the requests it held back. autocannon's `overallRate` instead lets
 * each connection send its whole quota for a second back to back at the top of the second, and corrects for
 * coordinated omission as if requests were 1 ms apart: its percentiles are those of a burst, not of the rate.
 */
export async function runPacedLoad(spec: LoadSpec & { overallRate: number }): Promise<LoadResult> {
  const requests = timedRequests(spec);
  const total = Math.round(spec.overallRate * spec.duration);
  const started = performance.now() + 50;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Everything due by now goes out; then sleep until the next one is due.
    while (i < total && started + (i * 1000) / spec.overallRate <= now) inFlight.push(requests.send(started + (i++ * 1000) / spec.overallRate));
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(0, started + (i * 1000) / spec.overallRate - performance.now())));
  }
  await Promise.all(inFlight);
  return requests.finish((performance.now() - started) / 1000);
}
