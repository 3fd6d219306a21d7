import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = new URL('../../src/healthcheck.ts', import.meta.url).pathname;
let server: Server;
let base = '';
/** A loopback port nothing listens on (the other role's port in a container). */
let closed = '';

/** Runs the image's HEALTHCHECK command; resolves to its exit code and stderr. */
async function healthcheck(...urls: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['--import', 'tsx', script, ...urls]);
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/readyz' ? 200 : 503;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const other = createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  closed = `http://127.0.0.1:${(other.address() as { port: number }).port}/readyz`;
  await new Promise<void>((r) => other.close(() => r()));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

// Each case starts a node process with tsx: seconds on a loaded 2-core machine.
describe('the image HEALTHCHECK (src/healthcheck.ts)', { timeout: 60_000 }, () => {
  it('is healthy when one of the probe URLs answers 2xx: the port of whichever role the container runs', async () => {
    expect((await healthcheck(closed, `${base}/readyz`)).code).toBe(0);
  });

  it('is unhealthy when none does, and says why', async () => {
    const r = await healthcheck(closed, `${base}/draining`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 503/);
    expect(r.stderr).toContain(`${closed}: connect ECONNREFUSED`);
  });
});
