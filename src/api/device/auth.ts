import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { safeEqual } from '../codec-endpoint.js';
import type { AppEnv } from '../context.js';
import { UnauthorizedError } from '../errors.js';

/** NetPulse accepts the key as the `X-API-KEY` header, the `x-api-key` query parameter or a cookie. */
export function deviceApiKeyAuth(apiKey: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header('x-api-key') ?? c.req.query('x-api-key') ?? getCookie(c, 'x-api-key') ?? getCookie(c, 'X-API-KEY');
    if (!given) throw new UnauthorizedError('Not authenticated: X-API-KEY missing');
    if (!safeEqual(given, apiKey)) throw new UnauthorizedError('Invalid API key');
    await next();
  };
}
