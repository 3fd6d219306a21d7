import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging.js';
import type { Readiness } from './readiness.js';

export const LIVEZ_PATH = '/livez';
export const READYZ_PATH = '/readyz';

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * `/livez` (the process runs and its event loop turns: answering is the proof) and `/readyz` (200 only while the
 * process is whole, its dependencies answer and it is not draining; 503 otherwise). Unauthenticated, so each says
 * its state and nothing else.
 */
export function createProbeRoutes(readiness: Readiness): Hono {
  const app = new Hono();
  app.get(LIVEZ_PATH, (c) => c.json({ status: 'live' }, 200, NO_STORE));
  app.get(READYZ_PATH, async (c) => {
    const state = await readiness.state();
    return c.json({ status: state }, state === 'ready' ? 200 : 503, NO_STORE);
  });
  return app;
}

export interface ProbeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A port that cannot be bound (taken, or an address this host lacks): start-up stops with this one line. */
export class ListenError extends Error {
  constructor(host: string, port: number, keys: string, cause: Error) {
    super(`cannot listen on ${host}:${port} (${keys}): ${(cause as NodeJS.ErrnoException).code ?? cause.message}`);
    this.name = 'ListenError';
  }
}

/**
 * The worker's own small HTTP port: the two probes and `/metrics` (the worker process's Prometheus registry).
 * Port 0 picks a free one; the address is logged either way.
 */
export async function startProbeServer(opts: {
  host: string;
  port: number;
  readiness: Readiness;
  registry: Registry;
  /** More Prometheus text served after the registry's (the Temporal SDK's own exporter). */
  extraMetrics?: () => Promise<string>;
  logger: Logger;
}): Promise<ProbeServer> {
  const app = createProbeRoutes(opts.readiness);
  app.get('/metrics', async (c) => {
    const [own, extra] = await Promise.all([opts.registry.metrics(), opts.extraMetrics?.() ?? '']);
    return c.text(extra ? `${own}\n${extra}` : own, 200, { 'content-type': opts.registry.contentType });
  });
  app.notFound((c) => c.json({ status: 'not found' }, 404));
  app.onError((_e, c) => c.json({ status: 'error' }, 500));
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s));
    s.once('error', (e) => reject(new ListenError(opts.host, opts.port, 'WORKER_HTTP_HOST, WORKER_HTTP_PORT', e)));
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  opts.logger.info({ url }, `worker probes listening on ${url} (/livez, /readyz, /metrics)`);
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      })),
  };
}
