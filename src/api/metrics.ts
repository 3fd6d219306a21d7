import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MiddlewareHandler } from 'hono';
import type { TaskStore } from '../store/tasks.js';
import type { AppEnv } from './context.js';

export interface HttpMetrics {
  registry: Registry;
  middleware: MiddlewareHandler<AppEnv>;
}

/**
 * Prometheus metrics: HTTP requests by route pattern (never the raw path, whose ids would explode the label
 * set) and status, and jobs by kind and state counted in MongoDB at scrape time.
 */
export function createMetrics(tasks: TaskStore | null): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_process_' });

  const requests = new Counter({
    name: 'switchyard_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'switchyard_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'switchyard_jobs',
    help: 'Jobs in the task mirror by kind and canonical state',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
    async collect() {
      if (!tasks) return;
      this.reset();
      const rows = await tasks.collection
        .aggregate<{ _id: { kind: string; state: string }; n: number }>([
          { $group: { _id: { kind: '$kind', state: '$state' }, n: { $sum: 1 } } },
        ])
        .toArray();
      for (const r of rows) this.set({ kind: r._id.kind, state: r._id.state }, r.n);
    },
  });

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
  return { registry, middleware };
}
