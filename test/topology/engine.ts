/**
 * Temporal's own server and PostgreSQL for the topology runs: `scripts/stack/install.sh temporal-server
 * postgresql` (a Go build from the module source, minutes when cold; cached in ~/.cache/switchyard afterwards),
 * its progress lines passed on as they come.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../faults/private-stack.js';

export class EngineInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineInstallError';
  }
}

export async function installServerEngine(log: (line: string) => void, timeoutMs = 30 * 60_000): Promise<void> {
  const started = Date.now();
  const child = spawn('bash', [join(REPO_ROOT, 'scripts/stack/install.sh'), '--quiet', 'temporal', 'temporal-server', 'postgresql'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const onData = (b: Buffer) => {
    const text = b.toString();
    tail = (tail + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) log(line.trim());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0) throw new EngineInstallError(`install.sh temporal-server postgresql failed (${code}) after ${((Date.now() - started) / 1000).toFixed(0)} s:\n${tail}`);
}
