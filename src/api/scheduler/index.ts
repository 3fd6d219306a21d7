import { readJsonBody } from '../json-body.js';
import { readFile, stat } from 'node:fs/promises';
import { createRoute, type z } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Filter } from 'mongodb';
import type { ZodError, ZodType } from 'zod';
import { isTerminal } from '../../domain/status.js';
import { fromDialectStatus, SCHEDULER_STATUS } from '../../domain/status-mapping.js';
import type { TaskRecord } from '../../domain/task.js';
import { cleanupWorkspaces, hostUsage, lastLineOf, readFrom } from '../../scheduler/host.js';
import { localNextRun, parseSchedule, storedSchedule, type ScheduleType } from '../../scheduler/spec.js';
import { execBodySchema, DeviceRequestError, normalizeExecRequest, redactRequest, type DeviceJobRequest } from '../../device/request.js';
import { deviceRequestDefaults, renderJinja2 } from '../../device/service.js';
import { gpuCreateTaskSchema } from '../../gpu/request.js';
import { SchedulerTemporal, type RunSecrets } from '../../scheduler/temporal.js';
import { DuplicateScheduleNameError, ScheduleStore, type ScheduleAction, type ScheduleDoc } from '../../store/schedules.js';
import type { ApiDeps } from '../context.js';
import type { Dialect } from '../dialect.js';
import { ApiError, type ErrorShaper, fieldProblemsFromZod, type FieldProblem, validationError } from '../errors.js';
import { runHealthChecks } from '../health.js';
import { createDialectApp } from '../openapi.js';
import { schedulerAuth, type SchedulerEnv, type SchedulerUser } from './auth.js';
import * as s from './schemas.js';

export const SCHEDULER_PREFIX = '/api/v1/scheduler';
export const SCHEDULER_OPENAPI_PATH = '/openapi/scheduler.json';
const P = SCHEDULER_PREFIX;
const ACTION_TYPES = ['command', 'service', 'device', 'gpu'] as const;

/** `2024-01-01T02:00:00Z`: the document's form (no milliseconds). */
export function iso(d: Date | string | null | undefined): string | null {
  if (!d) return null;
  const date = typeof d === 'string' ? new Date(d) : d;
  return Number.isNaN(date.getTime()) ? null : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

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

const bad = (message: string, fields: FieldProblem[]) => new ApiError(400, message, fields);

const readJson = <T extends ZodType>(c: Context, schema: T) =>
  readJsonBody(c, schema, {
    invalidJson: () => bad(MSG.badRequest, [{ field: '(body)', message: 'the body is not valid JSON' }]),
    invalidShape: (error) => bad(MSG.badRequest, validationError(error).fields),
  });

function intParam(c: Context, name: string, def: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw)) throw bad(MSG.badRequest, [{ field: name, message: `${name} must be an integer` }]);
  const n = Number(raw);
  if (n < min || n > max) throw bad(MSG.badRequest, [{ field: name, message: `${name} must be between ${min} and ${max}` }]);
  return n;
}

function taskIdParam(c: Context): number {
  const raw = c.req.param('task_id') ?? '';
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw bad(MSG.badRequest, [{ field: 'task_id', message: 'task_id must be a positive integer' }]);
  return Number(raw);
}

function dateParam(c: Context, name: string): Date | null {
  const raw = c.req.query(name);
  if (!raw) return null;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(d.getTime())) throw bad(MSG.badRequest, [{ field: name, message: `${name} must be an ISO 8601 date or datetime` }]);
  return d;
}

type ExecDetails = {
  schedule_id?: number;
  task_name?: string;
  exit_code?: number | null;
  duration_seconds?: number;
  output_summary?: string | null;
  log_file_path?: string;
  error_log_path?: string;
  workspace_path?: string;
  resource_usage?: { max_memory_mb: number | null; avg_cpu_percent: number | null };
  timeout_seconds?: number;
  job_id?: string;
  job_kind?: string;
};

const det = (r: TaskRecord): ExecDetails => (r.details ?? {}) as ExecDetails;

function durationOf(r: TaskRecord): number | null {
  const d = det(r).duration_seconds;
  if (typeof d === 'number') return Math.round(d * 1000) / 1000;
  if (r.start_time && r.end_time) return Math.max(0, (r.end_time.getTime() - r.start_time.getTime()) / 1000);
  return null;
}

function executionView(r: TaskRecord, detail = false) {
  const d = det(r);
  const view: Record<string, unknown> = {
    execution_id: r.task_id,
    task_id: d.schedule_id ?? null,
    ...(detail ? { task_name: d.task_name ?? null } : {}),
    status: SCHEDULER_STATUS[r.state],
    start_time: iso(r.start_time),
    end_time: iso(r.end_time),
    duration_seconds: durationOf(r),
    exit_code: d.exit_code ?? null,
    output_summary: d.output_summary ?? null,
    error_message: r.error?.message ?? null,
    log_file_path: d.log_file_path ?? null,
    error_log_path: d.error_log_path ?? null,
    // Extension: the job a `service`, `device` or `gpu` run created (its id in that dialect's own views).
    job_id: d.job_id ?? null,
    job_kind: d.job_kind ?? null,
  };
  if (detail) {
    view.workspace_path = d.workspace_path ?? null;
    view.resource_usage = d.resource_usage ?? { max_memory_mb: null, avg_cpu_percent: null };
  }
  view.created_at = iso(r.create_time);
  return view;
}

function lastExecutionView(r: TaskRecord | null) {
  if (!r) return null;
  return { execution_id: r.task_id, status: SCHEDULER_STATUS[r.state], start_time: iso(r.start_time), duration_seconds: durationOf(r) };
}

/** The scheduler dialect (scheduler-api.md): `/api/v1/scheduler/*`, tasks as Temporal Schedules. */
export function createSchedulerDialect(deps: ApiDeps): Dialect {
  const { config, tasks } = deps;
  const store = new ScheduleStore(deps.db);
  // Its indexes (the unique (owner, name) behind the 409 among them) are built at boot, before the API serves.
  const temporal = new SchedulerTemporal(deps.temporal, config);
  const projects = new Map(config.scheduler.projects.map((p) => [p.id, p]));
  const app = createDialectApp();
  // The same app, typed with the authenticated user the middleware sets.
  const router = app as unknown as Hono<SchedulerEnv>;

  app.openAPIRegistry.registerComponent('securitySchemes', 'SchedulerJWT', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'HS256 JWT: `sub` = user id, `role` = `admin` | `user`, `exp` checked',
  });
  router.use(`${P}/*`, schedulerAuth(config.auth.schedulerJwtSecret));

  // ---- helpers bound to this instance -------------------------------------------------------------------------

  const execFilter = (user: SchedulerUser, extra: Filter<TaskRecord> = {}): Filter<TaskRecord> => ({ kind: 'command', owner: user.sub, 'details.schedule_id': { $gte: 1 }, ...extra });

  async function loadTask(user: SchedulerUser, id: number): Promise<ScheduleDoc> {
    const doc = await store.get(id, user.sub);
    if (!doc) throw new ApiError(404, MSG.taskNotFound, [{ field: 'task_id', message: `task ${id} not found` }]);
    return doc;
  }

  async function loadExecution(user: SchedulerUser, executionId: string): Promise<TaskRecord> {
    const r = await tasks.get(executionId);
    if (!r || r.kind !== 'command' || r.owner !== user.sub || typeof det(r).schedule_id !== 'number') {
      throw new ApiError(404, MSG.execNotFound, [{ field: 'execution_id', message: `execution ${executionId} not found` }]);
    }
    return r;
  }

  /** Two `_id` lookups (the schedule's last-run pointer, then that record), never a search of all executions. */
  async function lastExecution(doc: ScheduleDoc): Promise<TaskRecord | null> {
    const pointed = await store.lastExecutionId(doc.id);
    if (!pointed) return null;
    const r = await tasks.get(pointed);
    return r && r.owner === doc.owner ? r : null;
  }

  function taskStatus(last: TaskRecord | null, next: Date | null): string {
    if (last?.state === 'running') return 'RUNNING';
    if (next) return 'PENDING';
    return last ? SCHEDULER_STATUS[last.state] : 'PENDING';
  }

  function localNext(doc: ScheduleDoc, last: TaskRecord | null): Date | null {
    if (!doc.is_active) return null;
    return localNextRun(storedSchedule(doc.schedule_type, doc.schedule_config), doc.spec_anchor, new Date(), last !== null);
  }

  function baseView(doc: ScheduleDoc) {
    return {
      id: doc.id,
      name: doc.name,
      description: doc.description ?? null,
      project_id: doc.project_id,
      schedule_type: doc.schedule_type,
      schedule_config: doc.schedule_config,
      is_active: doc.is_active,
    };
  }

  async function fullView(doc: ScheduleDoc, withSummary: boolean) {
    const [last, next] = await Promise.all([lastExecution(doc), doc.is_active ? temporal.nextRunTime(doc.id) : Promise.resolve(null)]);
    const view: Record<string, unknown> = {
      ...baseView(doc),
      ...(withSummary ? { project_name: projects.get(doc.project_id)?.name ?? null } : {}),
      status: taskStatus(last, next),
      timeout_seconds: doc.timeout_seconds,
      max_instances: doc.max_instances,
      retry_count: doc.retry_count,
      priority: doc.priority,
      action: doc.action ?? null,
      next_run_time: iso(next),
      created_at: iso(doc.created_at),
      updated_at: iso(doc.updated_at),
    };
    if (withSummary) {
      const f = { kind: 'command' as const, owner: doc.owner, 'details.schedule_id': doc.id };
      const [counts, lastOk, lastBad] = await Promise.all([
        tasks.countByState(f),
        tasks.find({ ...f, state: 'succeeded' }, { sort: { end_time: -1 }, limit: 1 }),
        tasks.find({ ...f, state: { $in: ['failed', 'timed_out'] } }, { sort: { end_time: -1 }, limit: 1 }),
      ]);
      view.execution_summary = {
        total_executions: Object.values(counts).reduce((a, b) => a + b, 0),
        success_count: counts.succeeded ?? 0,
        failed_count: (counts.failed ?? 0) + (counts.timed_out ?? 0),
        last_success: iso(lastOk[0]?.end_time),
        last_failure: iso(lastBad[0]?.end_time),
      };
    }
    return view;
  }

  function checkProject(projectId: number): void {
    if (!projects.has(projectId)) {
      throw bad(MSG.badRequest, [{ field: 'project_id', message: `项目不存在：${projectId}（已配置：${[...projects.keys()].join(', ')}）` }]);
    }
  }

  /** What a task's `action` becomes: the stored (redacted) form, and what only its Temporal Schedule may hold. */
  interface CheckedAction {
    doc: ScheduleAction | null;
    secrets: RunSecrets;
  }

  /** Shell commands and device jobs (which change network devices) are for admins and `scheduler.commandUsers`. */
  function checkCommandPermission(user: SchedulerUser, what: string): void {
    if (user.role !== 'admin' && !config.scheduler.commandUsers.includes(user.sub)) {
      throw new ApiError(403, MSG.forbidden, [{ field: 'action', message: `user ${user.sub} may not run ${what} (admins and scheduler.commandUsers only)` }]);
    }
  }

  /** Zod problems of an action body, each named `action.<field>`. */
  const actionProblems = (error: ZodError): FieldProblem[] => fieldProblemsFromZod(error).map((f) => ({ ...f, field: f.field === '(body)' ? 'action' : `action.${f.field}` }));

  function checkAction(user: SchedulerUser, action: z.infer<typeof s.actionSchema> | null | undefined): CheckedAction {
    if (!action) return { doc: null, secrets: {} };
    const { type, ...body } = action;
    if (type === 'service') {
      const service = typeof action.service === 'string' ? action.service : '';
      const known = config.services.list.map((svc) => svc.name);
      if (!known.includes(service)) {
        throw bad(MSG.badRequest, [{ field: 'action.service', message: `unknown service '${service}' (configured: ${known.join(', ')})` }]);
      }
      const condition = action.condition ?? {};
      if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
        throw bad(MSG.badRequest, [{ field: 'action.condition', message: 'action.condition must be a JSON object' }]);
      }
      return { doc: { type: 'service', service, condition: condition as Record<string, unknown> }, secrets: {} };
    }
    if (type === 'device') {
      // The device dialect's own parser: the `/device/exec` schema, then its normalisation (driver, command or
      // config, credentials, rendering) with the same defaults `POST /device/exec` applies.
      const parsed = execBodySchema.safeParse(body);
      if (!parsed.success) throw bad(MSG.badRequest, actionProblems(parsed.error));
      let request: DeviceJobRequest;
      try {
        request = normalizeExecRequest(parsed.data, deviceRequestDefaults(config), renderJinja2);
      } catch (e) {
        if (e instanceof DeviceRequestError) throw bad(MSG.badRequest, [{ field: `action.${e.field}`, message: e.message }]);
        throw e;
      }
      checkCommandPermission(user, 'device jobs');
      return { doc: { type: 'device', ...redactRequest(request) }, secrets: { deviceRequest: request } };
    }
    if (type === 'gpu') {
      const parsed = gpuCreateTaskSchema.safeParse(body);
      if (!parsed.success) throw bad(MSG.badRequest, actionProblems(parsed.error));
      return { doc: { type: 'gpu', ...parsed.data }, secrets: {} };
    }
    if (type !== 'command') {
      throw bad(MSG.badRequest, [{ field: 'action.type', message: `unsupported action type '${type}' (supported: ${ACTION_TYPES.join(', ')})` }]);
    }
    if (action.command === undefined || action.command === '') throw bad(MSG.badRequest, [{ field: 'action.command', message: 'action.command is required for action type command' }]);
    const parsed = s.commandActionSchema.safeParse(body);
    if (!parsed.success) throw bad(MSG.badRequest, actionProblems(parsed.error));
    checkCommandPermission(user, 'shell commands');
    return { doc: { type: 'command', command: parsed.data.command, ...(parsed.data.env ? { env: parsed.data.env } : {}) }, secrets: {} };
  }

  function checkSchedule(type: ScheduleType, cfg: string | undefined, now: Date): void {
    if (type !== 'ONCE' && (cfg === undefined || cfg.trim() === '')) {
      throw bad(MSG.badSchedule, [{ field: 'schedule_config', message: `schedule_config is required for ${type}` }]);
    }
    const check = parseSchedule(type, cfg, now);
    if (!check.ok) throw bad(MSG.badSchedule, [{ field: 'schedule_config', message: check.message }]);
  }

  const ok = (c: Context, message: string, data: unknown) => c.json({ success: true, code: 200, message, data }, 200);

  // ---- OpenAPI documentation -----------------------------------------------------------------------------------

  const SECURITY = [{ SchedulerJWT: [] }];
  const errorResponses = {
    400: { description: 'Invalid parameter or schedule configuration (each problem names its field)', content: { 'application/json': { schema: s.errorSchema } } },
    401: { description: 'Missing, expired or forged JWT', content: { 'application/json': { schema: s.errorSchema } } },
    403: { description: 'Not allowed (admin-only endpoint, shell commands without the permission)', content: { 'application/json': { schema: s.errorSchema } } },
    404: { description: 'No such task or execution for this user', content: { 'application/json': { schema: s.errorSchema } } },
    409: { description: 'Duplicate task name for this user, or state conflict', content: { 'application/json': { schema: s.errorSchema } } },
  };
  const document = (method: 'get' | 'post' | 'put' | 'delete', path: string, summary: string, ok200: ZodType, extra: Record<string, unknown> = {}) =>
    app.openAPIRegistry.registerPath(
      createRoute({
        method,
        path,
        summary,
        security: SECURITY,
        ...extra,
        responses: { 200: { description: 'OK', content: { 'application/json': { schema: ok200 } } }, ...errorResponses },
      }),
    );
  const nothing = s.envelope(s.nullData, 'SchedulerNull');

  // ---- 1. create ---------------------------------------------------------------------------------------------
  document('post', `${P}/tasks`, 'Create a scheduled task (a Temporal Schedule)', s.envelope(s.taskSchema, 'SchedulerTaskResponse'), {
    request: { body: { content: { 'application/json': { schema: s.createTaskBody } }, required: true } },
  });
  router.post(`${P}/tasks`, async (c) => {
    const user = c.get('user');
    const body = await readJson(c, s.createTaskBody);
    const now = new Date();
    checkProject(body.project_id);
    checkSchedule(body.schedule_type, body.schedule_config, now);
    const action = checkAction(user, body.action);
    const id = await store.nextId();
    const doc: ScheduleDoc = {
      id,
      owner: user.sub,
      name: body.name,
      description: body.description ?? null,
      project_id: body.project_id,
      schedule_type: body.schedule_type,
      schedule_config: body.schedule_type === 'ONCE' ? (body.schedule_config ?? '') : body.schedule_config!.trim(),
      is_active: body.is_active,
      timeout_seconds: body.timeout_seconds,
      max_instances: body.max_instances,
      retry_count: body.retry_count,
      priority: body.priority,
      action: action.doc,
      spec_anchor: now,
      created_at: now,
      updated_at: now,
    };
    // The unique (owner, name) index decides a duplicate name: a search first would scan every task on FerretDB.
    try {
      await store.insert(doc);
    } catch (e) {
      if (e instanceof DuplicateScheduleNameError) throw new ApiError(409, MSG.duplicate, [{ field: 'name', message: e.message }]);
      throw e;
    }
    try {
      await temporal.create(doc, projects.get(doc.project_id)!, action.secrets);
    } catch (e) {
      await store.delete(id, user.sub).catch(() => undefined);
      throw e;
    }
    return ok(c, MSG.created, await fullView(doc, false));
  });

  // ---- 2. list -----------------------------------------------------------------------------------------------
  document('get', `${P}/tasks`, "The caller's tasks, paged (`status`, `is_active` filters)", s.page(s.taskListItem, 'SchedulerTaskPage'), {
    request: { query: s.listTasksQuery },
  });
  router.get(`${P}/tasks`, async (c) => {
    const user = c.get('user');
    const page = intParam(c, 'page', 1, 1, 1_000_000);
    const size = intParam(c, 'size', 20, 1, 100);
    const status = c.req.query('status');
    const active = c.req.query('is_active');
    if (status !== undefined && !Object.values(SCHEDULER_STATUS).includes(status as never)) {
      throw bad(MSG.badRequest, [{ field: 'status', message: `status must be one of ${[...new Set(Object.values(SCHEDULER_STATUS))].join(', ')}` }]);
    }
    if (active !== undefined && active !== 'true' && active !== 'false') throw bad(MSG.badRequest, [{ field: 'is_active', message: 'is_active must be true or false' }]);
    const filter: Filter<ScheduleDoc> = { owner: user.sub, ...(active !== undefined ? { is_active: active === 'true' } : {}) };
    // A page's last executions in two queries (pointers, then records), not two lookups per task.
    const items = async (docs: ScheduleDoc[]) => {
      const pointers = await store.lastExecutionIds(docs.map((d) => d.id));
      const records = await tasks.getMany([...new Set(pointers.values())]);
      return docs.map((doc) => {
        const r = records.get(pointers.get(doc.id) ?? '');
        const last = r && r.owner === doc.owner ? r : null;
        const next = localNext(doc, last);
        return { ...baseView(doc), status: taskStatus(last, next), next_run_time: iso(next), last_execution: lastExecutionView(last), created_at: iso(doc.created_at) };
      });
    };
    if (status === undefined) {
      const { total, items: docs } = await store.list(filter, (page - 1) * size, size);
      return c.json({ total, page, size, items: await items(docs) }, 200);
    }
    // The task status is derived from its executions: filter after computing it.
    const all = await store.list(filter, 0, 100_000);
    const views = (await items(all.items)).filter((v) => v.status === status);
    return c.json({ total: views.length, page, size, items: views.slice((page - 1) * size, page * size) }, 200);
  });

  // ---- 3. detail ---------------------------------------------------------------------------------------------
  document('get', `${P}/tasks/{task_id}`, 'One task with its execution summary', s.envelope(s.taskSchema, 'SchedulerTaskDetailResponse'), { request: { params: s.taskIdParams } });
  router.get(`${P}/tasks/:task_id`, async (c) => ok(c, MSG.ok, await fullView(await loadTask(c.get('user'), taskIdParam(c)), true)));

  // ---- 4. update ---------------------------------------------------------------------------------------------
  document('put', `${P}/tasks/{task_id}`, 'Change a task; its schedule is updated in place', s.envelope(s.taskSchema, 'SchedulerTaskUpdateResponse'), {
    request: { params: s.taskIdParams, body: { content: { 'application/json': { schema: s.updateTaskBody } }, required: true } },
  });
  router.put(`${P}/tasks/:task_id`, async (c) => {
    const user = c.get('user');
    const id = taskIdParam(c);
    const body = await readJson(c, s.updateTaskBody);
    const doc = await loadTask(user, id);
    const now = new Date();
    if (body.project_id !== undefined) checkProject(body.project_id);
    const type = body.schedule_type ?? doc.schedule_type;
    const respec = body.schedule_type !== undefined || body.schedule_config !== undefined;
    const cfg = body.schedule_config !== undefined ? body.schedule_config.trim() : doc.schedule_config;
    if (respec) checkSchedule(type, cfg, now);
    // A new action replaces the old one; without one, the task keeps its action (and its schedule the secrets).
    const action = body.action !== undefined ? checkAction(user, body.action) : null;
    if (body.name !== undefined && body.name !== doc.name && (await store.nameTaken(user.sub, body.name, id))) {
      throw new ApiError(409, MSG.duplicate, [{ field: 'name', message: `a task named '${body.name}' already exists` }]);
    }
    const next: ScheduleDoc = {
      ...doc,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.project_id !== undefined ? { project_id: body.project_id } : {}),
      schedule_type: type,
      schedule_config: cfg,
      ...(body.is_active !== undefined ? { is_active: body.is_active } : {}),
      ...(body.timeout_seconds !== undefined ? { timeout_seconds: body.timeout_seconds } : {}),
      ...(body.max_instances !== undefined ? { max_instances: body.max_instances } : {}),
      ...(body.retry_count !== undefined ? { retry_count: body.retry_count } : {}),
      ...(body.priority !== undefined ? { priority: body.priority } : {}),
      action: action ? action.doc : doc.action,
      spec_anchor: respec ? now : doc.spec_anchor,
      updated_at: now,
    };
    await temporal.update(next, projects.get(next.project_id)!, respec, action?.secrets);
    if (next.schedule_type === 'ONCE' && next.is_active && !doc.is_active) await temporal.runOnceIfNeverRun(next.id);
    const { id: _id, owner: _owner, created_at: _c, ...fields } = next;
    try {
      await store.update(id, user.sub, fields);
    } catch (e) {
      if (e instanceof DuplicateScheduleNameError) throw new ApiError(409, MSG.duplicate, [{ field: 'name', message: e.message }]);
      throw e;
    }
    return ok(c, MSG.updated, await fullView(next, false));
  });

  // ---- 5. delete ---------------------------------------------------------------------------------------------
  document('delete', `${P}/tasks/{task_id}`, 'Delete a task and its schedule (execution history is kept)', nothing, { request: { params: s.taskIdParams } });
  router.delete(`${P}/tasks/:task_id`, async (c) => {
    const user = c.get('user');
    const doc = await loadTask(user, taskIdParam(c));
    await temporal.delete(doc.id);
    await store.delete(doc.id, user.sub);
    return ok(c, MSG.deleted, null);
  });

  // ---- 6/7/8. pause, resume, trigger -------------------------------------------------------------------------
  document('post', `${P}/tasks/{task_id}/pause`, 'Pause the schedule (is_active becomes false)', nothing, { request: { params: s.taskIdParams } });
  router.post(`${P}/tasks/:task_id/pause`, async (c) => {
    const user = c.get('user');
    const doc = await loadTask(user, taskIdParam(c));
    await temporal.pause(doc.id);
    await store.update(doc.id, user.sub, { is_active: false, updated_at: new Date() });
    return ok(c, MSG.paused, null);
  });

  document('post', `${P}/tasks/{task_id}/resume`, 'Resume the schedule (is_active becomes true)', nothing, { request: { params: s.taskIdParams } });
  router.post(`${P}/tasks/:task_id/resume`, async (c) => {
    const user = c.get('user');
    const doc = await loadTask(user, taskIdParam(c));
    await temporal.resume(doc.id, doc.schedule_type);
    await store.update(doc.id, user.sub, { is_active: true, updated_at: new Date() });
    return ok(c, MSG.resumed, null);
  });

  document('post', `${P}/tasks/{task_id}/trigger`, 'Run the task now (also while paused); 409 when max_instances executions already run', nothing, {
    request: { params: s.taskIdParams },
  });
  router.post(`${P}/tasks/:task_id/trigger`, async (c) => {
    const user = c.get('user');
    const doc = await loadTask(user, taskIdParam(c));
    const running = await tasks.count({ kind: 'command', owner: user.sub, 'details.schedule_id': doc.id, state: 'running' });
    if (running >= doc.max_instances) {
      throw new ApiError(409, MSG.conflict, [{ field: 'max_instances', message: `${running} execution(s) already running (max_instances ${doc.max_instances})` }]);
    }
    await temporal.trigger(doc.id);
    return ok(c, MSG.triggered, null);
  });

  // ---- 9. executions of a task -------------------------------------------------------------------------------
  document('get', `${P}/tasks/{task_id}/executions`, 'Execution history of a task, newest first', s.page(s.executionSchema, 'SchedulerExecutionPage'), {
    request: { params: s.taskIdParams, query: s.executionsQuery },
  });
  router.get(`${P}/tasks/:task_id/executions`, async (c) => {
    const user = c.get('user');
    const id = taskIdParam(c);
    const page = intParam(c, 'page', 1, 1, 1_000_000);
    const size = intParam(c, 'size', 20, 1, 100);
    const status = c.req.query('status');
    const from = dateParam(c, 'start_date');
    const to = dateParam(c, 'end_date');
    const states = status !== undefined ? fromDialectStatus('scheduler', status) : null;
    if (states && states.length === 0) throw bad(MSG.badRequest, [{ field: 'status', message: `unknown status '${status}'` }]);
    // A deleted task keeps its history: executions are found by task id and owner, not through the task.
    const existing = await store.get(id, user.sub);
    const filter = execFilter(user, { 'details.schedule_id': id });
    if (!existing && (await tasks.count(filter)) === 0) throw new ApiError(404, MSG.taskNotFound, [{ field: 'task_id', message: `task ${id} not found` }]);
    if (states) filter.state = { $in: states };
    if (from || to) filter.create_time = { ...(from ? { $gte: from } : {}), ...(to ? { $lte: to } : {}) };
    const [total, rows] = await Promise.all([tasks.count(filter), tasks.find(filter, { sort: { create_time: -1 }, skip: (page - 1) * size, limit: size })]);
    return c.json({ total, page, size, items: rows.map((r) => executionView(r)) }, 200);
  });

  // ---- 10. execution detail ----------------------------------------------------------------------------------
  document('get', `${P}/executions/{execution_id}`, 'One execution with workspace and resource usage', s.envelope(s.executionSchema, 'SchedulerExecutionResponse'), {
    request: { params: s.executionIdParams },
  });
  router.get(`${P}/executions/:execution_id`, async (c) => ok(c, MSG.ok, executionView(await loadExecution(c.get('user'), c.req.param('execution_id')), true)));

  // ---- 11. logs ----------------------------------------------------------------------------------------------
  const logType = (c: Context): 'output' | 'error' => {
    const t = c.req.query('log_type') ?? 'output';
    if (t !== 'output' && t !== 'error') throw bad(MSG.badRequest, [{ field: 'log_type', message: 'log_type must be output or error' }]);
    return t;
  };
  const logPath = (r: TaskRecord, type: 'output' | 'error'): string | null => (type === 'output' ? det(r).log_file_path : det(r).error_log_path) ?? null;

  document('get', `${P}/executions/{execution_id}/logs/file`, 'The last `lines` lines (≤ 10000) of output.log or error.log', s.envelope(s.logsSchema, 'SchedulerLogsResponse'), {
    request: { params: s.executionIdParams, query: s.logsQuery },
  });
  router.get(`${P}/executions/:execution_id/logs/file`, async (c) => {
    const type = logType(c);
    const lines = intParam(c, 'lines', 10_000, 1, 10_000);
    const r = await loadExecution(c.get('user'), c.req.param('execution_id'));
    const path = logPath(r, type) ?? expectedLogPath(r.task_id, type);
    const st = await stat(path).catch(() => null);
    const text = st ? await readFile(path, 'utf8') : '';
    const all = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    return ok(c, MSG.ok, {
      execution_id: r.task_id,
      log_type: type,
      content: all.slice(-lines),
      file_path: path,
      file_size: st?.size ?? 0,
      lines_count: all.length,
      last_modified: iso(st?.mtime ?? null),
    });
  });

  function expectedLogPath(executionId: string, type: 'output' | 'error'): string {
    return `${config.scheduler.workspaceRoot}/.logs/${executionId}/${type}.log`;
  }

  // Live log stream (the document's "实时日志流"): Server-Sent Events while the execution runs.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: `${P}/executions/{execution_id}/logs/stream`,
      summary: 'Live log lines as Server-Sent Events (`event: log`, then `event: end` with the final status)',
      security: SECURITY,
      request: { params: s.executionIdParams, query: s.streamQuery },
      responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: s.sseSchema } } }, ...errorResponses },
    }),
  );
  router.get(`${P}/executions/:execution_id/logs/stream`, async (c) => {
    const type = logType(c);
    const user = c.get('user');
    const first = await loadExecution(user, c.req.param('execution_id'));
    const path = logPath(first, type) ?? expectedLogPath(first.task_id, type);
    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
      });
      let offset = 0;
      let partial = '';
      let n = 0;
      const limit = Date.now() + ((det(first).timeout_seconds ?? 3600) + 300) * 1000;
      for (;;) {
        const chunk = await readFrom(path, offset);
        offset += chunk.length;
        const text = partial + chunk.toString('utf8');
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) await stream.writeSSE({ event: 'log', data: line, id: String(++n) });
        if (aborted) return;
        if (chunk.length > 0) continue;
        const r = await tasks.get(first.task_id);
        if ((r && isTerminal(r.state)) || Date.now() > limit) {
          const rest = await readFrom(path, offset);
          const tail = (partial + rest.toString('utf8')).split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
          for (const line of tail) await stream.writeSSE({ event: 'log', data: line, id: String(++n) });
          await stream.writeSSE({ event: 'end', data: JSON.stringify({ status: r ? SCHEDULER_STATUS[r.state] : null, exit_code: r ? (det(r).exit_code ?? null) : null }) });
          return;
        }
        await stream.sleep(200);
      }
    });
  });

  // ---- 12. stats ---------------------------------------------------------------------------------------------
  document('get', `${P}/tasks/{task_id}/stats`, 'Counts, success rate, average duration and daily trends of a task', s.envelope(s.statsSchema, 'SchedulerStatsResponse'), {
    request: { params: s.taskIdParams },
  });
  router.get(`${P}/tasks/:task_id/stats`, async (c) => {
    const user = c.get('user');
    const doc = await loadTask(user, taskIdParam(c));
    const f: Filter<TaskRecord> = { kind: 'command', owner: user.sub, 'details.schedule_id': doc.id };
    // FerretDB has no $avg: the average is a $sum divided by a count.
    const since = new Date(Date.now() - 30 * 86400_000);
    // (FerretDB 1.24 answers `n: 0` for `{$sum: 1}` under `_id: null`, so the count is a countDocuments.)
    const timed: Filter<TaskRecord> = { ...f, 'details.duration_seconds': { $gte: 0 } };
    const [counts, durations, timedCount, last, recent] = await Promise.all([
      tasks.countByState(f),
      tasks.collection.aggregate<{ sum: number }>([{ $match: timed }, { $group: { _id: null, sum: { $sum: '$details.duration_seconds' } } }]).toArray(),
      tasks.count(timed),
      lastExecution(doc),
      tasks.find({ ...f, create_time: { $gte: since }, state: { $in: ['succeeded', 'failed', 'timed_out'] } }, { sort: { create_time: -1 }, limit: 100_000 }),
    ]);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const success = counts.succeeded ?? 0;
    const failed = (counts.failed ?? 0) + (counts.timed_out ?? 0);
    const days = new Map<string, { date: string; success: number; failed: number }>();
    for (const r of recent) {
      const date = r.create_time.toISOString().slice(0, 10);
      const d = days.get(date) ?? { date, success: 0, failed: 0 };
      if (r.state === 'succeeded') d.success += 1;
      else d.failed += 1;
      days.set(date, d);
    }
    const durationSum = durations[0]?.sum ?? 0;
    return ok(c, MSG.ok, {
      total_executions: total,
      success_count: success,
      failed_count: failed,
      success_rate: total > 0 ? Math.round((success / total) * 10000) / 10000 : 0,
      average_duration: timedCount > 0 ? Math.round((durationSum / timedCount) * 1000) / 1000 : null,
      last_execution: lastExecutionView(last),
      execution_trends: { daily_counts: [...days.values()].sort((a, b) => b.date.localeCompare(a.date)) },
    });
  });

  // ---- 13. metrics -------------------------------------------------------------------------------------------
  document('get', `${P}/metrics`, 'Host usage, execution queue and dependency health', s.envelope(s.metricsSchema, 'SchedulerMetricsResponse'));
  router.get(`${P}/metrics`, async (c) => {
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    const base = { kind: 'command' as const, queue: 'scheduler' };
    const [host, health, pending, running, completed] = await Promise.all([
      hostUsage(config.scheduler.workspaceRoot),
      runHealthChecks(deps.checks),
      tasks.count({ ...base, state: { $in: ['queued', 'ready'] } }),
      tasks.count({ ...base, state: 'running' }),
      tasks.count({ ...base, state: { $in: ['succeeded', 'failed', 'timed_out', 'cancelled'] }, end_time: { $gte: today } }),
    ]);
    const word = (name: string) => (health.checks[name] === undefined ? 'UNKNOWN' : health.checks[name]!.ok ? 'HEALTHY' : 'UNHEALTHY');
    const engineUp = health.checks.temporal?.ok === true && health.checks.workers?.ok !== false;
    return ok(c, MSG.ok, {
      cpu_percent: host.cpu,
      memory_percent: host.memory,
      disk_usage: host.disk,
      active_tasks: running,
      scheduler_status: engineUp ? 'RUNNING' : 'DEGRADED',
      queue_status: { pending_tasks: pending, running_tasks: running, completed_today: completed },
      database_status: word('mongodb'),
      redis_status: word('kafka'),
      kafka_status: word('kafka'),
      temporal_status: word('temporal'),
      last_updated: iso(new Date()),
    });
  });

  // ---- 14. running -------------------------------------------------------------------------------------------
  document('get', `${P}/running`, "The caller's running executions with progress", s.envelope(s.runningSchema, 'SchedulerRunningResponse'));
  router.get(`${P}/running`, async (c) => {
    const user = c.get('user');
    const rows = await tasks.find(execFilter(user, { state: 'running' }), { sort: { start_time: -1 }, limit: 1000 });
    const now = Date.now();
    const data = await Promise.all(
      rows.map(async (r) => {
        const d = det(r);
        const elapsed = r.start_time ? Math.max(0, Math.floor((now - r.start_time.getTime()) / 1000)) : 0;
        const timeout = d.timeout_seconds ?? 3600;
        const step = (await lastLineOf(d.log_file_path ?? expectedLogPath(r.task_id, 'output'))) ?? '执行命令';
        return {
          task_id: d.schedule_id ?? 0,
          task_name: d.task_name ?? '',
          execution_id: r.task_id,
          start_time: iso(r.start_time),
          running_time: elapsed,
          status: 'RUNNING',
          progress: { current_step: step, progress_percent: Math.min(99, Math.floor((elapsed / timeout) * 100)) },
        };
      }),
    );
    return ok(c, MSG.ok, data);
  });

  // ---- 15. cleanup -------------------------------------------------------------------------------------------
  document('post', `${P}/cleanup-workspaces`, 'Remove execution workspaces older than max_age_hours (admins only)', s.envelope(s.cleanupSchema, 'SchedulerCleanupResponse'), {
    request: { query: s.cleanupQuery },
  });
  router.post(`${P}/cleanup-workspaces`, async (c) => {
    const user = c.get('user');
    if (user.role !== 'admin') throw new ApiError(403, MSG.forbidden, [{ field: 'role', message: 'cleanup-workspaces is for admins only' }]);
    const hours = intParam(c, 'max_age_hours', 24, 0, 100_000);
    const summary = await cleanupWorkspaces(config.scheduler.workspaceRoot, hours, async (name) => {
      const r = await tasks.get(name);
      return r !== null && !isTerminal(r.state);
    });
    return ok(c, `清理完成，已删除超过 ${hours} 小时的工作目录`, {
      cleanup_summary: { ...summary, oldest_removed: iso(summary.oldest_removed), cleanup_time: iso(new Date()) },
    });
  });

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

