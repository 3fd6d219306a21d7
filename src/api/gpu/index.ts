import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { MiddlewareHandler } from 'hono';
import { clusterRegistryFor } from '../../cluster/registry.js';
import { fromDialectStatus } from '../../domain/status-mapping.js';
import { isTerminal } from '../../domain/status.js';
import { isGpuTaskId } from '../../domain/ids.js';
import { gpuNodeResultSignal, gpuNodeStatusSignal, gpuQueueName } from '../../gpu/contract.js';
import { createGpuOps, ensureGpuIndexes, ensureMonitor, markNodeDown, markNodeUp, notifyNodeLost, queueLengths, recentFailureRate, runSweep } from '../../gpu/ops.js';
import { submitGpuTask } from '../../gpu/tasks.js';
import { isUnavailableError } from '../../store/errors.js';
import { InstanceStore } from '../../store/instances.js';
import { safeEqual } from '../codec-endpoint.js';
import type { ApiDeps, AppEnv } from '../context.js';
import type { Dialect } from '../dialect.js';
import { codeMessageDataShaper, ConflictError, NotFoundError, UnauthorizedError, UnavailableError } from '../errors.js';
import { runHealthChecks } from '../health.js';
import { createDialectApp } from '../openapi.js';
import * as S from './schemas.js';
import { alertView, averageDurationSeconds, details, gpuTaskStatusCounts, nodeView, queueFacts, systemMetrics, taskView } from './views.js';

export const GPU_OPENAPI_PATH = '/openapi/gpu.json';
const BASE = '/api/v2';
const SECURITY: Record<string, string[]>[] = [{ BearerKey: [] }, { ApiKeyHeader: [] }];

/** `Authorization: Bearer <key>` or `X-API-Key: <key>`, compared in constant time. */
export function gpuApiKeyAuth(apiKey: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.req.header('authorization');
    const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : undefined;
    const given = bearer ?? c.req.header('x-api-key');
    if (!given) throw new UnauthorizedError('认证失败: missing API key (Authorization: Bearer <key> or X-API-Key)');
    if (!safeEqual(given, apiKey)) throw new UnauthorizedError('认证失败: invalid API key');
    await next();
  };
}

const ok = <T>(data: T) => ({ code: 200, message: 'success', data });

function responses<T extends z.ZodTypeAny>(data: T, description = 'success') {
  const err = (d: string) => ({ description: d, content: { 'application/json': { schema: S.ErrorEnvelope } } });
  return {
    200: { description, content: { 'application/json': { schema: S.envelope(data) } } },
    400: err('Invalid request: the message names the field'),
    401: err('Missing or wrong API key'),
    404: err('Unknown id'),
  };
}
const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
const gpuIdParam = z.object({ gpuId: z.string().min(1) });
const taskIdParam = z.object({ taskId: z.string().min(1) });
const COMPONENTS = ['system', 'gpu', 'task', 'queue', 'cluster'] as const;
const METRIC_KEYS = ['gpu_status_counts', 'task_status_counts', 'queue_lengths', 'system_metrics'] as const;

function route<M extends 'get' | 'post' | 'delete', P extends string>(method: M, path: P, summary: string, tag: string) {
  return { method, path: `${BASE}${path}` as `/api/v2${P}`, summary, tags: [tag], security: SECURITY };
}

/** How long a node report for a task whose workflow has not started yet is held before the node is told 503. */
const NOT_STARTED_WAIT_MS = 1000;
const NOT_STARTED_RETRY_MS = 100;

/** The GPU dispatch dialect (`gpu-scheduler-api.md`): /api/v2. */
export function createGpuDialect(deps: ApiDeps): Dialect {
  const app = createDialectApp();
  app.openAPIRegistry.registerComponent('securitySchemes', 'BearerKey', { type: 'http', scheme: 'bearer', description: 'the GPU API key' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKeyHeader', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  app.use(`${BASE}/*`, gpuApiKeyAuth(deps.config.auth.gpuApiKey));

  const ops = createGpuOps({ config: deps.config, logger: deps.logger, db: deps.db, client: deps.temporal });
  let ready: Promise<void> | null = null;
  /** Indexes and the health monitor, once per process (retried after a failure). */
  const ensureReady = () =>
    (ready ??= (async () => {
      await ensureGpuIndexes(deps.db);
      await ensureMonitor(ops);
    })().catch((e: unknown) => {
      ready = null;
      deps.logger.warn({ err: (e as Error).message }, 'GPU monitor not started yet');
    }));
  void ensureReady();

  const getTask = async (taskId: string) => {
    const r = await deps.tasks.get(taskId);
    if (!r || r.kind !== 'gpu') throw new NotFoundError(`任务不存在: ${taskId}`);
    return r;
  };
  const getNode = async (gpuId: string) => {
    const n = await ops.nodes.get(gpuId);
    if (!n) throw new NotFoundError(`GPU不存在: ${gpuId}`);
    return n;
  };
  const signalTask = async <T>(taskId: string, signal: SignalDefinition<[T]>, arg: T) => {
    try {
      await deps.temporal.workflow.getHandle(taskId).signal(signal, arg);
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) throw new ConflictError(`任务已结束: ${taskId}`);
      throw e;
    }
  };
  /**
   * A node's status or result report: refused once the task has ended, otherwise handed to its workflow. While
   * MongoDB is away the record cannot be read, but the workflow (the truth, which ignores a report it cannot use)
   * still takes it: a node that reports during an outage must not have to outlast it, or its result is lost.
   */
  const forwardNodeReport = async <T extends { at: number }>(taskId: string, signal: SignalDefinition<[T]>, body: Omit<T, 'at'>) => {
    let open = false;
    try {
      const r = await getTask(taskId);
      if (isTerminal(r.state)) throw new ConflictError(`任务已结束: ${taskId} (${taskView(r).status})`);
      open = true;
    } catch (e) {
      if (!isUnavailableError(e) || !isGpuTaskId(taskId)) throw e;
      deps.logger.warn({ taskId }, 'MongoDB unavailable: GPU node report sent to the task workflow unchecked');
    }
    const at = Date.now();
    for (let waited = 0; ; waited += NOT_STARTED_RETRY_MS) {
      try {
        await signalTask(taskId, signal, { ...body, at } as T);
        return;
      } catch (e) {
        // A node may report before the task's workflow exists: the API sends a task with free capacity to its node
        // and then starts the workflow, and a start retried through a Temporal restart can come seconds later.
        // The usual gap is milliseconds, waited out here; a longer one is a 503, so the node reports again
        // rather than giving up (its result would be lost and the task would wait for its timeout).
        if (!open || !(e instanceof ConflictError)) throw e;
        if (waited >= NOT_STARTED_WAIT_MS) throw new UnavailableError(`任务尚未启动，请稍后重试: ${taskId}`);
        await new Promise((r) => setTimeout(r, NOT_STARTED_RETRY_MS));
      }
    }
  };

  // ---------- GPU nodes ----------
  app.openapi(createRoute({ ...route('get', '/gpus', 'List every GPU node', 'GPU'), responses: responses(z.array(S.GpuNode)) }), async (c) =>
    c.json(ok((await ops.nodes.list()).map(nodeView)), 200),
  );

  app.openapi(
    createRoute({
      ...route('get', '/gpus/by-task-type/{taskType}', 'GPU nodes supporting a task type (optionally only NORMAL or VIP nodes)', 'GPU'),
      request: { params: z.object({ taskType: z.coerce.number().int() }), query: z.object({ priority: z.enum(['NORMAL', 'VIP']).optional() }) },
      responses: responses(z.array(S.GpuNode)),
    }),
    async (c) => {
      const { taskType } = c.req.valid('param');
      const { priority } = c.req.valid('query');
      return c.json(ok((await ops.nodes.list({ taskType, priorityClass: priority })).map(nodeView)), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('get', '/gpus/{gpuId}', 'One GPU node', 'GPU'), request: { params: gpuIdParam }, responses: responses(S.GpuNode) }),
    async (c) => c.json(ok(nodeView(await getNode(c.req.valid('param').gpuId))), 200),
  );

  app.openapi(
    createRoute({
      ...route('post', '/gpus/register', 'Register a GPU node (idempotent per gpuId: a re-registration updates it)', 'GPU'),
      request: jsonBody(S.RegisterBody),
      responses: responses(z.string()),
    }),
    async (c) => {
      const body = c.req.valid('json');
      await ensureReady();
      const { node } = await ops.nodes.register(body);
      await markNodeUp(ops, node);
      return c.json(ok('GPU注册成功'), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('post', '/gpus/{gpuId}/heartbeat', 'GPU node heartbeat (an OFFLINE node comes back ACTIVE)', 'GPU'), request: { params: gpuIdParam }, responses: responses(z.string()) }),
    async (c) => {
      const { gpuId } = c.req.valid('param');
      const before = await ops.nodes.heartbeat(gpuId, Date.now(), (deps.config.gpu.heartbeatTimeoutSeconds * 1000) / 4);
      if (!before) throw new NotFoundError(`GPU不存在: ${gpuId}`);
      if (before.status === 'OFFLINE') await markNodeUp(ops, before);
      return c.json(ok('心跳更新成功'), 200);
    },
  );

  app.openapi(
    createRoute({
      ...route('post', '/gpus/{gpuId}/fault', 'Mark a GPU node FAULTY; its running tasks go to other nodes', 'GPU'),
      request: { params: gpuIdParam, query: z.object({ reason: z.string().optional() }) },
      responses: responses(z.string()),
    }),
    async (c) => {
      const { gpuId } = c.req.valid('param');
      const reason = c.req.valid('query').reason ?? 'marked faulty through the API';
      if (!(await markNodeDown(ops, gpuId, 'FAULTY', reason))) throw new NotFoundError(`GPU不存在: ${gpuId}`);
      return c.json(ok('GPU已标记为故障'), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('post', '/gpus/{gpuId}/recover', 'Bring a GPU node back to ACTIVE (failure counts reset)', 'GPU'), request: { params: gpuIdParam }, responses: responses(z.string()) }),
    async (c) => {
      const { gpuId } = c.req.valid('param');
      const before = await ops.nodes.setStatus(gpuId, 'ACTIVE');
      if (!before) throw new NotFoundError(`GPU不存在: ${gpuId}`);
      await markNodeUp(ops, before);
      return c.json(ok('GPU恢复成功'), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('delete', '/gpus/{gpuId}', 'Deregister a GPU node; its running tasks go to other nodes', 'GPU'), request: { params: gpuIdParam }, responses: responses(z.string()) }),
    async (c) => {
      const { gpuId } = c.req.valid('param');
      await getNode(gpuId);
      await ops.nodes.remove(gpuId);
      await ops.alerts.resolve(`gpu:${gpuId}`);
      await notifyNodeLost(ops, gpuId, `GPU node ${gpuId} was deregistered`);
      return c.json(ok('GPU注销成功'), 200);
    },
  );

  // ---------- tasks ----------
  app.openapi(
    createRoute({ ...route('get', '/tasks', 'List tasks (filters: status, taskType, gpuId; page from 1, size)', 'Tasks'), request: { query: S.TaskListQuery }, responses: responses(z.array(S.TaskDO)) }),
    async (c) => {
      const q = c.req.valid('query');
      const filter: Record<string, unknown> = { kind: 'gpu' };
      if (q.status) filter.state = { $in: fromDialectStatus('gpu', q.status) };
      if (q.taskType !== undefined) filter.queue = gpuQueueName(q.taskType);
      if (q.gpuId) filter.host = q.gpuId;
      const rows = await deps.tasks.find(filter, { sort: { create_time: -1, task_id: 1 }, skip: (q.page - 1) * q.size, limit: q.size });
      return c.json(ok(rows.map(taskView)), 200);
    },
  );

  app.openapi(
    createRoute({
      ...route('post', '/tasks', 'Create a task: it waits in its type\'s queue (VIP before NORMAL, higher priority first, then FIFO) until a node has room', 'Tasks'),
      request: jsonBody(S.CreateTaskBody),
      responses: responses(S.CreateTaskData),
    }),
    async (c) => {
      return c.json(ok(await submitGpuTask(ops, c.req.valid('json'))), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('get', '/tasks/{taskId}', 'Task detail (a QUEUED task says why it waits)', 'Tasks'), request: { params: taskIdParam }, responses: responses(S.TaskDO) }),
    async (c) => {
      const r = await getTask(c.req.valid('param').taskId);
      const view = taskView(r);
      if (r.state === 'queued' || r.state === 'ready') {
        const facts = await queueFacts(deps.tasks, ops.nodes.list({ taskType: view.taskType }), view.taskType, r.priority, r.create_time, r.task_id);
        return c.json(ok({ ...view, waitingReason: facts.reason, queuePosition: facts.position + 1 }), 200);
      }
      return c.json(ok(view), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('get', '/tasks/{taskId}/progress', 'Task progress; queuePosition is 1 for the next task to start, 0 once it runs', 'Tasks'), request: { params: taskIdParam }, responses: responses(S.Progress) }),
    async (c) => {
      const r = await getTask(c.req.valid('param').taskId);
      const view = taskView(r);
      const d = details(r);
      const progress = typeof d.progress === 'number' ? d.progress : 0;
      const base = { taskId: r.task_id, status: view.status, progress, gpuId: view.gpuId, startTime: view.startedAt, updateTime: view.updatedAt };
      if (r.state === 'queued' || r.state === 'ready') {
        const facts = await queueFacts(deps.tasks, ops.nodes.list({ taskType: view.taskType }), view.taskType, r.priority, r.create_time, r.task_id);
        return c.json(
          ok({ ...base, queuePosition: facts.position + 1, estimatedRemainingTime: Math.round(facts.estimatedWaitSeconds + facts.avgSeconds), waitingReason: facts.reason }),
          200,
        );
      }
      let remaining = 0;
      if (r.state === 'running') {
        const avg = await averageDurationSeconds(deps.tasks, view.taskType);
        const elapsed = r.start_time ? (Date.now() - r.start_time.getTime()) / 1000 : 0;
        remaining = progress > 0 ? (elapsed * (100 - progress)) / progress : Math.max(0, avg - elapsed);
      }
      return c.json(ok({ ...base, queuePosition: 0, estimatedRemainingTime: Math.round(remaining) }), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('get', '/tasks/{taskId}/result', 'Task result (a JSON result is returned as an object)', 'Tasks'), request: { params: taskIdParam }, responses: responses(S.TaskResult) }),
    async (c) => {
      const r = await getTask(c.req.valid('param').taskId);
      const view = taskView(r);
      let result: unknown = view.result;
      if (typeof result === 'string') {
        try {
          result = JSON.parse(result);
        } catch {
          // plain text stays text
        }
      }
      return c.json(ok({ taskId: r.task_id, status: view.status, result, errorMessage: view.errorMessage, completedAt: view.completedAt }), 200);
    },
  );

  app.openapi(
    createRoute({
      ...route('post', '/tasks/{taskId}/status', 'A node reports a task: PROCESSING (with progress 0-100), COMPLETED or FAILED', 'Tasks'),
      request: { params: taskIdParam, ...jsonBody(S.StatusBody) },
      responses: responses(z.string()),
    }),
    async (c) => {
      await forwardNodeReport(c.req.valid('param').taskId, gpuNodeStatusSignal, c.req.valid('json'));
      return c.json(ok('任务状态更新成功'), 200);
    },
  );

  app.openapi(
    createRoute({
      ...route('post', '/tasks/{taskId}/result', 'A node reports a task\'s result: the task is COMPLETED', 'Tasks'),
      request: { params: taskIdParam, ...jsonBody(S.ResultBody) },
      responses: responses(z.string()),
    }),
    async (c) => {
      await forwardNodeReport(c.req.valid('param').taskId, gpuNodeResultSignal, c.req.valid('json'));
      return c.json(ok('任务结果更新成功'), 200);
    },
  );

  // ---------- monitoring ----------
  const health = async () => {
    const [counts, lengths] = await Promise.all([ops.nodes.countByStatus(), queueLengths(deps.tasks)]);
    const total = counts.ACTIVE + counts.OFFLINE + counts.FAULTY;
    const gpu = total === 0 ? 'WARNING' : counts.ACTIVE === 0 ? 'CRITICAL' : counts.ACTIVE < total ? 'WARNING' : 'HEALTHY';
    const queue = Object.values(lengths).some((n) => n > deps.config.gpu.queueAlertThreshold) ? 'WARNING' : 'HEALTHY';
    const rank = { HEALTHY: 0, WARNING: 1, CRITICAL: 2 } as const;
    const overall = rank[gpu] >= rank[queue] ? gpu : queue;
    return { overall_health: overall, gpu_health: gpu, queue_health: queue, active_gpu_count: counts.ACTIVE, total_gpu_count: total, timestamp: Date.now(), counts, lengths };
  };
  const metric = async (key: (typeof METRIC_KEYS)[number]): Promise<unknown> => {
    switch (key) {
      case 'gpu_status_counts':
        return ops.nodes.countByStatus();
      case 'task_status_counts':
        return gpuTaskStatusCounts(await deps.tasks.countByState({ kind: 'gpu' }));
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
      const [h, byState] = await Promise.all([health(), deps.tasks.countByState({ kind: 'gpu' })]);
      const t = gpuTaskStatusCounts(byState);
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

  app.doc31(GPU_OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'Switchyard GPU dispatch (/api/v2)', version: '2.0.0', description: 'Envelope {code, message, data}; timestamps in ms. Auth: Authorization: Bearer <key> or X-API-Key.' },
    security: SECURITY,
  });

  return {
    name: 'gpu',
    title: 'GPU dispatch (/api/v2)',
    prefixes: [BASE, GPU_OPENAPI_PATH],
    app,
    shapeError: codeMessageDataShaper,
    openapiPath: GPU_OPENAPI_PATH,
  };
}
