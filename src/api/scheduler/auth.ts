import type { MiddlewareHandler } from 'hono';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ApiError } from '../errors.js';
import type { AppEnv } from '../context.js';

export interface SchedulerUser {
  sub: string;
  role: 'admin' | 'user';
}

export type SchedulerEnv = AppEnv & { Variables: AppEnv['Variables'] & { user: SchedulerUser } };

export const UNAUTHORIZED_MESSAGE = '未认证或token无效';

function unauthorized(reason: string): ApiError {
  return new ApiError(401, UNAUTHORIZED_MESSAGE, [{ field: 'Authorization', message: reason }]);
}

/** Verifies `Authorization: Bearer <JWT>` (HS256; `sub` = user, `role` = admin | user, `exp` checked). */
export async function verifySchedulerToken(header: string | undefined, secret: Uint8Array): Promise<SchedulerUser> {
  if (!header) throw unauthorized('Authorization header missing');
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m) throw unauthorized('expected `Authorization: Bearer <JWT>`');
  try {
    const { payload } = await jwtVerify(m[1]!, secret, { algorithms: ['HS256'] });
    if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('token has no `sub`');
    const role = payload.role ?? 'user';
    if (role !== 'admin' && role !== 'user') throw unauthorized('`role` must be admin or user');
    return { sub: payload.sub, role };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof joseErrors.JWTExpired) throw unauthorized('token expired');
    throw unauthorized('token invalid');
  }
}

export function schedulerAuth(secret: string): MiddlewareHandler<SchedulerEnv> {
  const key = new TextEncoder().encode(secret);
  return async (c, next) => {
    c.set('user', await verifySchedulerToken(c.req.header('authorization'), key));
    await next();
  };
}

/** Mints a scheduler JWT (dev tooling and tests). */
export async function mintSchedulerToken(secret: string, sub: string, role: 'admin' | 'user' = 'user', expiresIn = '12h'): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
