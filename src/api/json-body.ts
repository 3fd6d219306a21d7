import type { Context } from 'hono';
import type { z, ZodType } from 'zod';
import { BadRequestError, validationError, type ApiError } from './errors.js';

export interface JsonBodyErrors {
  /** The body is not JSON at all. */
  invalidJson?: () => ApiError;
  /** The body is JSON but does not fit the schema. */
  invalidShape?: (error: z.ZodError) => ApiError;
}

/**
 * Reads a JSON body whatever its Content-Type says (the documents' clients send plain JSON without one) and
 * validates it; an empty body is `{}`. Each dialect may word its own errors.
 */
export async function readJsonBody<T extends ZodType>(c: Context, schema: T, errors: JsonBodyErrors = {}): Promise<z.infer<T>> {
  const text = await c.req.text();
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw errors.invalidJson?.() ?? new BadRequestError('Invalid parameter: the body is not valid JSON', [{ field: '(body)', message: 'the body is not valid JSON' }]);
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw errors.invalidShape?.(parsed.error) ?? validationError(parsed.error);
  return parsed.data as z.infer<T>;
}
