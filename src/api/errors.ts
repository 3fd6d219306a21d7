import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { fieldProblemsFromZod, type FieldProblem } from '../domain/field-problems.js';
import { isInvalidDocumentError, isUnavailableError } from '../store/errors.js';

export { fieldProblemsFromZod, type FieldProblem };

/**
 * The one error type handlers throw. `onError` turns it into the envelope of the dialect that owns the path;
 * no handler writes an error response of its own.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: FieldProblem[] = [],
    /** Dialect-specific code (e.g. a business code) when it differs from the HTTP status. */
    readonly code?: number | string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string, fields: FieldProblem[] = []) {
    super(400, message, fields);
    this.name = 'BadRequestError';
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Unauthorized') {
    super(401, message);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'Forbidden') {
    super(403, message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends ApiError {
  constructor(message = 'Not found') {
    super(404, message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, fields: FieldProblem[] = []) {
    super(409, message, fields);
    this.name = 'ConflictError';
  }
}

export class UnavailableError extends ApiError {
  constructor(message: string) {
    super(503, message);
    this.name = 'UnavailableError';
  }
}

export function validationError(error: ZodError): BadRequestError {
  const fields = fieldProblemsFromZod(error);
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return new BadRequestError(`Invalid parameter: ${summary}`, fields);
}

/** Shapes an ApiError into a dialect's own envelope. */
export type ErrorShaper = (error: ApiError, c: Context) => Response;

/** The envelope shared by the device and GPU dialects: `{code, message, data: null}` with the HTTP status. */
export const codeMessageDataShaper: ErrorShaper = (error, c) =>
  c.json({ code: error.status, message: error.message, data: error.fields.length > 0 ? { errors: error.fields } : null }, error.status as 400);

/** Turns anything a handler threw into an ApiError; unknown errors become a 500 that reveals nothing. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ZodError) return validationError(e);
  if (e instanceof HTTPException) return new ApiError(e.status, e.message || 'Bad request');
  if (e instanceof SyntaxError) return new ApiError(400, 'Invalid JSON body');
  if (isUnavailableError(e)) return new ApiError(503, 'Database unavailable, try again shortly');
  if (isInvalidDocumentError(e)) return new ApiError(400, 'Invalid parameter: a value cannot be stored (nested arrays, or field names starting with $ or holding a dot)');
  const temporal = temporalRetryLater(e);
  if (temporal) return new ApiError(503, temporal);
  if ((e as Error | null)?.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') {
    return new ApiError(503, 'No worker answered in time, try again shortly');
  }
  return new ApiError(500, 'Internal server error');
}

/** gRPC status codes the Temporal client passes on (ServiceError, the status on it or on its cause). */
const GRPC = { DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/**
 * What a Temporal client error means for the caller when it is "try again shortly": the 503 message, else null.
 * - UNAVAILABLE, DEADLINE_EXCEEDED: the engine is away or slow.
 * - RESOURCE_EXHAUSTED: the engine is busy (rate limits, too many Updates in flight on one workflow).
 * - FAILED_PRECONDITION "workflow task failure" (the server's WorkflowNotReady): an Update whose workflow task
 *   failed before the Update was accepted, as happens when the worker running it stops (a rolling restart). The
 *   Update was not applied; sent again it reaches the next worker. Any other FAILED_PRECONDITION stays a 500.
 */
export function temporalRetryLater(e: unknown): string | null {
  if ((e as Error | null)?.name !== 'ServiceError') return null;
  const own = e as { code?: unknown; details?: unknown; message?: unknown; cause?: { code?: unknown; details?: unknown; message?: unknown } };
  const status = typeof own.code === 'number' ? own : own.cause;
  if (!status) return null;
  if (status.code === GRPC.UNAVAILABLE || status.code === GRPC.DEADLINE_EXCEEDED) return 'Workflow engine unavailable, try again shortly';
  if (status.code === GRPC.RESOURCE_EXHAUSTED) return 'Workflow engine busy, try again shortly';
  const text = `${String(status.details ?? '')} ${String(status.message ?? '')}`;
  if (status.code === GRPC.FAILED_PRECONDITION && /workflow task failure/i.test(text)) return 'No worker could take the request just now (a worker restarted), try again shortly';
  return null;
}

