import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
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
