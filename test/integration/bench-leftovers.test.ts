import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { endBenchLeftovers } from '../../bench/lib/leftovers.js';
import { connectTemporalClient } from '../../src/temporal/connection.js';
import { testEnv } from '../support/env.js';

// Benchmarks leave nothing running: the long-lived workflows (device lanes, the GPU monitor and dispatchers) and
// the schedules a bench started on its tagged task queue are ended at its end.
const env = testEnv('benchleft');
const { config } = env;

afterAll(() => env.cleanup());

describe('bench clean-up', () => {
  it('every bench that runs a worker or an API ends what it left in Temporal', () => {
    const dir = new URL('../../bench/', import.meta.url);
    const benches = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    const starting = benches.filter((f) => /createWorkerRuntime|createApiRuntime|new ServiceProcess\(\{ kind: 'api'/.test(readFileSync(new URL(f, dir), 'utf8')));
    expect(starting.length).toBeGreaterThanOrEqual(8);
    // endBenchRun ends the leftovers the same way, then drops the run's database.
    const missing = starting.filter((f) => !/\n\s+await (endBenchLeftovers|endBenchRun)\(config\);/.test(readFileSync(new URL(f, dir), 'utf8')));
    expect(missing).toEqual([]);
  });

  it('terminates running workflows on the tagged queues or named after them, and the schedules of its database, and nothing else', async () => {
    const temporal = await connectTemporalClient(config);
    const base = config.temporal.taskQueue;
    const other = `${base}-other`;
    try {
      // No worker polls these queues: each workflow stays Running, as a lane or monitor does after a bench.
      const start = (workflowId: string, taskQueue: string) => temporal.client.workflow.start('benchLeftover', { workflowId, taskQueue, args: [] });
      const ours = await Promise.all([start(`mon-${base}`, base), start(`fifo-${env.suffix}`, `${base}.fifo`), start(`lane-127.0.0.1@${base}`, other)]);
      const theirs = await start(`unrelated-${env.suffix}`, other);
      await temporal.client.schedule.create({
        scheduleId: `sched-${config.mongo.db}-1`,
        spec: { intervals: [{ every: '1h' }] },
        action: { type: 'startWorkflow', workflowType: 'benchLeftover', taskQueue: base, args: [] },
      });
      // Visibility shows new workflows after a moment.
      for (let i = 0; i < 100; i++) {
        const n = (await temporal.client.workflow.count(`WorkflowId = "unrelated-${env.suffix}" AND ExecutionStatus = "Running"`)).count;
        if (n === 1) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await endBenchLeftovers(config)).toBe(0);
      for (const h of ours) expect((await h.describe()).status.name, h.workflowId).toBe('TERMINATED');
      expect((await theirs.describe()).status.name).toBe('RUNNING');
      await expect(temporal.client.schedule.getHandle(`sched-${config.mongo.db}-1`).describe()).rejects.toThrow();
      await theirs.terminate('test over');
    } finally {
      await temporal.close();
    }
  }, 120_000);
});
