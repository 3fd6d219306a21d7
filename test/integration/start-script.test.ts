import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../faults/private-stack.js';
import { eventually, uniqueSuffix } from '../support/env.js';

// `npm start` (scripts/start.sh → `switchyard dev`) as a user runs it, against the shared stack: up.sh finds every
// server answering and reuses it, and this run's own state folder lists none as started, so the down.sh at the
// end stops nothing of the shared stack. The API and the worker use a database, task queue and topics of their own.
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const suffix = uniqueSuffix();
const stateDirs: string[] = [];
const started: ChildProcess[] = [];
const pidsSeen: number[] = [];

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped) is not running.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function runStart(extraEnv: Record<string, string>): Promise<{ child: ChildProcess; out: () => string; exited: Promise<number | null>; stateDir: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'sy-start-'));
  stateDirs.push(stateDir);
  const tag = `start_${suffix}_${stateDirs.length}`;
  const child = spawn('bash', [join(REPO, 'scripts/start.sh')], {
    cwd: REPO,
    // Its own process group: a signal to the group is what a terminal's Ctrl-C sends.
    detached: true,
    env: {
      ...process.env,
      SWITCHYARD_STATE: stateDir,
      LOG_LEVEL: 'info',
      MONGO_DB: `t_${tag}`,
      TEMPORAL_TASK_QUEUE: `tq_${tag}`,
      KAFKA_EVENTS_TOPIC: `t.${tag}.events`,
      KAFKA_INGEST_TOPICS: `t.${tag}.ingest`,
      KAFKA_INGEST_GROUP: `g_${tag}`,
      KAFKA_DEAD_LETTER_TOPIC: `t.${tag}.dlq`,
      WORKER_NAME: `w_${tag}`,
      WORKER_HTTP_PORT: '0',
      WORKER_SHUTDOWN_GRACE_SECONDS: '5',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited, stateDir };
}

afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
  for (const pid of pidsSeen) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  const config = loadConfig({ env: {} });
  const mongo = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 5000 });
  try {
    await mongo.connect();
    for (let i = 1; i <= stateDirs.length; i++) await mongo.db(`t_start_${suffix}_${i}`).dropDatabase();
  } finally {
    await mongo.close();
  }
}, 60_000);

describe('npm start', () => {
  it('reports an invalid setting and exits before it starts anything', async () => {
    const run = await runStart({ API_PORT: 'not-a-port' });
    expect(await run.exited).toBe(2);
    expect(run.out()).toContain('API_PORT must be a number');
    // up.sh never ran: it makes its logs folder first thing, and nothing was listed as started.
    expect(existsSync(join(run.stateDir, 'logs'))).toBe(false);
    expect(existsSync(join(run.stateDir, 'started'))).toBe(false);
  }, 120_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`runs the API and the worker as two processes, and one ${signal} stops both`, async () => {
      const port = await freePort();
      const run = await runStart({ API_PORT: String(port) });
      const line = await eventually(async () => run.out().split('\n').find((l) => l.includes('"msg":"dev: api and worker started as separate processes"')), 'the dev process to start its children', 180_000, 250);
      const { api, worker } = JSON.parse(line) as { api: number; worker: number };
      pidsSeen.push(api, worker);
      expect(new Set([run.child.pid, api, worker]).size).toBe(3);
      await eventually(async () => run.out().includes('Switchyard is running'), 'the API to answer', 180_000, 250);
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
      // The worker is up too: it registered itself and polls.
      await eventually(async () => run.out().includes('"msg":"worker running"'), 'the worker to run', 120_000, 250);

      // SIGINT to the group is a terminal's Ctrl-C; SIGTERM goes to the process, as a supervisor sends it.
      if (signal === 'SIGINT') process.kill(-run.child.pid!, 'SIGINT');
      else run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(pidAlive(api), 'the api process is gone').toBe(false);
      expect(pidAlive(worker), 'the worker process is gone').toBe(false);
      await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
      // A clean stop, not a kill: each child shut down on its own (its log says so).
      expect(run.out()).toContain('"msg":"worker stopped"');
    }, 300_000);
  }
});
