import { readJsonBody } from '../json-body.js';
import { createRoute, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ZodType } from 'zod';
import type { TaskRecord } from '../../domain/task.js';
import { ServiceTaskError, ServiceTasks } from '../../service-tasks/service.js';
import { ServiceTaskStore } from '../../store/service-tasks.js';
import { safeEqual } from '../codec-endpoint.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { temporalLinkHeader, workflowUiUrl } from '../../domain/temporal-ui.js';
import type { Dialect } from '../dialect.js';
import { ApiError, BadRequestError, type ErrorShaper, UnauthorizedError } from '../errors.js';
import { bodyByReference, createDialectApp } from '../openapi.js';
import { formatTime, spendSeconds } from './format.js';
import * as s from './schemas.js';

export const SERVICE_TASKS_OPENAPI_PATH = '/openapi/service-tasks.json';

/** Every path this dialect owns, exactly: `/api/v1/scheduler` and `/api/v2` belong to other dialects. */
export const SERVICE_TASK_PATHS = [
  '/api/create_task',
  '/api/status_task',
  '/api/update_status_task',
  '/api/result_task',
  '/api/tasks',
  '/api/start_task',
  '/api/update_task',
  '/api/service_task',
] as const;

/** The document's failure envelope, `{'result': 'exception', 'message': …}`, with a 4xx status (docs/decisions.md). */
export const serviceTaskErrorShaper: ErrorShaper = (error: ApiError, c) => c.json({ result: 'exception', message: error.message }, error.status as 400);

export function serviceTokenAuth(token: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new UnauthorizedError('Unauthorized: Authorization header missing');
    // The document sends the bare token; `Bearer <token>` is accepted too.
    const given = header.replace(/^Bearer\s+/i, '').trim();
    if (!safeEqual(given, token)) throw new UnauthorizedError('Unauthorized: invalid token');
    await next();
  };
}

class NotFoundTaskError extends ApiError {
  constructor(message: string) {
    super(404, message);
    this.name = 'NotFoundTaskError';
  }
}

function toApi(e: unknown): unknown {
  if (!(e instanceof ServiceTaskError)) return e;
  if (e.kind === 'not_found') return new NotFoundTaskError(e.message);
  if (e.kind === 'conflict') return new ApiError(409, e.message);
  return new BadRequestError(e.message);
}

const readBody = <T extends ZodType>(c: Context, schema: T) => readJsonBody(c, schema);
/** A body schema with the name it is documented under. */
const named = <T extends ZodType>(name: string, schema: T) => ({ name, schema });

const SECURITY = [{ ServiceToken: [] }];

function doc(path: string, summary: string, body: ReturnType<typeof bodyByReference> | null, ok: ZodType) {
  const failure = (description: string) => ({ description, content: { 'application/json': { schema: s.exceptionResponse } } });
  return createRoute({
    method: 'post',
    path,
    summary,
    security: SECURITY,
    ...(body ? { request: { body } } : {}),
    responses: {
      200: { description: "`{'result': 'ok', …}`", content: { 'application/json': { schema: ok } } },
      400: failure('Invalid parameter (bad JSON, missing field, unknown service → `service not support`, too many ids)'),
      401: failure('Missing or wrong `Authorization` token'),
      404: failure('Unknown task id'),
      409: failure('Refused in the task’s present status (illegal transition, task running)'),
    },
  });
}

function statusEntry(r: TaskRecord) {
  const messages = r.status_message ?? {};
  return {
    task_id: r.task_id,
    status: r.status,
    message: messages[r.status] ?? null,
    start_time: formatTime(r.start_time),
    end_time: formatTime(r.end_time),
  };
}

/** Most links one answer carries (a page of /api/tasks holds at most this many). */
const MAX_LINKS = 100;

/**
 * The tasks an answer is about: every `task_id` in it (not the `Invalid` ones of status_task), else the one the
 * request named (result_task answers without it). Each task's workflow id is its task id.
 */
export function taskIdsIn(out: Record<string, unknown>, input: unknown): string[] {
  const ids = new Set<string>();
  const visit = (v: unknown, depth: number) => {
    if (ids.size >= MAX_LINKS || depth > 2 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    const o = v as Record<string, unknown>;
    if (typeof o.task_id === 'string' && o.status !== 'Invalid') ids.add(o.task_id);
    for (const k of ['status', 'data']) if (k in o) visit(o[k], depth + 1);
  };
  visit(out, 0);
  const asked = (input as { data?: { task_id?: unknown } } | null)?.data?.task_id;
  if (ids.size === 0 && typeof asked === 'string' && 'start_time' in out) ids.add(asked);
  return [...ids];
}

/** The long-running service-task dialect (long-task-api.md): `/api/create_task` … `/api/service_task`. */
export function createServiceTasksDialect(deps: ApiDeps): Dialect {
  const { config } = deps;
  const store = new ServiceTaskStore(deps.db, config.mongo.serviceTaskCollection);
  // Its indexes are built at boot, before the API serves (src/store/indexes.ts).
  const tasks = new ServiceTasks({ config, logger: deps.logger, temporal: deps.temporal, store });
  const app = createDialectApp();
  app.openAPIRegistry.registerComponent('securitySchemes', 'ServiceToken', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The bare token (`Authorization: <AUTH_TOKEN>`), as the document says',
  });
  const auth = serviceTokenAuth(config.auth.serviceAuthToken);
  for (const p of SERVICE_TASK_PATHS) app.use(p, auth);

  /** A documented route; its body is read and validated here, whatever its Content-Type (see bodyByReference). */
  const route = <T extends ZodType | null>(
    path: (typeof SERVICE_TASK_PATHS)[number],
    summary: string,
    named: { name: string; schema: T } | null,
    ok: ZodType,
    handler: (input: T extends ZodType ? z.infer<T> : Record<string, never>, c: Context<AppEnv>) => Promise<Record<string, unknown>>,
  ) => {
    const body = named?.schema ?? null;
    const documented = named && body ? bodyByReference(app, named.name, body) : null;
    app.openapi(doc(path, summary, documented, ok), async (c) => {
      const input = body ? await readBody(c, body) : {};
      try {
        const out = await handler(input as never, c);
        // The document's bodies are fixed: the tasks' Temporal UI pages go in a `Link` header.
        const ids = taskIdsIn(out, input);
        if (ids.length > 0) c.header('Link', temporalLinkHeader(ids.map((id) => workflowUiUrl(config.temporal, id))));
        return c.json({ result: 'ok', ...out }, 200);
      } catch (e) {
        throw toApi(e);
      }
    });
  };

  route('/api/create_task', 'Create a task of a configured service and hand it off', named('CreateTaskRequest', s.createTaskBodyFor(tasks.serviceNames())), s.createTaskResponse, async ({ data }) => {
    const out = await tasks.create({ service: data.service, condition: data.condition });
    return { task_id: out.taskId };
  });

  route('/api/status_task', 'Status of up to max_status_task tasks (`Invalid` for unknown ids)', named('StatusTaskRequest', s.statusTaskBody), s.statusTaskResponse, async ({ data }) => {
    if (data.length > config.services.maxStatusTask) {
      throw new BadRequestError(`Invalid parameter: at most ${config.services.maxStatusTask} task ids per call (max_status_task), got ${data.length}`);
    }
    const ids = data.map((d) => d.task_id);
    const found = await store.getMany([...new Set(ids)]);
    return {
      status: ids.map((id) => {
        const r = found.get(id);
        return r ? statusEntry(r) : { task_id: id, status: 'Invalid', message: 'invalid task_id', start_time: null, end_time: null };
      }),
    };
  });

  route('/api/update_status_task', 'Report a task’s status (running / finished / failed), message and result', named('UpdateStatusTaskRequest', s.updateStatusBody), s.updateStatusResponse, async ({ data }) => {
    const reply = await tasks.reportStatus(data.task_id, { status: data.status, message: data.message ?? null, data: data.data });
    return { status: reply };
  });

  route('/api/result_task', 'A task’s result and timing', named('ResultTaskRequest', s.resultTaskBody), s.resultTaskResponse, async ({ data }) => {
    const r = await tasks.get(data.task_id);
    return { data: r.result ?? null, start_time: formatTime(r.start_time), end_time: formatTime(r.end_time), spend_time: spendSeconds(r.start_time, r.end_time) };
  });

  route('/api/tasks', 'Created tasks, newest first, paged and filtered', named('TaskListRequest', s.tasksBody), s.tasksResponse, async (q) => {
    const size = q.p_size ?? 10;
    const page = q.page ?? 1;
    const filter: Record<string, unknown> = { kind: 'service' };
    if (q.service) filter.service = q.service;
    if (q.status) filter.status = q.status;
    const [total, rows] = await Promise.all([
      store.tasks.count(filter),
      store.tasks.find(filter, { sort: { create_time: -1, task_id: 1 }, skip: (page - 1) * size, limit: size }),
    ]);
    const data = rows.map((r) => ({ task_id: r.task_id, service: r.service, status: r.status, condition: r.condition, create_time: formatTime(r.create_time) }));
    return { total, count: data.length, data };
  });

  route('/api/start_task', 'Run a ready, failed or finished task again', named('StartTaskRequest', s.startTaskBody), s.taskIdResponse, async ({ task_id }) => {
    await tasks.start(task_id);
    return { task_id };
  });

  route('/api/update_task', 'Change a task’s condition (refused while it waits or runs)', named('UpdateTaskRequest', s.updateTaskBody), s.taskIdResponse, async ({ task_id, condition }) => {
    await tasks.updateCondition(task_id, condition);
    return { task_id };
  });

  route('/api/service_task', 'Names of the supported services', null, s.serviceTaskResponse, async () => {
    const names = tasks.serviceNames();
    return { count: names.length, data: names };
  });

  app.doc31(SERVICE_TASKS_OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard long-running service tasks',
      version: '1.0.0',
      description:
        "Every failure answers `{'result': 'exception', 'message': …}` with a 4xx status. Times are UTC `YYYY-MM-DD HH:MM:SS`. A `dispatch: kafka` service receives `{\"Task\": {task_id, service, source_name, condition}}` on its topic and reports with update_status_task.",
    },
  });
  return {
    name: 'service-tasks',
    title: 'Long-running service tasks',
    prefixes: [...SERVICE_TASK_PATHS, SERVICE_TASKS_OPENAPI_PATH],
    app,
    shapeError: serviceTaskErrorShaper,
    openapiPath: SERVICE_TASKS_OPENAPI_PATH,
  };
}
