import type { Worker } from '@temporalio/worker';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Readiness } from './lifecycle/readiness.js';
import { jobMetricsRegistry, registerJobStateGauge } from './store/job-metrics.js';

export interface JobStateSource {
  count: () => Promise<Array<{ kind: string; state: string; n: number }>>;
  isLeader: () => boolean;
}

/**
 * The worker process's Prometheus registry, served on its probe port (with the SDK's `temporal_*` series appended,
 * src/temporal/runtime.ts): the standard process and Node.js metrics (the same names as the API's), what its
 * Temporal workers hold right now per task queue (read from the SDK at scrape time), the job outcome metrics of
 * the jobs it ended and, while it leads the cluster, jobs by kind and state.
 */
export function createWorkerMetrics(workers: () => readonly Worker[], readiness: Readiness, jobState?: JobStateSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (jobState) registerJobStateGauge(registry, jobState);
  const perQueue = (name: string, help: string, read: (s: ReturnType<Worker['getStatus']>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['task_queue'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const w of workers()) this.set({ task_queue: w.options.taskQueue }, read(w.getStatus()));
      },
    });
  perQueue('switchyard_worker_activities_in_flight', 'Activities (not local ones) running now', (s) => s.numInFlightNonLocalActivities);
  perQueue('switchyard_worker_local_activities_in_flight', 'Local activities running now', (s) => s.numInFlightLocalActivities);
  perQueue('switchyard_worker_workflow_activations_in_flight', 'Workflow activations being processed now', (s) => s.numInFlightWorkflowActivations);
  perQueue('switchyard_worker_cached_workflows', 'Workflow executions cached in this worker', (s) => s.numCachedWorkflows);
  new Gauge({
    name: 'switchyard_worker_ready',
    help: '1 while /readyz answers 200',
    registers: [registry],
    async collect() {
      this.set((await readiness.state()) === 'ready' ? 1 : 0);
    },
  });
  return Registry.merge([registry, jobMetricsRegistry]);
}
