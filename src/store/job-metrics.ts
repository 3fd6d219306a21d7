import type { Collection } from 'mongodb';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isTerminal, type TaskKind } from '../domain/status.js';
import type { TaskRecord } from '../domain/task.js';

/**
 * Job outcomes and durations, observed by whichever process writes a job's terminal state (a worker's mirror
 * activity, or the API when it cancels a job that never started). Each ending is written once (the mirror's
 * revision guard drops repeats), so summing these series over every replica counts each job once.
 *
 * Labels are bounded words only: kind, canonical state, the dialect's status word and the queue strategy. Never
 * an id, a host or a queue name (a pinned queue is named after its host).
 */
export const jobMetricsRegistry = new Registry();

const LABELS = ['kind', 'state', 'status', 'queue_strategy'] as const;
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

const outcomes = new Counter({
  name: 'switchyard_jobs_finished_total',
  help: 'Jobs that reached a terminal state, by kind, state, dialect status and queue strategy',
  labelNames: LABELS,
  registers: [jobMetricsRegistry],
});
const queueWait = new Histogram({
  name: 'switchyard_job_queue_wait_seconds',
  help: 'Time a job waited between being queued and starting to run',
  labelNames: LABELS,
  buckets: BUCKETS,
  registers: [jobMetricsRegistry],
});
const runTime = new Histogram({
  name: 'switchyard_job_run_seconds',
  help: 'Time a job ran, from its start to its end',
  labelNames: LABELS,
  buckets: BUCKETS,
  registers: [jobMetricsRegistry],
});
const endToEnd = new Histogram({
  name: 'switchyard_job_end_to_end_seconds',
  help: 'Time from a job being accepted to its end',
  labelNames: LABELS,
  buckets: BUCKETS,
  registers: [jobMetricsRegistry],
});

/**
 * How a job's queue hands out work: `pinned` (one lane per device), `fifo` (any free worker), `priority` (GPU
 * placement and scheduler priorities), `service` (a long-task service's own queue).
 */
export function queueStrategy(kind: TaskKind, queue: string): string {
  if (kind === 'device') return queue.startsWith('pinned_') ? 'pinned' : 'fifo';
  if (kind === 'gpu' || kind === 'command') return 'priority';
  return 'service';
}

const seconds = (from: Date | null | undefined, to: Date | null | undefined): number | null =>
  from && to ? Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000) : null;

/** Observes a job that has just ended (its record as stored, terminal state written). */
export function observeJobEnded(r: Pick<TaskRecord, 'kind' | 'state' | 'status' | 'queue' | 'create_time' | 'enqueue_time' | 'start_time' | 'end_time'>): void {
  if (!isTerminal(r.state)) return;
  const labels = { kind: r.kind, state: r.state, status: r.status ?? r.state, queue_strategy: queueStrategy(r.kind, r.queue ?? '') };
  outcomes.inc(labels);
  const wait = seconds(r.enqueue_time ?? r.create_time, r.start_time);
  if (wait !== null) queueWait.observe(labels, wait);
  const run = seconds(r.start_time, r.end_time);
  if (run !== null) runTime.observe(labels, run);
  const total = seconds(r.create_time, r.end_time);
  if (total !== null) endToEnd.observe(labels, total);
}

/** How long one count of the tasks collection serves scrapes: a scrape never costs more than one count per period. */
const STATE_COUNT_TTL_MS = 10_000;

/**
 * `switchyard_jobs{kind,state}`: jobs in the task mirror now. Counted by the cluster leader only (the one api or
 * worker process holding the lease), at most once per STATE_COUNT_TTL_MS, so N replicas cost one count and a
 * `sum` over replicas is the true figure. During a leadership hand-over two processes may both export it for a
 * scrape: dashboards use `max by (kind, state)`, which is right either way.
 */
export function registerJobStateGauge(registry: Registry, opts: { count: () => Promise<Array<{ kind: string; state: string; n: number }>>; isLeader: () => boolean }): void {
  let cached: { at: number; rows: Array<{ kind: string; state: string; n: number }> } | null = null;
  new Gauge({
    name: 'switchyard_jobs',
    help: 'Jobs in the task mirror by kind and canonical state (exported by the cluster leader only)',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!opts.isLeader()) {
        cached = null;
        return;
      }
      if (!cached || Date.now() - cached.at > STATE_COUNT_TTL_MS) cached = { at: Date.now(), rows: await opts.count() };
      for (const r of cached.rows) this.set({ kind: r.kind, state: r.state }, r.n);
    },
  });
}

/** The count behind `switchyard_jobs`: one `$group` over the tasks collection. */
export function countJobsByKindAndState(collection: Collection<TaskRecord>): () => Promise<Array<{ kind: string; state: string; n: number }>> {
  return async () => {
    const rows = await collection.aggregate<{ _id: { kind: string; state: string }; n: number }>([{ $group: { _id: { kind: '$kind', state: '$state' }, n: { $sum: 1 } } }]).toArray();
    return rows.map((r) => ({ kind: r._id.kind, state: r._id.state, n: r.n }));
  };
}
