import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AesGcmCodec } from '../temporal/codec.js';
import { maskDecodedPayloads } from '../temporal/codec-masking.js';
import type { AppEnv } from './context.js';
import { BadRequestError, toApiError, UnauthorizedError, type ApiError, type ErrorShaper } from './errors.js';

export const CODEC_COOKIE = 'switchyard_codec';

export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers so the time taken says nothing about how much of the secret matched.
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

const payloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).optional().default({}),
  data: z.string().optional().default(''),
});
const bodySchema = z.object({ payloads: z.array(payloadSchema).max(10_000) });

type JsonPayload = z.infer<typeof payloadSchema>;

function fromJson(p: JsonPayload) {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data, 'base64'),
  };
}

function toJson(p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/**
 * The codec server the Temporal UI and `temporal --codec-endpoint` call (`POST /codec/decode`, `/codec/encode`).
 * Only an operator holding CODEC_OPERATOR_TOKEN gets plaintext: as `Authorization: Bearer …` (CLI
 * `--codec-auth`, UI "pass access token") or as the cookie set by `POST /codec/session` (UI "include credentials").
 */
export function createCodecEndpoint(opts: { codec: AesGcmCodec; operatorToken: string; uiOrigins: readonly string[] }) {
  const app = new Hono<AppEnv>();
  const origins = new Set(opts.uiOrigins);

  app.use('/codec/*', async (c, next) => {
    const origin = c.req.header('origin');
    if (origin && origins.has(origin)) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Allow-Credentials', 'true');
      c.header('Vary', 'Origin');
    }
    if (c.req.method === 'OPTIONS') {
      if (!origin || !origins.has(origin)) return c.body(null, 403);
      c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      c.header('Access-Control-Allow-Headers', 'x-namespace, content-type, authorization');
      c.header('Access-Control-Max-Age', '600');
      return c.body(null, 204);
    }
    await next();
  });

  const authorised = (authorization: string | undefined, cookie: string | undefined): boolean => {
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    return (bearer !== undefined && safeEqual(bearer, opts.operatorToken)) || (cookie !== undefined && safeEqual(cookie, opts.operatorToken));
  };

  const handle = (op: 'encode' | 'decode') =>
    app.post(`/codec/${op}`, async (c) => {
      if (!authorised(c.req.header('authorization'), getCookie(c, CODEC_COOKIE))) throw new UnauthorizedError('codec access needs the operator token');
      const raw = await c.req.json().catch(() => {
        throw new BadRequestError('body must be JSON: {"payloads": [...]}');
      });
      const parsed = bodySchema.safeParse(raw);
      if (!parsed.success) throw new BadRequestError('body must be {"payloads": [{"metadata": {…base64…}, "data": "base64"}]}');
      const input = parsed.data.payloads.map(fromJson);
      try {
        // What a person sees is masked: credentials are for workers only (src/temporal/codec-masking.ts).
        const out = op === 'decode' ? maskDecodedPayloads(await opts.codec.decode(input)) : await opts.codec.encode(input);
        return c.json({ payloads: out.map(toJson) });
      } catch (e) {
        throw new BadRequestError(`cannot ${op}: ${(e as Error).message}`);
      }
    });
  handle('decode');
  handle('encode');

  // The operator's sign-in page: a form posting the token to /codec/session, which sets the cookie the Temporal UI
  // sends along ("Include cross-origin credentials"). Open it on the same host name as the UI (127.0.0.1 both).
  app.get('/codec/session', (c) =>
    c.html(
      '<!doctype html><meta charset="utf-8"><title>Switchyard codec sign-in</title>' +
        '<form method="post" action="/codec/session"><label>Operator token (CODEC_OPERATOR_TOKEN) ' +
        '<input type="password" name="token" autocomplete="current-password" required></label> <button>Sign in</button></form>',
      200,
      { 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; form-action 'self'" },
    ),
  );

  app.post('/codec/session', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.token === 'string' ? form.token : '';
    if (!safeEqual(token, opts.operatorToken)) throw new UnauthorizedError('wrong operator token');
    setCookie(c, CODEC_COOKIE, token, { httpOnly: true, sameSite: 'Lax', path: '/codec', maxAge: 8 * 3600 });
    return c.json({ ok: true });
  });

  app.onError((e, c) => codecErrorShaper(toApiError(e), c));
  return app;
}

export const codecErrorShaper: ErrorShaper = (error: ApiError, c) => c.json({ error: error.message }, error.status as 400);
