import { MongoClient } from 'mongodb';
import type { Client } from '@temporalio/client';
import type { Config } from '../../src/config/index.js';
import { connectTemporalClient } from '../../src/temporal/connection.js';

interface Scope {
  /** The bench's tagged base task queue. */
  taskQueue: string;
  /** The bench's database: its scheduler tasks' schedules are `sched-<db>-<id>`. */
  db: string;
}

const oursWorkflow = (scope: Scope, w: { taskQueue: string; workflowId: string }) =>
  w.taskQueue === scope.taskQueue || w.taskQueue.startsWith(`${scope.taskQueue}.`) || w.workflowId.includes(scope.taskQueue);

async function sweep(client: Client, scope: Scope, end: boolean): Promise<number> {
  let n = 0;
  for await (const w of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    if (!oursWorkflow(scope, w)) continue;
    n += 1;
    if (end) await client.workflow.getHandle(w.workflowId, w.runId).terminate('benchmark finished').catch(() => undefined);
  }
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(`sched-${scope.db}-`)) continue;
    n += 1;
    if (end) await client.schedule.getHandle(s.scheduleId).delete().catch(() => undefined);
  }
  return n;
}

/**
 * Ends what a benchmark started in Temporal that would outlive it: every running workflow on its tagged task
 * queues (the base queue and those derived from it: `<base>.fifo`, `<base>.worker.<name>`, …) or whose id names
 * the base queue (device lanes are `lane-<host>@<base>`), and every schedule of its database. Device lanes, the
 * GPU monitor and the GPU dispatchers are long-lived by design, so a bench that only shuts its worker down leaves
 * them open, each waiting on a queue nothing polls any more. Prints what it ended and what is left (0).
 */
export async function endBenchLeftovers(config: Config): Promise<number> {
  const scope = { taskQueue: config.temporal.taskQueue, db: config.mongo.db };
  const temporal = await connectTemporalClient(config);
  try {
    const ended = await sweep(temporal.client, scope, true);
    // Visibility lags the terminations by a moment: count again until it agrees, briefly.
    let left = ended;
    for (let i = 0; i < 20 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      left = await sweep(temporal.client, scope, false);
    }
    console.log(`Temporal clean-up: ended ${ended} workflow(s)/schedule(s) of this run; left running: ${left}`);
    return left;
  } finally {
    await temporal.close();
  }
}

/** The end of a bench run: what it left in Temporal ended (`endBenchLeftovers`), then its own database dropped. */
export async function endBenchRun(config: Config): Promise<void> {
  await endBenchLeftovers(config);
  const client = new MongoClient(config.mongo.url);
  try {
    await client.connect();
    await client.db(config.mongo.db).dropDatabase();
  } finally {
    await client.close();
  }
}
