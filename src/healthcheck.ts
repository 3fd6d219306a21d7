/**
 * The image's HEALTHCHECK: healthy when one of the given probe URLs answers 2xx within the timeout. The image runs
 * either `api` (probes on API_PORT, 9000) or `worker` (probes on WORKER_HTTP_PORT, 9001), so the Dockerfile names
 * both readiness URLs and whichever process the container runs answers; the other port is closed. Plain Node, no
 * configuration to load: it must answer in a second even when the process it checks is stuck.
 *
 *   node dist/src/healthcheck.js http://127.0.0.1:9000/readyz http://127.0.0.1:9001/readyz
 */
const TIMEOUT_MS = 2_000;

async function probe(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok ? '' : `${url}: HTTP ${res.status}`;
  } catch (e) {
    return `${url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`;
  }
}

const urls = process.argv.slice(2);
if (urls.length === 0) {
  process.stderr.write('usage: healthcheck URL...\n');
  process.exit(2);
}
const results = await Promise.all(urls.map(probe));
if (results.some((r) => r === '')) process.exit(0);
process.stderr.write(`unhealthy: ${results.join('; ')}\n`);
process.exit(1);
