import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedTask {
  taskId: string;
  taskType: number;
  priority: number;
  payload: string;
  timeout: number;
  at: number;
}

export interface FakeNodeOptions {
  api: string;
  key: string;
  gpuId: string;
  taskTypes: number[];
  capacity: number;
  priorityClass?: 'NORMAL' | 'VIP';
  /** Answer POST /tasks with this status (default 202). */
  answer?: number;
  /** Report PROCESSING then the result after this many ms; null: the test reports by hand. */
  completeAfterMs?: number | null;
  /** Send heartbeats every this many ms (default 1000); 0: silent. */
  heartbeatMs?: number;
  /**
   * How many times a result report is retried while the API answers 5xx or not at all (default 0). Only a test
   * that takes the API or its stores away sets it (the fault suite): retrying by default would hide a real 500.
   */
  reportAttempts?: number;
}

/** A GPU node on loopback that speaks DESIGN.md's node protocol and records what it received. */
export class FakeGpuNode {
  readonly received: ReceivedTask[] = [];
  readonly cancelled: string[] = [];
  /** When the node was done with each task it ran (its slot free on the node's side from then on). */
  readonly finished: Array<{ taskId: string; at: number }> = [];
  running = new Set<string>();
  maxRunning = 0;
  /** Result reports the API answered with a 5xx (none is retried away unless `reportAttempts` says so). */
  readonly reportFailures: Array<{ taskId: string; code: number; message: string }> = [];
  port = 0;
  answer: number;
  private server!: Server;
  private beat: NodeJS.Timeout | null = null;

  constructor(readonly opts: FakeNodeOptions) {
    this.answer = opts.answer ?? 202;
  }

  async start(register = true): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/tasks') {
          const t = JSON.parse(body) as ReceivedTask;
          this.received.push({ ...t, at: Date.now() });
          if (this.answer >= 300) {
            res.writeHead(this.answer).end('refused');
            return;
          }
          if (!this.running.has(t.taskId)) {
            this.running.add(t.taskId);
            this.maxRunning = Math.max(this.maxRunning, this.running.size);
            if (this.opts.completeAfterMs !== null && this.opts.completeAfterMs !== undefined) {
              const ms = this.opts.completeAfterMs;
              setTimeout(() => {
                this.complete(t.taskId, { done: t.taskId, by: this.opts.gpuId }).catch((e: unknown) => this.reportFailures.push({ taskId: t.taskId, code: 0, message: (e as Error).message }));
              }, ms);
            }
          }
          res.writeHead(this.answer, { 'content-type': 'application/json' }).end('{"accepted":true}');
        } else if (req.method === 'DELETE' && req.url?.startsWith('/tasks/')) {
          const id = decodeURIComponent(req.url.slice('/tasks/'.length));
          this.cancelled.push(id);
          this.running.delete(id);
          res.writeHead(200).end('{}');
        } else {
          res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    if (register) await this.register();
    const every = this.opts.heartbeatMs ?? 1000;
    if (every > 0) this.beat = setInterval(() => void this.call('POST', `/gpus/${this.opts.gpuId}/heartbeat`).catch(() => undefined), every);
    return this;
  }

  async register(): Promise<void> {
    const r = await this.call('POST', '/gpus/register', {
      gpuId: this.opts.gpuId,
      hostname: `host-${this.opts.gpuId}`,
      ip: '127.0.0.1',
      port: this.port,
      supportedTaskTypes: this.opts.taskTypes,
      supportedTaskPriority: this.opts.priorityClass ?? 'NORMAL',
      version: 'fake-1',
      maxConcurrentTasks: this.opts.capacity,
      metadata: { gpuModel: 'FakeGPU', memory: '1GB', cudaVersion: '0.0' },
    });
    if (r.code !== 200) throw new Error(`register failed: ${JSON.stringify(r)}`);
  }

  stopHeartbeats(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
  }

  async complete(taskId: string, result: unknown): Promise<{ code: number }> {
    await this.call('POST', `/tasks/${taskId}/status`, { status: 'PROCESSING', gpuId: this.opts.gpuId, progress: 50 }).catch(() => undefined);
    // The node is done with it once it reports the result: the slot may be reused from then on.
    if (this.running.delete(taskId)) this.finished.push({ taskId, at: Date.now() });
    // Retried only when asked (a test that takes the API or its stores away), like a real agent would.
    const attempts = this.opts.reportAttempts ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.call('POST', `/tasks/${taskId}/result`, { result: JSON.stringify(result), gpuId: this.opts.gpuId });
        if (r.code < 500 || attempt >= attempts) {
          if (r.code >= 500) this.reportFailures.push({ taskId, code: r.code, message: r.message });
          return r;
        }
      } catch (e) {
        if (attempt >= attempts) throw e;
      }
      await new Promise((r) => setTimeout(r, Math.min(3000, 300 * (attempt + 1))));
    }
  }

  async call(method: string, path: string, body?: unknown): Promise<{ code: number; message: string; data: unknown }> {
    const res = await fetch(`${this.opts.api}/api/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${this.opts.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    try {
      return JSON.parse(text) as { code: number; message: string; data: unknown };
    } catch {
      // Not the envelope (a proxy, a crashed handler): the HTTP status is the answer.
      return { code: res.status, message: text.slice(0, 200), data: null };
    }
  }

  async stop(): Promise<void> {
    this.stopHeartbeats();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
