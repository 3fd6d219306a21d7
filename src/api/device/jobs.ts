import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { MAX_OFFSET } from '../../domain/bounds.js';
import { testDeviceConnection } from '../../device/connection-test.js';
import { JOB_STATUS_WORDS } from '../../device/job-view.js';
import { assertWebhookAllowed } from '../../device/webhook-target.js';
import { bulkBodySchema, checkConnectionForDriver, connectionArgsSchema, DeviceRequestError, execBodySchema, normalizeExecRequest, type ExecBody, type Renderer } from '../../device/request.js';
import { parsingChecker } from '../../device/parsing-check.js';
import { cancelJobs, deviceRequestDefaults, listJobs, jinja2Renderer, selectWorkers, submitDeviceJob, toWorkerView, type DeviceServiceDeps } from '../../device/service.js';
import type { AppEnv } from '../context.js';
import { BadRequestError, NotFoundError } from '../errors.js';

const SECURITY: Record<string, string[]>[] = [{ ApiKeyHeader: [] }, { ApiKeyQuery: [] }];

const envelope = <T extends z.ZodType>(data: T) => z.object({ code: z.number(), message: z.string(), data });
const errorEnvelope = envelope(z.any().nullable());
const errors = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: errorEnvelope } } },
  401: { description: 'Missing or wrong API key', content: { 'application/json': { schema: errorEnvelope } } },
} as const;

const submittedSchema = z.object({ id: z.string(), status: z.literal('queued'), queue: z.string() });
const jobViewSchema = z
  .object({
    id: z.string(),
    status: z.string(),
    queue: z.string(),
    created_at: z.string().nullable(),
    enqueued_at: z.string().nullable(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    worker: z.string().nullable(),
    result: z
      .object({ type: z.enum(['success', 'failure']), retval: z.any(), error: z.object({ type: z.string(), message: z.string() }).nullable() })
      .nullable(),
    duration: z.number().nullable(),
    queue_time: z.number().nullable(),
    kind: z.string(),
    host: z.string().nullable(),
    waiting_reason: z.string().nullable().optional(),
    workflow_id: z.string().optional().openapi({ description: 'The job\'s Temporal workflow id (the job id)' }),
    temporal_ui_url: z.string().optional().openapi({ description: 'The job\'s workflow in the Temporal UI (TEMPORAL_UI_URL)' }),
  })
  .openapi('DeviceJob');
const workerViewSchema = z
  .object({
    name: z.string(),
    status: z.enum(['busy', 'idle', 'suspended', 'dead']),
    pid: z.number(),
    hostname: z.string(),
    queues: z.array(z.string()),
    last_heartbeat: z.string().nullable(),
    birth_at: z.string().nullable(),
    successful_job_count: z.number(),
    failed_job_count: z.number(),
  })
  .openapi('DeviceWorker');

const jobQuerySchema = z.object({
  id: z.string().optional(),
  queue: z.string().optional(),
  status: z.enum(JOB_STATUS_WORDS).optional(),
  node: z.string().optional(),
  host: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(MAX_OFFSET).default(0),
});
const cancelQuerySchema = z.object({ id: z.string().optional(), queue: z.string().optional(), host: z.string().optional() });
const workerQuerySchema = z.object({ name: z.string().optional(), queue: z.string().optional(), node: z.string().optional(), host: z.string().optional() });

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A renderer that renders each (template, context) once: a bulk request renders its one template once, not per device. */
function renderOnce(render: Renderer): Renderer {
  const done = new Map<string, Promise<string>>();
  return (template, context) => {
    const key = JSON.stringify([template, context]);
    let text = done.get(key);
    if (!text) {
      text = render(template, context);
      done.set(key, text);
    }
    return text;
  };
}

async function normalizeOr400(body: ExecBody, deps: DeviceServiceDeps, ttl: number, render: Renderer = jinja2Renderer(deps.config)) {
  try {
    const req = await normalizeExecRequest(body, deviceRequestDefaults(deps.config, ttl), render, parsingChecker(deps.config));
    assertWebhookAllowed(deps.config, req);
    return req;
  } catch (e) {
    if (e instanceof DeviceRequestError) throw new BadRequestError(e.message, [{ field: e.field, message: e.message }]);
    throw e;
  }
}

/** /device/exec, /device/bulk, /device/test, /job(s), /worker(s): the NetPulse job API on the device service. */
export function registerDeviceJobRoutes(app: OpenAPIHono<AppEnv>, deps: DeviceServiceDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/device/exec',
      summary: 'Queue one device job (netmiko / paramiko / ssh), pinned or fifo',
      security: SECURITY,
      request: { body: { required: true, content: { 'application/json': { schema: execBodySchema } } } },
      responses: { 200: json(envelope(submittedSchema), 'The job was queued; poll it with GET /job?id='), ...errors },
    }),
    async (c) => {
      const req = await normalizeOr400(c.req.valid('json'), deps, deps.config.device.defaultTtlSeconds);
      const job = await submitDeviceJob(deps, req);
      return c.json({ code: 200, message: 'success', data: job }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/device/bulk',
      summary: 'Queue the same job on many devices; each `devices[]` entry overrides connection_args',
      security: SECURITY,
      request: { body: { required: true, content: { 'application/json': { schema: bulkBodySchema } } } },
      responses: {
        200: json(envelope(z.object({ succeeded: z.array(submittedSchema), failed: z.array(z.object({ host: z.string(), reason: z.string() })) })), 'Per device: queued or why not'),
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { devices, connection_args: common, ...rest } = body;
      const succeeded: Array<{ id: string; status: 'queued'; queue: string }> = [];
      const failed: Array<{ host: string; reason: string }> = [];
      const render = renderOnce(jinja2Renderer(deps.config));
      for (const device of devices) {
        const merged = { ...(common ?? {}), ...device };
        const parsed = connectionArgsSchema.safeParse(merged);
        if (!parsed.success) {
          failed.push({ host: device.host, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
          continue;
        }
        try {
          const req = await normalizeOr400({ ...rest, connection_args: parsed.data } as ExecBody, deps, body.ttl ?? deps.config.device.bulkTtlSeconds, render);
          succeeded.push(await submitDeviceJob(deps, req));
        } catch (e) {
          failed.push({ host: device.host, reason: e instanceof BadRequestError ? e.message : 'the job could not be queued' });
        }
      }
      return c.json({ code: 200, message: 'success', data: { succeeded, failed } }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/device/test',
      summary: 'Connect now and check the prompt (synchronous)',
      security: SECURITY,
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: z.object({ driver: z.string().default('netmiko'), connection_args: connectionArgsSchema }).passthrough() } },
        },
      },
      responses: {
        200: json(
          envelope(
            z.object({
              success: z.boolean(),
              connection_time: z.number(),
              error_message: z.string().nullable(),
              device_info: z.object({ prompt: z.string().nullable(), device_type: z.string().nullable(), host: z.string() }).nullable(),
              timestamp: z.string(),
            }),
          ),
          'The outcome of the connection attempt',
        ),
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const driver = body.driver.trim().toLowerCase();
      if (!['netmiko', 'paramiko', 'ssh'].includes(driver)) {
        throw new BadRequestError(`unsupported driver '${body.driver}'; supported: netmiko, paramiko, ssh`, [{ field: 'driver', message: 'unsupported driver' }]);
      }
      const impl = driver === 'netmiko' ? 'netmiko' : 'paramiko';
      try {
        checkConnectionForDriver(impl, body.connection_args);
      } catch (e) {
        if (e instanceof DeviceRequestError) throw new BadRequestError(e.message, [{ field: e.field, message: e.message }]);
        throw e;
      }
      const result = await testDeviceConnection(impl, body.connection_args);
      return c.json({ code: 200, message: 'success', data: result }, 200);
    },
  );

  for (const path of ['/job', '/jobs', '/jobs/{id}']) {
    const byPath = path.endsWith('{id}');
    const params = byPath ? { params: z.object({ id: z.string() }) } : {};
    app.openapi(
      createRoute({
        method: 'get',
        path,
        summary: byPath ? 'One job by id (alias of GET /job?id=)' : 'Jobs of every kind: by id (beats the rest) or by queue, status, node, host; newest first',
        security: SECURITY,
        request: { query: jobQuerySchema, ...params },
        responses: { 200: json(envelope(z.array(jobViewSchema)), 'The jobs'), 404: json(errorEnvelope, 'No job with this id'), ...errors },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const id = byPath ? c.req.param('id') : q.id;
        const jobs = await listJobs(deps, { ...q, ...(id ? { id } : {}) });
        if (!jobs) throw new NotFoundError(`job ${id} not found`);
        return c.json({ code: 200, message: 'success', data: jobs }, 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path,
        summary: 'Cancel jobs that have not started, by id (beats the rest), queue or host',
        security: SECURITY,
        request: { query: cancelQuerySchema, ...params },
        responses: {
          200: json(envelope(z.object({ cancelled_count: z.number(), cancelled_jobs: z.array(z.string()) })), 'What was cancelled'),
          ...errors,
        },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const id = byPath ? c.req.param('id') : q.id;
        if (!id && !q.queue && !q.host) throw new BadRequestError('give id, queue or host', [{ field: 'id', message: 'one of id, queue, host is required' }]);
        const cancelled = await cancelJobs(deps, id ? { id } : { ...(q.queue ? { queue: q.queue } : {}), ...(q.host ? { host: q.host } : {}) });
        return c.json({ code: 200, message: 'success', data: { cancelled_count: cancelled.length, cancelled_jobs: cancelled } }, 200);
      },
    );
  }

  for (const path of ['/worker', '/workers', '/workers/{name}']) {
    const byPath = path.endsWith('{name}');
    const params = byPath ? { params: z.object({ name: z.string() }) } : {};
    app.openapi(
      createRoute({
        method: 'get',
        path,
        summary: 'Workers with status from their heartbeats; filters: queue beats node beats host',
        security: SECURITY,
        request: { query: workerQuerySchema, ...params },
        responses: { 200: json(envelope(z.array(workerViewSchema)), 'The workers'), ...errors },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const name = byPath ? c.req.param('name') : q.name;
        const selected = await selectWorkers(deps, { ...q, ...(name ? { name } : {}) });
        const now = new Date();
        return c.json({ code: 200, message: 'success', data: selected.map((w) => toWorkerView(w, now, deps.config.worker.deadAfterSeconds)) }, 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path,
        summary: 'Stop workers by name (beats the rest), queue, node or host; each stops at its next heartbeat',
        security: SECURITY,
        request: { query: workerQuerySchema, ...params },
        responses: { 200: json(envelope(z.array(z.string())), 'Names of the workers asked to stop'), ...errors },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const name = byPath ? c.req.param('name') : q.name;
        if (!name && !q.queue && !q.node && !q.host) throw new BadRequestError('give name, queue, node or host', [{ field: 'name', message: 'a filter is required' }]);
        const now = new Date();
        const selected = (await selectWorkers(deps, { ...q, ...(name ? { name } : {}) })).filter(
          (w) => toWorkerView(w, now, deps.config.worker.deadAfterSeconds).status !== 'dead',
        );
        const names = selected.map((w) => w.record.name);
        await deps.workers.requestStop(names);
        return c.json({ code: 200, message: 'success', data: names }, 200);
      },
    );
  }
}
