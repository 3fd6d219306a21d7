import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { safeEqual } from '../../src/api/codec-endpoint.js';

// BENCH_API_KEY=<key> node --import tsx bench/lib/bare-hono.ts <body file>
// This machine's floor for an authenticated HTTP answer: a bare Hono app, alone in its process, answering GET /job
// with the file's bytes as JSON after the same X-API-KEY check the device dialect makes (the same constant-time
// comparison). Prints its port once it listens; stops on SIGTERM.
const body = readFileSync(process.argv[2]!, 'utf8');
const key = process.env.BENCH_API_KEY ?? '';
const app = new Hono().get('/job', (c) => {
  const given = c.req.header('x-api-key');
  if (!given || !safeEqual(given, key)) return c.json({ code: 401, message: 'Invalid API key', data: null }, 401);
  return c.body(body, 200, { 'content-type': 'application/json' });
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
