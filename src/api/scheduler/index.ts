import { createRoute, type z } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ZodType } from 'zod';
import { fromDialectStatus } from '../../domain/status-mapping.js';
import { scheduleUiUrl, temporalLinkHeader, workflowUiUrl } from '../../domain/temporal-ui.js';
import { scheduleIdFor } from '../../scheduler/contract.js';
import { SchedulerError, type SchedulerRefusal } from '../../scheduler/actions.js';
import { SchedulerService } from '../../scheduler/service.js';
import type { ApiDeps } from '../context.js';
import type { Dialect } from '../dialect.js';
import { ApiError, type ErrorShaper, fieldProblemsFromZod, type FieldProblem } from '../errors.js';
import { runHealthChecks } from '../health.js';
import { readJsonBody } from '../json-body.js';
import { bodyByReference, createDialectApp } from '../openapi.js';
import { schedulerAuth, type SchedulerEnv } from './auth.js';
import * as s from './schemas.js';
import { executionView, iso, lastExecutionView, taskListView, taskView } from './views.js';

export const SCHEDULER_PREFIX = '/api/v1/scheduler';
export const SCHEDULER_OPENAPI_PATH = '/openapi/scheduler.json';
const P = SCHEDULER_PREFIX;

export const schedulerErrorShaper: ErrorShaper = (error, c) =>
  c.json({ success: false, code: error.status, message: error.message, errors: error.fields, timestamp: iso(new Date()) }, error.status as 400);

const MSG = {
  ok: '获取成功',
  created: '任务创建成功',
  updated: '任务更新成功',
  deleted: '任务删除成功',
  paused: '任务已暂停',
  resumed: '任务已恢复',
  triggered: '任务已触发',
  badRequest: '请求参数错误',
  badSchedule: '调度配置无效',
  taskNotFound: '任务不存在',
  execNotFound: '执行记录不存在',
  duplicate: '任务名称重复',
  forbidden: '权限不足',
  conflict: '状态冲突',
} as const;

/** Each refusal of the scheduler service as the document words it. */
const REFUSALS: Record<SchedulerRefusal, [number, string]> = {
  invalid: [400, MSG.badRequest],
  invalid_schedule: [400, MSG.badSchedule],
  forbidden: [403, MSG.forbidden],
  task_not_found: [404, MSG.taskNotFound],
  execution_not_found: [404, MSG.execNotFound],
  duplicate_name: [409, MSG.duplicate],
  conflict: [409, MSG.conflict],
};

const bad = (fields: FieldProblem[]) => new ApiError(400, MSG.badRequest, fields);

/**
 * Bodies are read whatever their Content-Type says (the document's clients send JSON without one), so they are
 * validated here rather than by the route (which answers 415 to a body without a JSON Content-Type).
 */
const readJson = <T extends ZodType>(c: Context, schema: T) =>
  readJsonBody(c, schema, {
    invalidJson: () => bad([{ field: '(body)', message: 'the body is not valid JSON' }]),
    invalidShape: (error) => bad(fieldProblemsFromZod(error)),
  });

const SECURITY = [{ SchedulerJWT: [] }];
const errorResponses = {
  400: { description: 'Invalid parameter or schedule configuration (each problem names its field)', content: { 'application/json': { schema: s.errorSchema } } },
  401: { description: 'Missing, expired or forged JWT', content: { 'application/json': { schema: s.errorSchema } } },
  403: { description: 'Not allowed (admin-only endpoint, shell commands without the permission)', content: { 'application/json': { schema: s.errorSchema } } },
  404: { description: 'No such task or execution for this user', content: { 'application/json': { schema: s.errorSchema } } },
  409: { description: 'Duplicate task name for this user, or state conflict', content: { 'application/json': { schema: s.errorSchema } } },
};

type Method = 'get' | 'post' | 'put' | 'delete';
type Body = ReturnType<typeof bodyByReference>;
/** A documented route; a body is documented by reference (the handler reads and validates it, see readJson). */
function route<M extends Method, R extends { params?: z.ZodObject; query?: z.ZodObject }>(method: M, path: string, summary: string, ok: ZodType, request?: R, body?: Body) {
  return createRoute({
    method,
    path: `${P}${path}`,
    summary,
    security: SECURITY,
    request: { ...(request ?? ({} as R)), ...(body ? { body } : {}) },
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: ok } } }, ...errorResponses },
  });
}

const task = { params: s.taskIdParams };
const execution = { params: s.executionIdParams };
const nothing = s.envelope(s.nullData, 'SchedulerNull');

/** The scheduler dialect (scheduler-api.md): `/api/v1/scheduler/*` on the scheduler service. */
export function createSchedulerDialect(deps: ApiDeps): Dialect {
  const service = new SchedulerService({ config: deps.config, logger: deps.logger, temporal: deps.temporal, db: deps.db });
  // Validation failures of parameters answer in this dialect's words.
  const app = createDialectApp((error) => bad(fieldProblemsFromZod(error)));
  // The same app, typed with the authenticated user the middleware sets.
  const router = app as unknown as Hono<SchedulerEnv>;
  const user = (c: Context) => (c as Context<SchedulerEnv>).get('user');
  const ok = <T>(c: Context, message: string, data: T) => c.json({ success: true as const, code: 200 as const, message, data }, 200);
  /** Runs a service call, turning its refusals into this dialect's errors. */
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof SchedulerError)) throw e;
      const [status, message] = REFUSALS[e.kind];
      throw new ApiError(status, message, e.problems);
    }
  };

  app.openAPIRegistry.registerComponent('securitySchemes', 'SchedulerJWT', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'HS256 JWT: `sub` = user id, `role` = `admin` | `user`, `exp` checked',
  });
  const createBody = bodyByReference(app, 'SchedulerCreateTaskRequest', s.createTaskBody);
  const updateBody = bodyByReference(app, 'SchedulerUpdateTaskRequest', s.updateTaskBody);
  router.use(`${P}/*`, schedulerAuth(deps.config.auth.schedulerJwtSecret));

  // ---- tasks ---------------------------------------------------------------------------------------------------
  app.openapi(route('post', '/tasks', 'Create a scheduled task (a Temporal Schedule)', s.envelope(s.taskSchema, 'SchedulerTaskResponse'), {}, createBody), async (c) => {
    const body = await readJson(c, s.createTaskBody);
    return ok(c, MSG.created, taskView(await call(() => service.create(user(c), body))));
  });

  app.openapi(route('get', '/tasks', "The caller's tasks, paged (`status`, `is_active` filters)", s.page(s.taskListItem, 'SchedulerTaskPage'), { query: s.listTasksQuery }), async (c) => {
    const q = c.req.valid('query');
    const active = q.is_active === undefined ? undefined : q.is_active === 'true';
    const { total, items } = await call(() => service.list(user(c), { page: q.page, size: q.size, status: q.status, active }));
    return c.json({ total, page: q.page, size: q.size, items: items.map(taskListView) }, 200);
  });

  app.openapi(route('get', '/tasks/{task_id}', 'One task with its execution summary', s.envelope(s.taskSchema, 'SchedulerTaskDetailResponse'), task), async (c) => {
    const t = await call(() => service.detail(user(c), c.req.valid('param').task_id));
    // The document's bodies have no room for links: the task's Temporal Schedule goes in a `Link` header.
    c.header('Link', temporalLinkHeader([scheduleUiUrl(deps.config.temporal, scheduleIdFor(deps.config.mongo.db, t.doc.id))]));
    return ok(c, MSG.ok, taskView(t, { projectName: service.projectName(t.doc.project_id), summary: t.summary }));
  });

  app.openapi(
    route('put', '/tasks/{task_id}', 'Change a task; its schedule is updated in place', s.envelope(s.taskSchema, 'SchedulerTaskUpdateResponse'), task, updateBody),
    async (c) => {
      const id = c.req.valid('param').task_id;
      const body = await readJson(c, s.updateTaskBody);
      return ok(c, MSG.updated, taskView(await call(() => service.update(user(c), id, body))));
    },
  );

  app.openapi(route('delete', '/tasks/{task_id}', 'Delete a task and its schedule (execution history is kept)', nothing, task), async (c) => {
    await call(() => service.remove(user(c), c.req.valid('param').task_id));
    return ok(c, MSG.deleted, null);
  });

  app.openapi(route('post', '/tasks/{task_id}/pause', 'Pause the schedule (is_active becomes false)', nothing, task), async (c) => {
    await call(() => service.pause(user(c), c.req.valid('param').task_id));
    return ok(c, MSG.paused, null);
  });

  app.openapi(route('post', '/tasks/{task_id}/resume', 'Resume the schedule (is_active becomes true)', nothing, task), async (c) => {
    await call(() => service.resume(user(c), c.req.valid('param').task_id));
    return ok(c, MSG.resumed, null);
  });

  app.openapi(route('post', '/tasks/{task_id}/trigger', 'Run the task now (also while paused); 409 when max_instances executions already run', nothing, task), async (c) => {
    await call(() => service.trigger(user(c), c.req.valid('param').task_id));
    return ok(c, MSG.triggered, null);
  });

  // ---- executions ----------------------------------------------------------------------------------------------
  app.openapi(
    route('get', '/tasks/{task_id}/executions', 'Execution history of a task, newest first', s.page(s.executionSchema, 'SchedulerExecutionPage'), { ...task, query: s.executionsQuery }),
    async (c) => {
      const q = c.req.valid('query');
      const states = q.status !== undefined ? fromDialectStatus('scheduler', q.status) : null;
      const { total, rows } = await call(() => service.executionsOf(user(c), c.req.valid('param').task_id, { page: q.page, size: q.size, states, from: q.start_date, to: q.end_date }));
      // Each execution is a workflow whose id is the execution id.
      if (rows.length > 0) c.header('Link', temporalLinkHeader(rows.map((r) => workflowUiUrl(deps.config.temporal, r.task_id))));
      return c.json({ total, page: q.page, size: q.size, items: rows.map((r) => executionView(r)) }, 200);
    },
  );

  app.openapi(route('get', '/executions/{execution_id}', 'One execution with workspace and resource usage', s.envelope(s.executionSchema, 'SchedulerExecutionResponse'), execution), async (c) => {
    const r = await call(() => service.execution(user(c), c.req.valid('param').execution_id));
    c.header('Link', temporalLinkHeader([workflowUiUrl(deps.config.temporal, r.task_id)]));
    return ok(c, MSG.ok, executionView(r, true));
  });

  app.openapi(
    route('get', '/executions/{execution_id}/logs/file', 'The last `lines` lines (≤ 10000) of output.log or error.log', s.envelope(s.logsSchema, 'SchedulerLogsResponse'), { ...execution, query: s.logsQuery }),
    async (c) => {
      const q = c.req.valid('query');
      const log = await call(() => service.logFile(user(c), c.req.valid('param').execution_id, q.log_type, q.lines));
      return ok(c, MSG.ok, {
        execution_id: c.req.valid('param').execution_id,
        log_type: q.log_type,
        content: log.content,
        file_path: log.path,
        file_size: log.size,
        lines_count: log.count,
        last_modified: iso(log.modified),
      });
    },
  );

  // Live log stream (the document's "实时日志流"): Server-Sent Events while the execution runs.
  app.openapi(
    createRoute({
      method: 'get',
      path: `${P}/executions/{execution_id}/logs/stream`,
      summary: 'Live log lines as Server-Sent Events (`event: log`, then `event: end` with the final status)',
      security: SECURITY,
      request: { ...execution, query: s.streamQuery },
      responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: s.sseSchema } } }, ...errorResponses },
    }),
    async (c) => {
      let aborted = false;
      const events = await call(() => service.logStream(user(c), c.req.valid('param').execution_id, c.req.valid('query').log_type, () => aborted));
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => {
          aborted = true;
        });
        for await (const e of events) await stream.writeSSE(e);
      });
    },
  );

  app.openapi(
    route('get', '/tasks/{task_id}/stats', 'Counts, success rate, average duration and daily trends of a task', s.envelope(s.statsSchema, 'SchedulerStatsResponse'), task),
    async (c) => {
      const st = await call(() => service.stats(user(c), c.req.valid('param').task_id));
      return ok(c, MSG.ok, {
        total_executions: st.total,
        success_count: st.success,
        failed_count: st.failed,
        success_rate: st.successRate,
        average_duration: st.averageDuration,
        last_execution: lastExecutionView(st.last),
        execution_trends: { daily_counts: st.daily },
      });
    },
  );

  // ---- the scheduler itself --------------------------------------------------------------------------------------
  app.openapi(route('get', '/metrics', 'Host usage, execution queue and dependency health', s.envelope(s.metricsSchema, 'SchedulerMetricsResponse')), async (c) => {
    const [{ host, queue }, health] = await Promise.all([service.figures(), runHealthChecks(deps.checks)]);
    const word = (name: string) => (health.checks[name] === undefined ? 'UNKNOWN' : health.checks[name]!.ok ? 'HEALTHY' : 'UNHEALTHY');
    const engineUp = health.checks.temporal?.ok === true && health.checks.workers?.ok !== false;
    return ok(c, MSG.ok, {
      cpu_percent: host.cpu,
      memory_percent: host.memory,
      disk_usage: host.disk,
      active_tasks: queue.running,
      scheduler_status: engineUp ? 'RUNNING' : 'DEGRADED',
      queue_status: { pending_tasks: queue.pending, running_tasks: queue.running, completed_today: queue.completed },
      database_status: word('mongodb'),
      redis_status: word('kafka'),
      kafka_status: word('kafka'),
      temporal_status: word('temporal'),
      last_updated: iso(new Date()),
    });
  });

  app.openapi(route('get', '/running', "The caller's running executions with progress", s.envelope(s.runningSchema, 'SchedulerRunningResponse')), async (c) => {
    const running = await service.running(user(c));
    return ok(
      c,
      MSG.ok,
      running.map(({ record: r, elapsedSeconds, progressPercent, step }) => ({
        task_id: (r.details?.schedule_id as number | undefined) ?? 0,
        task_name: (r.details?.task_name as string | undefined) ?? '',
        execution_id: r.task_id,
        start_time: iso(r.start_time),
        running_time: elapsedSeconds,
        status: 'RUNNING' as const,
        progress: { current_step: step, progress_percent: progressPercent },
      })),
    );
  });

  app.openapi(
    route('post', '/cleanup-workspaces', 'Remove execution workspaces older than max_age_hours (admins only)', s.envelope(s.cleanupSchema, 'SchedulerCleanupResponse'), { query: s.cleanupQuery }),
    async (c) => {
      const hours = c.req.valid('query').max_age_hours;
      const summary = await call(() => service.cleanup(user(c), hours));
      // The contract's summary has no place for them: a worker that was not reached is an operator's matter.
      if (summary.unreachable.length > 0) deps.logger.warn({ unreachable: summary.unreachable }, 'cleanup-workspaces: workers not reached (their workspaces stay)');
      return ok(c, `清理完成，已删除超过 ${hours} 小时的工作目录`, {
        cleanup_summary: {
          directories_removed: summary.directories_removed,
          space_freed_mb: summary.space_freed_mb,
          oldest_removed: iso(summary.oldest_removed),
          cleanup_time: iso(new Date()),
        },
      });
    },
  );

  app.doc31(SCHEDULER_OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard scheduler',
      version: '1.0.0',
      description:
        'scheduler-api.md on Temporal Schedules. Every endpoint needs `Authorization: Bearer <JWT>` (HS256, `sub`, `role`). Successes answer `{success, code, message, data}` (lists `{total, page, size, items}`); errors `{success: false, code, message, errors: [{field, message}], timestamp}`. A task may carry `action`: `{type: "command", command, env}`, `{type: "service", service, condition}`, `{type: "device", …a /device/exec body}` or `{type: "gpu", …a /api/v2/tasks body}` (each run creates that job and ends with its outcome; `job_id` in the execution views); without it the project entry command runs. `priority` orders runs waiting for a worker (Temporal task-queue priority).',
    },
  });

  return {
    name: 'scheduler',
    title: 'Scheduler',
    prefixes: [SCHEDULER_PREFIX, SCHEDULER_OPENAPI_PATH],
    app,
    shapeError: schedulerErrorShaper,
    openapiPath: SCHEDULER_OPENAPI_PATH,
  };
}
