import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { BODY_METHODS, bodyGuard } from './body-guard.js';
import { createCodecEndpoint } from './codec-endpoint.js';
import type { ApiDeps, AppEnv } from './context.js';
import { dialectForPath, type Dialect } from './dialect.js';
import { createDocsApp } from './docs.js';
import { ApiError, codeMessageDataShaper, toApiError } from './errors.js';
import { createMetrics } from './metrics.js';
import { clusterRegistryFor } from '../cluster/registry.js';
import { createProbeRoutes, LIVEZ_PATH, READYZ_PATH } from '../lifecycle/probes.js';
import { installedTracing } from '../tracing/provider.js';
import { httpTracing } from './tracing.js';
import { createOperationsDoc, OPERATIONS_OPENAPI_PATH, OPERATIONS_TITLE } from './operations.js';

/** Seconds a 503 answer tells the client to wait before trying again (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 2;

export type DialectFactory = (deps: ApiDeps) => Dialect;

const PROBE_PATHS = new Set([LIVEZ_PATH, READYZ_PATH]);

/** Redacts credentials that clients may pass in the query string (NetPulse accepts `?x-api-key=`). */
export function safePath(c: Context): string {
  const url = new URL(c.req.url);
  for (const key of [...url.searchParams.keys()]) {
    if (/key|token|secret|password/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.pathname + (url.search ? url.search : '');
}

export function createApp(deps: ApiDeps, dialectFactories: DialectFactory[] = []) {
  const app = new Hono<AppEnv>();
  const dialects = dialectFactories.map((f) => f(deps));
  // The job-state gauge comes from the cluster leader only (src/store/job-metrics.ts); without a registry (tests
  // of the app alone) this process is the whole cluster.
  const metrics = createMetrics(deps.tasks, () => clusterRegistryFor(deps)?.isLeader() ?? true);

  // The request's span comes first, so everything after runs inside it; without tracing there is no middleware at all.
  if (installedTracing()) app.use('*', httpTracing(dialects));
  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', async (c, next) => {
    const log = deps.logger.child({ req_id: c.get('requestId') });
    c.set('logger', log);
    const started = performance.now();
    await next();
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const line = () => ({ method: c.req.method, path: safePath(c), status: c.res.status, ms });
    // A probe's 503 is its answer (starting, unavailable, draining), not a failed request.
    if (c.res.status >= 500 && !PROBE_PATHS.has(c.req.path)) log.error(line(), 'request failed');
    else if (log.isLevelEnabled('debug')) log.debug(line(), 'request');
  });
  app.use('*', metrics.middleware);
  const limitBody = bodyLimit({
    maxSize: deps.config.api.bodyLimitBytes,
    onError: () => {
      throw new ApiError(413, `Request body larger than ${deps.config.api.bodyLimitBytes} bytes`);
    },
  });
  // Asking a request for its body makes @hono/node-server build a full fetch Request (an AbortController and
  // header copies, a sixth of a GET's cost): only requests that may carry one are asked.
  app.use('*', (c, next) => (BODY_METHODS.has(c.req.method) ? limitBody(c, next) : next()));
  app.use('*', bodyGuard());

  // Unauthenticated, like /metrics: the probes say the state and nothing else.
  app.route('/', createProbeRoutes(deps.readiness));
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.route('/', createCodecEndpoint({ codec: deps.codec, operatorToken: deps.config.auth.codecOperatorToken, uiOrigins: deps.config.api.uiOrigins }));
  app.route('/', createOperationsDoc());
  app.route('/', createDocsApp(dialects, [{ url: OPERATIONS_OPENAPI_PATH, name: OPERATIONS_TITLE }]));
  for (const d of dialects) app.route('/', d.app);

  const shape = (c: Context<AppEnv>, error: ApiError) => {
    const dialect = dialectForPath(dialects, c.req.path);
    return (dialect?.shapeError ?? codeMessageDataShaper)(error, c);
  };

  app.onError((e, c) => {
    const error = toApiError(e);
    const log = c.get('logger') ?? deps.logger;
    if (error.status >= 500) log.error({ err: e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : String(e), path: c.req.path }, 'request error');
    const res = shape(c, error);
    // The unread rest of an oversized body makes the connection unusable: tell the client not to reuse it.
    if (error.status === 413) res.headers.set('Connection', 'close');
    // A 503 is "a dependency is away, try again": say when, as HTTP does (a client or proxy may honour it).
    if (error.status === 503) res.headers.set('Retry-After', String(RETRY_AFTER_SECONDS));
    return res;
  });
  app.notFound((c) => shape(c, new ApiError(404, `No route for ${c.req.method} ${c.req.path}`)));

  return { app, dialects, metrics };
}
