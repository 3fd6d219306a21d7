import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MiddlewareHandler } from 'hono';
import { countJobsByKindAndState, jobMetricsRegistry, registerJobStateGauge } from '../store/job-metrics.js';
import type { TaskStore } from '../store/tasks.js';
import type { AppEnv } from './context.js';

export interface HttpMetrics {
  registry: Registry;
  middleware: MiddlewareHandler<AppEnv>;
}

/**
 * Prometheus metrics: the standard process and Node.js metrics (`process_*`, `nodejs_*`, unprefixed so the
 * usual Node.js dashboards work), HTTP requests by route pattern (never the raw path, whose ids would explode
 * the label set) and status, the job outcome metrics of this process (src/store/job-metrics.ts) and, in the
 * cluster leader only, jobs by kind and state.
 */
export function createMetrics(tasks: TaskStore | null, isLeader: () => boolean = () => true): HttpMetrics {
  const own = new Registry();
  collectDefaultMetrics({ register: own });

  const requests = new Counter({
    name: 'switchyard_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [own],
  });
  const duration = new Histogram({
    name: 'switchyard_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [own],
  });
  if (tasks) registerJobStateGauge(own, { count: countJobsByKindAndState(tasks.collection), isLeader });

  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
      const labels = { method: c.req.method, route, status: String(c.res.status) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  return { registry: Registry.merge([own, jobMetricsRegistry]), middleware };
}
