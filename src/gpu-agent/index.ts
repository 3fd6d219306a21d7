import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from '../logging.js';

export interface GpuAgentOptions {
  /** Base URL of the Switchyard API, e.g. http://127.0.0.1:9000 */
  api: string;
  apiKey: string;
  gpuId: string;
  hostname?: string;
  /** Address the API reaches this agent at (registered as `ip`). */
  advertiseIp: string;
  /** Address the agent's HTTP server binds. */
  bindHost: string;
  /** 0 picks a free port. */
  port: number;
  taskTypes: number[];
  priorityClass: 'NORMAL' | 'VIP';
  maxConcurrentTasks: number;
  /** Shell command run per task; the payload arrives on stdin; `PROGRESS <0-100>` lines on stdout report progress. */
  command: string;
  heartbeatSeconds: number;
  version: string;
  /** Used when nvidia-smi is absent. */
  gpuModel?: string;
  memory?: string;
  cudaVersion?: string;
  logger: Logger;
}

export interface GpuAgent {
  port: number;
  url: string;
  running(): string[];
  stop(): Promise<void>;
}

interface NodeTask {
  taskId: string;
  taskType: number;
  priority: number;
  payload: string;
  timeout: number;
}

/** GPU model, memory and CUDA version from `nvidia-smi`, or null when it is not there. */
export function readNvidiaSmi(): { gpuModel: string; memory: string; cudaVersion: string } | null {
  const q = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000 });
  if (q.status !== 0 || !q.stdout.trim()) return null;
  const [name, memory] = q.stdout.trim().split('\n')[0]!.split(',').map((s) => s.trim());
  const header = spawnSync('nvidia-smi', [], { encoding: 'utf8', timeout: 5000 });
  const cuda = /CUDA Version:\s*([\d.]+)/.exec(header.stdout ?? '')?.[1] ?? 'unknown';
  return { gpuModel: name ?? 'unknown', memory: memory ?? 'unknown', cudaVersion: cuda };
}

/**
 * The reference GPU node agent: registers with the API, heartbeats, accepts `POST /tasks` up to its capacity,
 * runs the configured command per task (payload on stdin), reports PROCESSING with progress and the result
 * through /api/v2/tasks/{id}/status and /result, stops a task on `DELETE /tasks/{id}`, deregisters on stop.
 */
export async function startGpuAgent(opts: GpuAgentOptions): Promise<GpuAgent> {
  const log = opts.logger.child({ gpuId: opts.gpuId });
  const children = new Map<string, ChildProcess>();
  const cancelled = new Set<string>();
  const hw = readNvidiaSmi() ?? { gpuModel: opts.gpuModel ?? 'unknown', memory: opts.memory ?? 'unknown', cudaVersion: opts.cudaVersion ?? 'unknown' };

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: { code?: number; message?: string } }> => {
    const res = await fetch(`${opts.api}/api/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, json: (await res.json().catch(() => ({}))) as { code?: number; message?: string } };
  };
  /** Reports must arrive: retried with backoff (not for a 4xx, which will not change). */
  const report = async (path: string, body: unknown): Promise<void> => {
    for (let attempt = 0, wait = 200; attempt < 8; attempt++, wait = Math.min(5000, wait * 2)) {
      try {
        const r = await call('POST', path, body);
        if (r.status < 500) {
          if (r.status >= 400) log.warn({ path, status: r.status, message: r.json.message }, 'report refused');
          return;
        }
      } catch (e) {
        log.warn({ path, err: (e as Error).message }, 'report failed, retrying');
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  };

  const run = (t: NodeTask) => {
    const child = spawn('sh', ['-c', opts.command], {
      // The task's environment holds nothing of the agent's own (no API key).
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', TASK_ID: t.taskId, TASK_TYPE: String(t.taskType), TASK_PRIORITY: String(t.priority), GPU_ID: opts.gpuId },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.set(t.taskId, child);
    const out: string[] = [];
    let err = '';
    let buf = '';
    let lastProgress = -1;
    let chain = report(`/tasks/${t.taskId}/status`, { status: 'PROCESSING', gpuId: opts.gpuId, progress: 0, message: 'started' });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^PROGRESS\s+(\d+(?:\.\d+)?)\s*$/.exec(line.trim());
        if (m) {
          const p = Math.max(0, Math.min(100, Number(m[1])));
          if (p !== lastProgress) {
            lastProgress = p;
            chain = chain.then(() => report(`/tasks/${t.taskId}/status`, { status: 'PROCESSING', gpuId: opts.gpuId, progress: p }));
          }
        } else out.push(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1000, t.timeout));
    child.stdin.on('error', () => undefined);
    child.stdin.end(t.payload);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(t.taskId);
      if (buf) out.push(buf);
      if (cancelled.delete(t.taskId)) return;
      chain = chain.then(() =>
        code === 0
          ? report(`/tasks/${t.taskId}/result`, { result: out.join('\n').trim(), gpuId: opts.gpuId })
          : report(`/tasks/${t.taskId}/status`, { status: 'FAILED', gpuId: opts.gpuId, message: `command exited ${code ?? signal}: ${err.trim().slice(-500)}` }),
      );
    });
  };

  const app = new Hono();
  app.post('/tasks', async (c) => {
    const t = (await c.req.json().catch(() => null)) as NodeTask | null;
    if (!t || typeof t.taskId !== 'string') return c.json({ error: 'taskId required' }, 400);
    if (children.has(t.taskId)) return c.json({ accepted: true, duplicate: true }, 200);
    if (children.size >= opts.maxConcurrentTasks) return c.json({ error: 'at capacity' }, 429);
    run({ taskId: t.taskId, taskType: Number(t.taskType), priority: Number(t.priority ?? 0), payload: typeof t.payload === 'string' ? t.payload : JSON.stringify(t.payload ?? ''), timeout: Number(t.timeout) || 3_600_000 });
    return c.json({ accepted: true }, 202);
  });
  app.delete('/tasks/:id', (c) => {
    const id = c.req.param('id');
    const child = children.get(id);
    if (!child) return c.json({ found: false }, 404);
    cancelled.add(id);
    child.kill('SIGTERM');
    return c.json({ cancelled: true }, 200);
  });
  app.get('/health', (c) => c.json({ gpuId: opts.gpuId, running: [...children.keys()], capacity: opts.maxConcurrentTasks }));

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.bindHost, port: opts.port }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;

  const register = async () => {
    const r = await call('POST', '/gpus/register', {
      gpuId: opts.gpuId,
      hostname: opts.hostname ?? osHostname(),
      ip: opts.advertiseIp,
      port,
      supportedTaskTypes: opts.taskTypes,
      supportedTaskPriority: opts.priorityClass,
      version: opts.version,
      maxConcurrentTasks: opts.maxConcurrentTasks,
      metadata: hw,
    });
    if (r.status !== 200) throw new Error(`registration refused: HTTP ${r.status} ${r.json.message ?? ''}`);
  };
  await register();
  log.info({ port, api: opts.api }, 'GPU agent registered');

  const beat = setInterval(() => {
    void call('POST', `/gpus/${opts.gpuId}/heartbeat`)
      .then((r) => (r.status === 404 ? register() : undefined))
      .catch((e: unknown) => log.warn({ err: (e as Error).message }, 'heartbeat failed'));
  }, opts.heartbeatSeconds * 1000);

  let stopping: Promise<void> | null = null;
  return {
    port,
    url: `http://${opts.advertiseIp}:${port}`,
    running: () => [...children.keys()],
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(beat);
        await call('DELETE', `/gpus/${opts.gpuId}`).catch(() => undefined);
        for (const [id, child] of children) {
          cancelled.add(id);
          child.kill('SIGTERM');
        }
        await new Promise<void>((r) => server.close(() => r()));
        log.info('GPU agent deregistered and stopped');
      })()),
  };
}
