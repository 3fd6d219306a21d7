import { OpenAPIHono, z } from '@hono/zod-openapi';
import { LIVEZ_PATH, READYZ_PATH } from '../lifecycle/probes.js';

export const OPERATIONS_OPENAPI_PATH = '/openapi/operations.json';
export const OPERATIONS_TITLE = 'Operations (probes, metrics)';

const state = (values: string[], example: string) => z.object({ status: z.enum(values as [string, ...string[]]) }).openapi({ example: { status: example } });

/**
 * The OpenAPI document of the endpoints that belong to no dialect and need no credentials (`security: []`): the
 * probes and `/metrics`. It documents them only; the probes are served by createProbeRoutes (the same routes as
 * on a worker's probe port) and `/metrics` by createApp.
 */
export function createOperationsDoc(): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: LIVEZ_PATH,
    summary: 'Liveness: the process runs and its event loop turns (no credentials; says nothing but the state)',
    security: [],
    responses: { 200: { description: 'Alive', content: { 'application/json': { schema: state(['live'], 'live') } } } },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: READYZ_PATH,
    summary: 'Readiness: whole (indexes built, dependencies connected), MongoDB and Temporal answer, not draining (no credentials)',
    description: 'While draining after SIGTERM the answer is 503 `draining` before the process stops taking requests.',
    security: [],
    responses: {
      200: { description: 'Ready to take requests', content: { 'application/json': { schema: state(['ready'], 'ready') } } },
      503: { description: 'Not ready: `starting`, `unavailable` (a dependency does not answer) or `draining`', content: { 'application/json': { schema: state(['starting', 'unavailable', 'draining'], 'draining') } } },
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this process (no credentials)',
    security: [],
    responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
  });
  app.doc31(OPERATIONS_OPENAPI_PATH, { openapi: '3.1.0', info: { title: `Switchyard ${OPERATIONS_TITLE.toLowerCase()}`, version: '1.0.0' } });
  return app;
}
