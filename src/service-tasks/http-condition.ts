import type { Config, ServiceConfig } from '../config/index.js';
import { headerProblem } from '../domain/http-headers.js';
import { outboundFor } from '../net/outbound.js';

/**
 * The built-in `http` service's condition `{url, method = GET, headers, body, timeout (s)}`, checked the same way
 * where a task is created (create_task, update_task, the Kafka ingest, a scheduler service action: a 400 naming
 * the field) and where it runs (a non-retryable failure): URL, method, headers (no CR/LF, no framing headers) and
 * the outbound policy on what the URL shows before it resolves.
 */
export interface HttpCondition {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  timeout_ms: number;
}

export const HTTP_DEFAULT_TIMEOUT_MS = 30_000;

export class HttpConditionError extends Error {
  constructor(
    readonly field: string,
    message: string,
    /** The outbound policy refused the URL (not a malformed condition). */
    readonly outboundRefused = false,
  ) {
    super(message);
    this.name = 'HttpConditionError';
  }
}

/** True for the service the `http` built-in serves (a `temporal` service named `http`). */
export function isHttpBuiltin(svc: Pick<ServiceConfig, 'name' | 'dispatch'> | undefined): boolean {
  return svc?.name === 'http' && svc.dispatch === 'temporal';
}

export function parseHttpCondition(config: Config, condition: unknown): HttpCondition {
  const c = (condition ?? {}) as Record<string, unknown>;
  if (typeof c.url !== 'string') throw new HttpConditionError('condition.url', 'condition.url is required');
  let url: URL;
  try {
    url = new URL(c.url);
  } catch {
    throw new HttpConditionError('condition.url', 'condition.url is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpConditionError('condition.url', 'condition.url must be http(s)');
  const refusal = outboundFor(config).policy.checkUrl(url);
  if (refusal) throw new HttpConditionError('condition.url', `condition.url is refused by the outbound policy: ${refusal.reason}`, true);
  const method = typeof c.method === 'string' ? c.method.toUpperCase() : 'GET';
  if (!/^[A-Z]+$/.test(method)) throw new HttpConditionError('condition.method', 'condition.method is not a method');
  const headers: Record<string, string> = {};
  if (c.headers !== undefined) {
    if (typeof c.headers !== 'object' || c.headers === null || Array.isArray(c.headers)) throw new HttpConditionError('condition.headers', 'condition.headers must be an object');
    for (const [k, v] of Object.entries(c.headers)) {
      const value = String(v);
      const problem = headerProblem(k, value);
      if (problem) throw new HttpConditionError('condition.headers', `condition.headers: ${problem}`);
      headers[k] = value;
    }
  }
  const timeout = typeof c.timeout === 'number' && c.timeout > 0 ? Math.min(c.timeout * 1000, 600_000) : HTTP_DEFAULT_TIMEOUT_MS;
  return { url: url.toString(), method, headers, body: c.body, timeout_ms: timeout };
}
