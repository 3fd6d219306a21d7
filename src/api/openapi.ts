import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodError, ZodType } from 'zod';
import type { AppEnv } from './context.js';
import { validationError, type ApiError } from './errors.js';

/**
 * A dialect sub-app whose request validation failures go through the one error path. `invalid` words them for
 * the dialect (its one default hook); the default is the shared `Invalid parameter: …` error.
 */
export function createDialectApp(invalid: (error: ZodError) => ApiError = validationError): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalid(result.error);
    },
  });
}

/**
 * A JSON request body documented by reference to a schema registered under `name`, for dialects that read their
 * bodies themselves, whatever the Content-Type says (the documents' clients send JSON without one): a zod schema
 * in the route itself would have the route answer 415 to such a body before the handler reads it.
 */
export function bodyByReference(app: OpenAPIHono<AppEnv>, name: string, schema: ZodType) {
  app.openAPIRegistry.register(name, schema);
  return { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } };
}
