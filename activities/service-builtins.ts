import { ApplicationFailure, Context } from '@temporalio/activity';
import type { BuiltinServiceName, ServiceTaskMessage } from '../src/service-tasks/contract.js';

/** Largest response body the `http` service keeps; more fails the task rather than filling memory. */
export const HTTP_MAX_RESPONSE_BYTES = 1_048_576;
export const HTTP_DEFAULT_TIMEOUT_MS = 30_000;

export type BuiltinService = (task: ServiceTaskMessage) => Promise<unknown>;

/** `echo`: the result is the condition, unchanged. */
async function echo(task: ServiceTaskMessage): Promise<unknown> {
  return task.condition;
}

interface HttpCondition {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  timeout_ms: number;
}

function parseHttpCondition(condition: unknown): HttpCondition {
  const c = (condition ?? {}) as Record<string, unknown>;
  const bad = (why: string) => ApplicationFailure.nonRetryable(`http service: ${why}`, 'ServiceInputError');
  if (typeof c.url !== 'string') throw bad('condition.url is required');
  let url: URL;
  try {
    url = new URL(c.url);
  } catch {
    throw bad(`condition.url is not a URL: ${c.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('condition.url must be http(s)');
  const method = typeof c.method === 'string' ? c.method.toUpperCase() : 'GET';
  if (!/^[A-Z]+$/.test(method)) throw bad('condition.method is not a method');
  const headers: Record<string, string> = {};
  if (c.headers !== undefined) {
    if (typeof c.headers !== 'object' || c.headers === null || Array.isArray(c.headers)) throw bad('condition.headers must be an object');
    for (const [k, v] of Object.entries(c.headers)) headers[k] = String(v);
  }
  const timeout = typeof c.timeout === 'number' && c.timeout > 0 ? Math.min(c.timeout * 1000, 600_000) : HTTP_DEFAULT_TIMEOUT_MS;
  return { url: url.toString(), method, headers, body: c.body, timeout_ms: timeout };
}

async function readBounded(res: Response, limit: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw ApplicationFailure.nonRetryable(`http service: response larger than ${limit} bytes`, 'ResponseTooLarge');
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/**
 * `http`: condition `{url, method = GET, headers, body, timeout (s)}`; the result is `{status, headers, body}`
 * (body parsed as JSON when the response says so). A non-2xx answer is a result, not a failure: the caller
 * decides what it means. Network errors and timeouts fail the attempt (retried by the workflow's policy).
 */
async function http(task: ServiceTaskMessage): Promise<unknown> {
  const c = parseHttpCondition(task.condition);
  const signal = AbortSignal.any([AbortSignal.timeout(c.timeout_ms), Context.current().cancellationSignal]);
  const hasBody = c.body !== undefined && c.method !== 'GET' && c.method !== 'HEAD';
  const headers = { ...c.headers };
  if (hasBody && typeof c.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(c.url, {
    method: c.method,
    headers,
    body: hasBody ? (typeof c.body === 'string' ? c.body : JSON.stringify(c.body)) : undefined,
    signal,
    redirect: 'follow',
  });
  const raw = await readBounded(res, HTTP_MAX_RESPONSE_BYTES);
  const text = raw.toString('utf8');
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body };
}

/** The services Switchyard ships; a worker serves `service.<name>` for each one the configuration lists. */
export const BUILTIN_SERVICES: Record<string, BuiltinService> = { echo, http } satisfies Record<BuiltinServiceName, BuiltinService>;

const BUILTIN_HEARTBEAT_EVERY_MS = 2000;

/** A built-in service that heartbeats while it runs, so a worker that dies mid-attempt is noticed in seconds. */
export function heartbeating(run: BuiltinService): BuiltinService {
  return async (task) => {
    const ctx = Context.current();
    ctx.heartbeat();
    const beat = setInterval(() => ctx.heartbeat(), BUILTIN_HEARTBEAT_EVERY_MS);
    try {
      return await run(task);
    } finally {
      clearInterval(beat);
    }
  };
}
