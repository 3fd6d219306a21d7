import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { clusterRegistryFor } from '../../cluster/registry.js';
import { queueLengths, recentFailureRate, runSweep, type GpuOps } from '../../gpu/ops.js';
import { gpuHealth, gpuTaskCounts } from '../../gpu/service.js';
import { InstanceStore } from '../../store/instances.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { NotFoundError } from '../errors.js';
import { runHealthChecks } from '../health.js';
import { ok, responses, route } from './routes.js';
import * as S from './schemas.js';
import { alertView, systemMetrics } from './views.js';

const COMPONENTS = ['system', 'gpu', 'task', 'queue', 'cluster'] as const;
const METRIC_KEYS = ['gpu_status_counts', 'task_status_counts', 'queue_lengths', 'system_metrics'] as const;

/** /api/v2/monitoring/*, its alerts and /api/v2/cluster/*: health, metrics, alerts and the live instances. */
export function registerGpuMonitoringRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps, ops: GpuOps, ensureReady: () => Promise<void>): void {
  // ---------- monitoring ----------
  const health = () => gpuHealth(ops);
  const metric = async (key: (typeof METRIC_KEYS)[number]): Promise<unknown> => {
    switch (key) {
      case 'gpu_status_counts':
        return ops.nodes.countByStatus();
      case 'task_status_counts':
        return gpuTaskCounts(ops);
      case 'queue_lengths':
        return queueLengths(deps.tasks);
      case 'system_metrics':
        return systemMetrics();
    }
  };
  const healthView = (h: Awaited<ReturnType<typeof health>>) => ({
    overall_health: h.overall_health,
    gpu_health: h.gpu_health,
    queue_health: h.queue_health,
    active_gpu_count: h.active_gpu_count,
    total_gpu_count: h.total_gpu_count,
    timestamp: h.timestamp,
  });
  const registry = () => clusterRegistryFor(deps);

  app.openapi(
    createRoute({
      ...route('get', '/monitoring/overview', 'Monitoring overview: health, this instance, task counts', 'Monitoring'),
      responses: responses(z.object({ timestamp: z.number(), instance_id: z.string(), is_leader: z.boolean(), health_status: S.HealthStatus, metrics: z.record(z.string(), z.number()) })),
    }),
    async (c) => {
      const [h, t] = await Promise.all([health(), gpuTaskCounts(ops)]);
      const total = Object.values(t).reduce((a, b) => a + b, 0);
      const reg = registry();
      return c.json(
        ok({
          timestamp: Date.now(),
          instance_id: reg?.instanceId ?? 'standalone',
          is_leader: reg ? reg.isLeader() : true,
          health_status: healthView(h),
          metrics: {
            active_gpus: h.active_gpu_count,
            total_tasks: total,
            queue_length: t.QUEUED,
            failed_tasks: t.FAILED + t.TIMEOUT,
            completed_tasks: t.COMPLETED,
            processing_tasks: t.PROCESSING,
            queued_tasks: t.QUEUED,
          },
        }),
        200,
      );
    },
  );

  app.openapi(createRoute({ ...route('get', '/monitoring/health', 'Overall health: GPU nodes and queues', 'Monitoring'), responses: responses(S.HealthStatus) }), async (c) =>
    c.json(ok(healthView(await health())), 200),
  );

  app.openapi(
    createRoute({
      ...route('get', '/monitoring/health/{component}', 'Health of one component: system, gpu, task, queue or cluster', 'Monitoring'),
      request: { params: z.object({ component: z.string() }) },
      responses: responses(z.object({ component: z.string(), status: z.string(), details: z.record(z.string(), z.any()), timestamp: z.number() })),
    }),
    async (c) => {
      const { component } = c.req.valid('param');
      if (!(COMPONENTS as readonly string[]).includes(component)) throw new NotFoundError(`未知组件: ${component} (one of ${COMPONENTS.join(', ')})`);
      let status = 'HEALTHY';
      let detail: Record<string, unknown> = {};
      if (component === 'gpu') {
        const h = await health();
        status = h.gpu_health;
        detail = { active_gpus: h.counts.ACTIVE, faulty_gpus: h.counts.FAULTY, offline_gpus: h.counts.OFFLINE, total_gpus: h.total_gpu_count };
      } else if (component === 'queue') {
        const h = await health();
        status = h.queue_health;
        detail = { queue_lengths: h.lengths, total_queued: Object.values(h.lengths).reduce((a, b) => a + b, 0), threshold: deps.config.gpu.queueAlertThreshold };
      } else if (component === 'task') {
        const [counts, fr] = await Promise.all([metric('task_status_counts'), recentFailureRate(deps.tasks)]);
        status = fr.finished >= 10 && fr.rate > deps.config.gpu.failureRateAlertThreshold ? 'WARNING' : 'HEALTHY';
        detail = { task_status_counts: counts, recent_failure_rate: fr.rate, recent_finished: fr.finished };
      } else if (component === 'system') {
        const report = await runHealthChecks(deps.checks);
        status = report.healthy ? 'HEALTHY' : 'CRITICAL';
        detail = { checks: report.checks, ...(await systemMetrics()) };
      } else {
        const reg = registry();
        const instances = reg ? await reg.instances() : [];
        const leader = reg ? await reg.leader() : null;
        status = instances.length > 0 && leader ? 'HEALTHY' : 'WARNING';
        detail = { active_instances: instances.length, leader_instance: leader };
      }
      return c.json(ok({ component, status, details: detail, timestamp: Date.now() }), 200);
    },
  );

  app.openapi(
    createRoute({
      ...route('get', '/monitoring/metrics', 'Every metric: gpu_status_counts, task_status_counts, queue_lengths (per task type), system_metrics', 'Monitoring'),
      responses: responses(z.record(z.string(), z.any())),
    }),
    async (c) => {
      const values = await Promise.all(METRIC_KEYS.map((k) => metric(k)));
      return c.json(ok(Object.fromEntries(METRIC_KEYS.map((k, i) => [k, values[i]]))), 200);
    },
  );

  app.openapi(
    createRoute({
      ...route('get', '/monitoring/metrics/{key}', 'One metric by key', 'Monitoring'),
      request: { params: z.object({ key: z.string() }) },
      responses: responses(z.object({ key: z.string(), value: z.any(), timestamp: z.number() })),
    }),
    async (c) => {
      const { key } = c.req.valid('param');
      if (!(METRIC_KEYS as readonly string[]).includes(key)) throw new NotFoundError(`未知指标: ${key} (one of ${METRIC_KEYS.join(', ')})`);
      return c.json(ok({ key, value: await metric(key as (typeof METRIC_KEYS)[number]), timestamp: Date.now() }), 200);
    },
  );

  app.openapi(createRoute({ ...route('post', '/monitoring/check', 'Run a monitoring round now (silent nodes, queue and failure-rate alerts)', 'Monitoring'), responses: responses(z.string()) }), async (c) => {
    await ensureReady();
    await runSweep(ops);
    return c.json(ok('监控检查已触发'), 200);
  });

  app.openapi(createRoute({ ...route('post', '/monitoring/health/check', 'Run the health checks now', 'Monitoring'), responses: responses(z.string()) }), async (c) => {
    await runHealthChecks(deps.checks);
    await runSweep(ops);
    return c.json(ok('健康检查已触发'), 200);
  });

  // ---------- alerts ----------
  app.openapi(
    createRoute({ ...route('get', '/monitoring/alerts', 'Alerts, newest first (filters: level, status; page from 1, size)', 'Alerts'), request: { query: S.AlertListQuery }, responses: responses(z.array(S.Alert)) }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(ok((await ops.alerts.list({ level: q.level, status: q.status }, q.page, q.size)).map(alertView)), 200);
    },
  );

  app.openapi(createRoute({ ...route('get', '/monitoring/alerts/stats', 'Alert counts', 'Alerts'), responses: responses(S.AlertStatsSchema) }), async (c) => c.json(ok(await ops.alerts.stats()), 200));

  app.openapi(
    createRoute({
      ...route('post', '/monitoring/alerts/{alertId}/acknowledge', 'Acknowledge an alert (acknowledgedBy: the `X-User` header, else "api")', 'Alerts'),
      request: { params: z.object({ alertId: z.string().min(1) }) },
      responses: responses(z.string()),
    }),
    async (c) => {
      const { alertId } = c.req.valid('param');
      const by = c.req.header('x-user') ?? 'api';
      if (!(await ops.alerts.acknowledge(alertId, by))) throw new NotFoundError(`告警不存在: ${alertId}`);
      return c.json(ok('告警已确认'), 200);
    },
  );

  // ---------- cluster ----------
  const instanceStore = new InstanceStore(deps.db);
  const clusterView = async () => {
    const reg = registry();
    if (reg) return { instances: await reg.instances(), leader: await reg.leader() };
    const leaseMs = deps.config.cluster.leaseSeconds * 1000;
    const leader = await instanceStore.leader();
    const rows = await instanceStore.live(leaseMs);
    return {
      leader,
      instances: rows.map((r) => ({ instance_id: r.instance_id, status: 'ACTIVE', role: r.instance_id === leader ? 'LEADER' : 'FOLLOWER', last_heartbeat: r.last_heartbeat, start_time: r.start_time, version: r.version })),
    };
  };
  const instanceView = (i: { instance_id: string; status: string; role: string; last_heartbeat: number; start_time: number; version: string }) => ({
    instance_id: i.instance_id,
    status: i.status,
    role: i.role as 'LEADER' | 'FOLLOWER',
    last_heartbeat: i.last_heartbeat,
    start_time: i.start_time,
    version: i.version,
  });

  app.openapi(
    createRoute({
      ...route('get', '/cluster/status', 'Cluster status: the leader and every live api/worker instance', 'Cluster'),
      responses: responses(z.object({ cluster_id: z.string(), leader_instance: z.string().nullable(), total_instances: z.number(), active_instances: z.number(), instances: z.array(S.Instance) })),
    }),
    async (c) => {
      const v = await clusterView();
      return c.json(
        ok({ cluster_id: deps.config.cluster.id, leader_instance: v.leader, total_instances: v.instances.length, active_instances: v.instances.length, instances: v.instances.map(instanceView) }),
        200,
      );
    },
  );

  app.openapi(createRoute({ ...route('get', '/cluster/instances', 'Live api/worker instances', 'Cluster'), responses: responses(z.array(S.Instance)) }), async (c) =>
    c.json(ok((await clusterView()).instances.map(instanceView)), 200),
  );
}
