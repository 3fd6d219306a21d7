import { createRoute, z } from '@hono/zod-openapi';
import type { ApiDeps } from '../context.js';
import type { Dialect } from '../dialect.js';
import { codeMessageDataShaper } from '../errors.js';
import { runHealthChecks } from '../health.js';
import { createDialectApp } from '../openapi.js';
import { deviceApiKeyAuth } from './auth.js';
import { registerDeviceJobRoutes } from './jobs.js';

export const DEVICE_OPENAPI_PATH = '/openapi/device.json';
const SECURITY: Record<string, string[]>[] = [{ ApiKeyHeader: [] }, { ApiKeyQuery: [] }];

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Health of the service and its dependencies (Temporal, MongoDB, Kafka, live workers)',
  security: SECURITY,
  request: { query: z.object({ verbose: z.enum(['true', 'false', '1', '0']).optional() }) },
  responses: {
    200: {
      description: 'Healthy: `data` is "ok" (with `?verbose=true`, the checks)',
      content: { 'application/json': { schema: z.object({ code: z.number(), message: z.string(), data: z.any() }) } },
    },
    503: {
      description: 'A dependency is down: `data` holds every check',
      content: { 'application/json': { schema: z.object({ code: z.number(), message: z.string(), data: z.any() }) } },
    },
  },
});

/** The NetPulse-style dialect: /device, /job, /worker, /health. */
export function createDeviceDialect(deps: ApiDeps): Dialect {
  const app = createDialectApp();
  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKeyHeader', { type: 'apiKey', in: 'header', name: 'X-API-KEY' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKeyQuery', { type: 'apiKey', in: 'query', name: 'x-api-key' });
  const auth = deviceApiKeyAuth(deps.config.auth.deviceApiKey);
  for (const p of ['/health', '/device/*', '/job', '/jobs', '/jobs/*', '/worker', '/workers', '/workers/*']) app.use(p, auth);

  app.openapi(healthRoute, async (c) => {
    const report = await runHealthChecks(deps.checks);
    const { verbose } = c.req.valid('query');
    const detailed = verbose === 'true' || verbose === '1';
    if (report.healthy) return c.json({ code: 200, message: 'success', data: detailed ? { status: 'ok', checks: report.checks } : 'ok' }, 200);
    const down = Object.entries(report.checks).filter(([, r]) => !r.ok).map(([n]) => n);
    return c.json({ code: 503, message: `unhealthy: ${down.join(', ')}`, data: { status: 'unhealthy', checks: report.checks } }, 503);
  });

  registerDeviceJobRoutes(app, deps);

  app.doc31(DEVICE_OPENAPI_PATH, { openapi: '3.1.0', info: { title: 'Switchyard device jobs (NetPulse dialect)', version: '1.0.0' } });
  return {
    name: 'device',
    title: 'Device jobs (NetPulse)',
    prefixes: ['/device', '/job', '/jobs', '/worker', '/workers', '/health', DEVICE_OPENAPI_PATH],
    app,
    shapeError: codeMessageDataShaper,
    openapiPath: DEVICE_OPENAPI_PATH,
  };
}
