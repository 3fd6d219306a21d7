import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { INT32_MAX, INT32_MIN } from '../../domain/bounds.js';
import { gpuNodeResultSignal, gpuNodeStatusSignal } from '../../gpu/contract.js';
import { createGpuOps, ensureGpuIndexes, ensureMonitor, markNodeDown, markNodeUp, nodeAddressProblem, notifyNodeLost } from '../../gpu/ops.js';
import {
  forwardNodeReport,
  getGpuTask,
  GpuTaskEndedError,
  GpuTaskNotFoundError,
  GpuTaskNotStartedError,
  listGpuTasks,
  taskProgress,
  waitingFacts,
} from '../../gpu/service.js';
import { submitGpuTask } from '../../gpu/tasks.js';
import { safeEqual } from '../codec-endpoint.js';
import type { ApiDeps, AppEnv } from '../context.js';
import type { Dialect } from '../dialect.js';
import { BadRequestError, codeMessageDataShaper, ConflictError, NotFoundError, UnauthorizedError, UnavailableError } from '../errors.js';
import { createDialectApp } from '../openapi.js';
import { registerGpuMonitoringRoutes } from './monitoring.js';
import { BASE, jsonBody, ok, responses, route, SECURITY } from './routes.js';
import * as S from './schemas.js';
import { nodeView, taskView } from './views.js';
import { temporalLinkHeader, workflowUiUrl } from '../../domain/temporal-ui.js';

export const GPU_OPENAPI_PATH = '/openapi/gpu.json';
const gpuIdParam = z.object({ gpuId: z.string().min(1) });
const taskIdParam = z.object({ taskId: z.string().min(1) });

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

  /** A service call whose refusals become this dialect's errors. */
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof GpuTaskNotFoundError) throw new NotFoundError(`任务不存在: ${e.taskId}`);
      if (e instanceof GpuTaskEndedError) throw new ConflictError(`任务已结束: ${e.taskId}${e.status ? ` (${e.status})` : ''}`);
      if (e instanceof GpuTaskNotStartedError) throw new UnavailableError(`任务尚未启动，请稍后重试: ${e.taskId}`);
      throw e;
    }
  };
  const getTask = (taskId: string) => call(() => getGpuTask(ops, taskId));
  const getNode = async (gpuId: string) => {
    const n = await ops.nodes.get(gpuId);
    if (!n) throw new NotFoundError(`GPU不存在: ${gpuId}`);
    return n;
  };

  // ---------- GPU nodes ----------
  app.openapi(createRoute({ ...route('get', '/gpus', 'List every GPU node', 'GPU'), responses: responses(z.array(S.GpuNode)) }), async (c) =>
    c.json(ok((await ops.nodes.list()).map(nodeView)), 200),
  );

  app.openapi(
    createRoute({
      ...route('get', '/gpus/by-task-type/{taskType}', 'GPU nodes supporting a task type (optionally only NORMAL or VIP nodes)', 'GPU'),
      request: { params: z.object({ taskType: z.coerce.number().int().min(INT32_MIN).max(INT32_MAX) }), query: z.object({ priority: z.enum(['NORMAL', 'VIP']).optional() }) },
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
      const addressProblem = nodeAddressProblem(deps.config, body);
      if (addressProblem) throw new BadRequestError(addressProblem, [{ field: 'ip', message: addressProblem }]);
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
      return c.json(ok((await listGpuTasks(ops, c.req.valid('query'))).map((r) => taskView(r, deps.config.temporal))), 200);
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
      const facts = await waitingFacts(ops, r);
      return c.json(ok({ ...taskView(r, deps.config.temporal), ...(facts ? { waitingReason: facts.reason, queuePosition: facts.position + 1 } : {}) }), 200);
    },
  );

  app.openapi(
    createRoute({ ...route('get', '/tasks/{taskId}/progress', 'Task progress; queuePosition is 1 for the next task to start, 0 once it runs', 'Tasks'), request: { params: taskIdParam }, responses: responses(S.Progress) }),
    async (c) => {
      const r = await getTask(c.req.valid('param').taskId);
      const view = taskView(r);
      const p = await taskProgress(ops, r);
      c.header('Link', temporalLinkHeader([workflowUiUrl(deps.config.temporal, r.task_id)]));
      return c.json(
        ok({
          taskId: r.task_id,
          status: view.status,
          progress: p.progress,
          gpuId: view.gpuId,
          startTime: view.startedAt,
          updateTime: view.updatedAt,
          queuePosition: p.queuePosition,
          estimatedRemainingTime: p.estimatedRemainingTime,
          ...(p.waitingReason !== undefined ? { waitingReason: p.waitingReason } : {}),
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({ ...route('get', '/tasks/{taskId}/result', 'Task result (a JSON result is returned as an object)', 'Tasks'), request: { params: taskIdParam }, responses: responses(S.TaskResult) }),
    async (c) => {
      const r = await getTask(c.req.valid('param').taskId);
      const view = taskView(r);
      c.header('Link', temporalLinkHeader([workflowUiUrl(deps.config.temporal, r.task_id)]));
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
      await call(() => forwardNodeReport(ops, c.req.valid('param').taskId, gpuNodeStatusSignal, c.req.valid('json')));
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
      await call(() => forwardNodeReport(ops, c.req.valid('param').taskId, gpuNodeResultSignal, c.req.valid('json')));
      return c.json(ok('任务结果更新成功'), 200);
    },
  );

  registerGpuMonitoringRoutes(app, deps, ops, ensureReady);

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
