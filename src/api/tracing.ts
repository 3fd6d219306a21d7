import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { TRACER_NAME } from '../tracing/provider.js';
import type { AppEnv } from './context.js';
import { dialectForPath, type Dialect } from './dialect.js';

/**
 * The HTTP server span of every request, the root of its trace (or a child of the caller's, when the request
 * carries a W3C `traceparent`): `POST /api/v1/device/jobs`, named after the route, not the path, so ids do not
 * make every name unique. It holds the method, route, status, request id and dialect; never the query string
 * (NetPulse clients put API keys there), a header or the body. Everything the request does (a workflow start, a
 * store call) runs inside it. Installed only when tracing is (src/api/app.ts).
 */
export function httpTracing(dialects: Dialect[]): MiddlewareHandler<AppEnv> {
  const tracer = trace.getTracer(TRACER_NAME);
  return async (c, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, c.req.header());
    const method = c.req.method;
    // Named after its route once routing has happened (below).
    const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = routePath(c, -1);
      span.updateName(`${method} ${route}`);
      const dialect = dialectForPath(dialects, c.req.path)?.name;
      span.setAttributes({
        'http.route': route,
        'http.response.status_code': c.res.status,
        ...(c.get('requestId') && { 'switchyard.request_id': c.get('requestId') }),
        ...(dialect && { 'switchyard.dialect': dialect }),
      });
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
