import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.js';
import { runClosedHttpLoad } from './closed-http.js';
import { runPacedLoad } from './paced-load.js';

// The load generator's own process (bench/lib/load.ts starts it): reads a LoadSpec, prints a LoadResult.
// Flat out: autocannon. At a fixed rate: the paced open-loop generator (see paced-load.ts for why not autocannon).
const spec = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as LoadSpec;
if (spec.amount) {
  process.stdout.write(JSON.stringify(await runClosedHttpLoad({ ...spec, amount: spec.amount })));
  process.exit(0);
}
if (spec.overallRate) {
  process.stdout.write(JSON.stringify(await runPacedLoad({ ...spec, overallRate: spec.overallRate })));
  process.exit(0);
}
let n = 0;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  timeout: spec.timeout ?? 30,
  headers: spec.headers ?? {},
  requests: [
    {
      method: spec.method ?? 'GET',
      setupRequest: (req) => ({
        ...req,
        path: spec.paths[Math.floor(Math.random() * spec.paths.length)]!,
        ...(spec.bodyTemplate ? { body: spec.bodyTemplate.replaceAll('{{n}}', String(++n)) } : {}),
      }),
    },
  ],
});
const out: LoadResult = {
  total: result.requests.total,
  perSecond: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  failures: result.non2xx + result.errors + result.timeouts,
};
process.stdout.write(JSON.stringify(out));
