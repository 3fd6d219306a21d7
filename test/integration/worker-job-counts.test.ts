import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { JOB_COUNT_FLUSH_MS, WorkerStore } from '../../src/store/workers.js';
import { TaskStore } from '../../src/store/tasks.js';
import { jobMetricsRegistry } from '../../src/store/job-metrics.js';
import { testEnv } from '../support/env.js';

// What a finished job costs the database besides its own record, gathered per second instead of per job: the
// worker's job counters (one `$inc`) and the read that feeds the job metrics (one `_id $in`). Nothing is lost.
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

describe('worker job counts', () => {
  it('adds a second of finished jobs in one write, and nothing is lost', async () => {
    const store = new WorkerStore(db);
    await store.register({ name: 'w_counts', pid: 1, hostname: 'h', queues: [], task_queues: [] });
    for (let i = 0; i < 7; i++) store.countJob('w_counts', i % 3 !== 0);
    // Not yet written: counted in memory until the flush.
    expect(await counts('w_counts')).toEqual({ successful_job_count: 0, failed_job_count: 0 });
    await new Promise((r) => setTimeout(r, JOB_COUNT_FLUSH_MS + 500));
    expect(await counts('w_counts')).toEqual({ successful_job_count: 4, failed_job_count: 3 });
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

  it('observes every job that ended in a second from one read of their records', async () => {
    const tasks = new TaskStore(db);
    // A status word no other test in this process uses, so the counter's change is this test's alone.
    const status = `ended_${Date.now()}`;
    const before = await finished(status);
    const t0 = new Date(Date.now() - 5000);
    for (let i = 0; i < 5; i++) {
      const id = `metric_job_${i}`;
      await tasks.create({ task_id: id, rev: 1, kind: 'device', state: 'queued', status: 'queued', queue: 'FifoQ', create_time: t0, enqueue_time: t0 });
      await tasks.apply({ task_id: id, rev: 2, state: 'succeeded', status, start_time: t0, end_time: new Date() });
    }
    expect(await finished(status)).toBe(before);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await finished(status)).toBe(before + 5);
  });
});
