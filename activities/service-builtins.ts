import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Response } from 'undici';
import type { Config } from '../src/config/index.js';
import { outboundFor, OutboundRefusedError } from '../src/net/outbound.js';
import type { BuiltinServiceName, ServiceTaskMessage } from '../src/service-tasks/contract.js';
import { HttpConditionError, parseHttpCondition } from '../src/service-tasks/http-condition.js';

/** Largest response body the `http` service keeps; more fails the task rather than filling memory. */
export const HTTP_MAX_RESPONSE_BYTES = 1_048_576;

export type BuiltinService = (task: ServiceTaskMessage, config: Config) => Promise<unknown>;

/** `echo`: the result is the condition, unchanged. */
async function echo(task: ServiceTaskMessage): Promise<unknown> {
  return task.condition;
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
async function http(task: ServiceTaskMessage, config: Config): Promise<unknown> {
  let c;
  try {
    c = parseHttpCondition(config, task.condition);
  } catch (e) {
    if (e instanceof HttpConditionError) throw ApplicationFailure.nonRetryable(`http service: ${e.message}`, e.outboundRefused ? 'OutboundRefused' : 'ServiceInputError');
    throw e;
  }
  const signal = AbortSignal.any([AbortSignal.timeout(c.timeout_ms), Context.current().cancellationSignal]);
  const hasBody = c.body !== undefined && c.method !== 'GET' && c.method !== 'HEAD';
  const headers = { ...c.headers };
  if (hasBody && typeof c.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    // Through the outbound policy: every address and every redirect is checked (src/net/outbound.ts).
    res = await outboundFor(config).fetch(c.url, {
      method: c.method,
      headers,
      body: hasBody ? (typeof c.body === 'string' ? c.body : JSON.stringify(c.body)) : undefined,
      signal,
    });
  } catch (e) {
    if (e instanceof OutboundRefusedError) throw ApplicationFailure.nonRetryable(`http service: ${e.message}`, 'OutboundRefused');
    throw e;
  }
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
export function heartbeating(run: BuiltinService, config: Config): (task: ServiceTaskMessage) => Promise<unknown> {
  return async (task) => {
    const ctx = Context.current();
    ctx.heartbeat();
    const beat = setInterval(() => ctx.heartbeat(), BUILTIN_HEARTBEAT_EVERY_MS);
    try {
      return await run(task, config);
    } finally {
      clearInterval(beat);
    }
  };
}
