import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import type { ErrorShaper } from './errors.js';
import type { AppEnv } from './context.js';

/** One documented HTTP dialect: the paths it owns, its sub-app and how its errors look. */
export interface Dialect {
  name: string;
  title: string;
  /** Path prefixes this dialect answers; the longest matching prefix wins for error shaping. */
  prefixes: string[];
  /** Mounted at `/`: sub-apps register their own full paths so prefixes can overlap (`/api/v1` vs `/api/*`). */
  app: OpenAPIHono<AppEnv> | Hono<AppEnv>;
  shapeError: ErrorShaper;
  /** Where its OpenAPI 3.1 document is served, when it has one. */
  openapiPath?: string;
}

export function dialectForPath(dialects: Dialect[], path: string): Dialect | undefined {
  let best: { d: Dialect; len: number } | undefined;
  for (const d of dialects) {
    for (const p of d.prefixes) {
      const matches = p.endsWith('/') ? path.startsWith(p) : path === p || path.startsWith(`${p}/`);
      if (matches && (!best || p.length > best.len)) best = { d, len: p.length };
    }
  }
  return best?.d;
}
