import type { z } from '@hono/zod-openapi';
import * as S from './schemas.js';

/** What every GPU route shares: its base path, security, envelope and documented answers. */

export const BASE = '/api/v2';
export const SECURITY: Record<string, string[]>[] = [{ BearerKey: [] }, { ApiKeyHeader: [] }];

export const ok = <T>(data: T) => ({ code: 200, message: 'success', data });

export function responses<T extends z.ZodTypeAny>(data: T, description = 'success') {
  const err = (d: string) => ({ description: d, content: { 'application/json': { schema: S.ErrorEnvelope } } });
  return {
    200: { description, content: { 'application/json': { schema: S.envelope(data) } } },
    400: err('Invalid request: the message names the field'),
    401: err('Missing or wrong API key'),
    404: err('Unknown id'),
  };
}

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

export function route<M extends 'get' | 'post' | 'delete', P extends string>(method: M, path: P, summary: string, tag: string) {
  return { method, path: `${BASE}${path}` as `/api/v2${P}`, summary, tags: [tag], security: SECURITY };
}
