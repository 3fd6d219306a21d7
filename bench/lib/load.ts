import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What one load run sends: each request picks a random path; `{{n}}` in the body becomes a running number. */
export interface LoadSpec {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  /** Requests per second across all connections (paced, open loop: paced-load.ts); flat out (autocannon) when absent. */
  overallRate?: number;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  paths: string[];
  bodyTemplate?: string;
  /** Seconds a request may take before it counts as a timeout. */
  timeout?: number;
  /** Closed loop of exactly this many requests (bench/lib/closed-http.ts); `duration` and `overallRate` unused. */
  amount?: number;
}

export interface LoadResult {
  total: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  failures: number;
  /** Closed loop (`amount`): every latency and the seconds it took. */
  latencies?: number[];
  seconds?: number;
}

const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));

/**
 * Runs autocannon in a child process: a load generator in the measured process would share its event loop and
 * its garbage collector with the API, and add its own pauses to the latencies it reports.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-load-'));
  const file = join(dir, 'spec.json');
  try {
    await writeFile(file, JSON.stringify(spec));
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`load generator exited with ${code}`))));
    });
    return JSON.parse(out) as LoadResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatLoad(label: string, r: LoadResult, rate?: number): string {
  const target = rate ? ` at ${rate}/s target (${r.perSecond.toFixed(0)}/s achieved)` : `, ${r.perSecond.toFixed(0)} req/s`;
  return `${label}: ${r.total} requests${target}, latency p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms, failures ${r.failures}`;
}
