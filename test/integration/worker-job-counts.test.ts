import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerStore } from '../../src/store/workers.js';
import { TaskStore } from '../../src/store/tasks.js';
import { jobMetricsRegistry } from '../../src/store/job-metrics.js';
import { eventually, testEnv } from '../support/env.js';

// What a finished job costs the database besides its own record, gathered per second instead of per job: the
// worker's job counters (one `$inc`) and the read that feeds the job metrics (one `_id $in`). Nothing is lost.
// No assertion depends on how fast the machine is: "not yet written" is checked under a window no test outlives,
// and the timer's own write is awaited, not timed.
const env = testEnv('worker_job_counts');
const client = await new MongoClient(env.config.mongo.url).connect();
const db = client.db(env.config.mongo.db);

afterAll(async () => {
  await client.close();
  await env.cleanup();
});

async function counts(name: string) {
  return db.collection('workers').findOne({ name }, { projection: { _id: 0, successful_job_count: 1, failed_job_count: 1 } });
}

const NEVER_IN_A_TEST_MS = 10 * 60_000;

describe('worker job counts', () => {
  it('counts finished jobs in memory until the window ends', async () => {
    const store = new WorkerStore(db, NEVER_IN_A_TEST_MS);
    await store.register({ name: 'w_held', pid: 1, hostname: 'h', queues: [], task_queues: [] });
    for (let i = 0; i < 7; i++) store.countJob('w_held', i % 3 !== 0);
    expect(await counts('w_held')).toEqual({ successful_job_count: 0, failed_job_count: 0 });
    await store.flushJobCounts();
    expect(await counts('w_held')).toEqual({ successful_job_count: 4, failed_job_count: 3 });
  });

  it('writes a window of finished jobs by itself when the window ends, and nothing is lost', async () => {
    const store = new WorkerStore(db, 200);
    await store.register({ name: 'w_counts', pid: 1, hostname: 'h', queues: [], task_queues: [] });
    for (let i = 0; i < 7; i++) store.countJob('w_counts', i % 3 !== 0);
    await eventually(async () => (await counts('w_counts'))?.successful_job_count === 4, 'the first window written');
    expect(await counts('w_counts')).toEqual({ successful_job_count: 4, failed_job_count: 3 });
    // A second window adds to the first.
    store.countJob('w_counts', false);
    await eventually(async () => (await counts('w_counts'))?.failed_job_count === 4, 'the second window written');
    expect(await counts('w_counts')).toEqual({ successful_job_count: 4, failed_job_count: 4 });
  });

  it('writes what is counted at once when flushed (a worker shutting down)', async () => {
    const store = new WorkerStore(db);
    await store.register({ name: 'w_flush', pid: 1, hostname: 'h', queues: [], task_queues: [] });
    store.countJob('w_flush', true);
    store.countJob('w_flush', true);
    store.countJob('w_flush', false);
    await store.flushJobCounts();
    expect(await counts('w_flush')).toEqual({ successful_job_count: 2, failed_job_count: 1 });
    // Nothing left to write: a second flush adds nothing.
    await store.flushJobCounts();
    expect(await counts('w_flush')).toEqual({ successful_job_count: 2, failed_job_count: 1 });
  });
});

describe('job metrics', () => {
  async function finished(status: string): Promise<number> {
    const m = (await jobMetricsRegistry.getMetricsAsJSON()).find((x) => x.name === 'switchyard_jobs_finished_total');
    return (m?.values ?? []).filter((v) => v.labels.kind === 'device' && v.labels.status === status).reduce((n, v) => n + v.value, 0);
  }

  async function endJobs(tasks: TaskStore, prefix: string, status: string, n: number): Promise<void> {
    const t0 = new Date(Date.now() - 5000);
    for (let i = 0; i < n; i++) {
      const id = `${prefix}_${i}`;
      await tasks.create({ task_id: id, rev: 1, kind: 'device', state: 'queued', status: 'queued', queue: 'FifoQ', create_time: t0, enqueue_time: t0 });
      await tasks.apply({ task_id: id, rev: 2, state: 'succeeded', status, start_time: t0, end_time: new Date() });
    }
  }

  it('gathers the jobs that ended in a window and observes them from one read of their records', async () => {
    const tasks = new TaskStore(db, NEVER_IN_A_TEST_MS);
    // A status word no other test in this process uses, so the counter's change is this test's alone.
    const status = `held_${Date.now()}`;
    const before = await finished(status);
    await endJobs(tasks, 'metric_held', status, 5);
    expect(await finished(status)).toBe(before);
    await tasks.observeEnded();
    expect(await finished(status)).toBe(before + 5);
  });

  it('observes them by itself when the window ends', async () => {
    const tasks = new TaskStore(db, 200);
    const status = `ended_${Date.now()}`;
    const before = await finished(status);
    await endJobs(tasks, 'metric_job', status, 5);
    await eventually(async () => (await finished(status)) >= before + 5, 'the window observed');
    expect(await finished(status)).toBe(before + 5);
  });
});
