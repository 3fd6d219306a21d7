import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';
import type { AppEnv } from './context.js';
import type { Dialect } from './dialect.js';

const require = createRequire(import.meta.url);
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/**
 * `/docs`: an interactive reference of every dialect's OpenAPI document. Swagger UI's assets are served from
 * the installed package, so the page works where no CDN is reachable.
 */
export function createDocsApp(dialects: Dialect[], more: { url: string; name: string }[] = []) {
  const app = new Hono<AppEnv>();
  const urls = [...dialects.filter((d) => d.openapiPath).map((d) => ({ url: d.openapiPath!, name: d.title })), ...more];

  app.get('/docs/vendor/swagger-ui-dist/:file', async (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) return c.notFound();
    const body = await readFile(join(SWAGGER_DIR, file));
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
  app.get('/docs', swaggerUI({ urls, baseUrl: '/docs/vendor', title: 'Switchyard API' }));
  app.get('/openapi', (c) => c.json({ documents: urls }));
  return app;
}
