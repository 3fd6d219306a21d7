import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';
import { BadRequestError } from './errors.js';

/** Deeper than any body of the four contracts nests; deep enough for free-form `condition`/`payload` objects. */
export const MAX_JSON_DEPTH = 64;

/** How deeply a JSON text nests arrays and objects, counted without parsing it (brackets inside strings are text). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) max = Math.max(max, ++depth);
    else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return max;
}

/** Methods whose requests may carry a body; the others are not read or measured. */
export const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Refuses, before any handler sees them, bodies that are not UTF-8 and JSON bodies nested deeper than
 * `MAX_JSON_DEPTH`: the first would be silently turned into U+FFFD characters, the second overflows the stack of
 * the recursive code a parsed body meets later (validation, BSON, the payload codec) and would answer 500.
 * Hono keeps the bytes read here, so handlers read the same body again.
 */
export function bodyGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!BODY_METHODS.has(c.req.method) || c.req.raw.body === null) return next();
    const bytes = await c.req.arrayBuffer();
    if (bytes.byteLength === 0) return next();
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new BadRequestError('Invalid parameter: the request body is not valid UTF-8', [{ field: '(body)', message: 'the request body is not valid UTF-8' }]);
    }
    const start = text.trimStart()[0];
    if ((start === '{' || start === '[') && jsonDepth(text) > MAX_JSON_DEPTH) {
      throw new BadRequestError(`Invalid parameter: the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`, [
        { field: '(body)', message: `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels` },
      ]);
    }
    return next();
  };
}
