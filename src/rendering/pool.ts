import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { RenderReply, RenderRequest } from './render-worker.js';
import { TemplateError, TemplateLimitError, type RenderLimits } from './errors.js';

/**
 * Renders off the caller's event loop: one worker thread holds the warm sandbox and renders one template at a
 * time, in arrival order. The interrupt handler stops a template at its time limit; a render that still has not
 * answered after `WATCHDOG_FACTOR` times the limit plus `WATCHDOG_GRACE_MS` of wall clock (a long native step inside
 * QuickJS, such as a collection of a huge heap) loses its thread: the pool terminates it, fails that render with the time limit and starts a fresh thread.
 */

const WATCHDOG_GRACE_MS = 1000;
/**
 * The time limit may count the thread's CPU time (sandbox.ts), which on a busy machine passes slower than the wall
 * clock: the watchdog waits this many times the limit (plus the grace) before it takes the thread away.
 */
const WATCHDOG_FACTOR = 4;
/** Renders waiting beyond this many are refused at once (the caller gets a 400 naming the limit). */
const MAX_QUEUED = 256;
/** The render thread's own V8 heap: it holds only requests and replies (the sandbox's heap is WebAssembly memory). */
const THREAD_HEAP_MB = 64;

interface Pending {
  id: number;
  template: string;
  contextJson: string;
  resolve: (text: string) => void;
  reject: (e: Error) => void;
}

/**
 * The worker entry next to this module: `render-worker.js` when compiled; from the TypeScript sources (tsx, vitest)
 * a small bootstrap registers tsx's loader in the new thread first (loader hooks are not inherited by threads).
 */
function spawnRenderThread(options: WorkerOptions, otherEntry?: URL): Worker {
  if (otherEntry) return new Worker(otherEntry, options);
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./render-worker.js', import.meta.url), options);
  // tsx's ES module API (its `register()` installs the loader in the calling thread).
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./render-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

export class RenderPool {
  private worker: Worker | undefined;
  private ready = false;
  private current: Pending | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readyWaiters: Array<() => void> = [];

  /** Threads started so far (the first, and one after each overrun or crash). */
  threadsStarted = 0;

  /**
   * @param threadEntry another render-thread script speaking the same messages (tests use one that never answers,
   * to prove the watchdog); by default `render-worker`.
   */
  constructor(
    readonly limits: RenderLimits,
    private readonly threadEntry?: URL,
  ) {}

  render(template: string, context: Record<string, unknown>): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the render pool is closed'));
    if (this.queue.length >= MAX_QUEUED) {
      return Promise.reject(new TemplateLimitError('time', `the renderer is busy: ${MAX_QUEUED} templates are waiting; try again`));
    }
    const contextJson = JSON.stringify(context);
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, template, contextJson, resolve, reject });
      this.pump();
    });
  }

  /**
   * Starts the render thread now and resolves once it has loaded the engine (or could not start): the first
   * template then does not pay for the thread, the WebAssembly module and the engine (about a second on a busy
   * machine). The API calls it at start.
   */
  warm(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.ensureWorker();
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      this.readyWaiters.push(resolve);
      this.holdAlive();
    });
  }

  /**
   * The thread keeps the process alive only while something waits for it (a render, or a warm-up), like a socket
   * with a request in flight: an idle pool, never closed (the API's shared one), does not hold up the process's
   * exit. Set after every change of what waits (`pump` ends with it).
   */
  private holdAlive(): void {
    if (!this.worker) return;
    if (this.current || this.queue.length > 0 || this.readyWaiters.length > 0) this.worker.ref();
    else this.worker.unref();
  }

  /** Stops the thread; pending renders fail. */
  async close(): Promise<void> {
    this.closed = true;
    const failed = new Error('the render pool is closed');
    for (const p of this.queue.splice(0)) p.reject(failed);
    this.current?.reject(failed);
    this.current = undefined;
    clearTimeout(this.watchdog);
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  private pump(): void {
    this.send();
    this.holdAlive();
  }

  private send(): void {
    if (this.closed || this.current || this.queue.length === 0) return;
    const worker = this.ensureWorker();
    if (!this.ready) return; // the thread's "ready" message pumps again
    const next = this.queue.shift()!;
    this.current = next;
    this.watchdog = setTimeout(() => this.overrun(worker), this.limits.timeMs * WATCHDOG_FACTOR + WATCHDOG_GRACE_MS);
    worker.postMessage({ id: next.id, template: next.template, contextJson: next.contextJson } satisfies RenderRequest);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = spawnRenderThread({ workerData: this.limits, resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } }, this.threadEntry);
    this.threadsStarted++;
    this.worker = worker;
    this.ready = false;
    worker.on('message', (reply: RenderReply) => this.onReply(worker, reply));
    worker.on('error', (e) => this.onExit(worker, e));
    worker.on('exit', (code) => this.onExit(worker, new Error(`the render thread exited (${code})`)));
    // After the listeners: a 'message' listener refs the thread's port again, which would undo an unref() made
    // before it (and an idle thread would keep a process alive after its shutdown). `holdAlive` refs it while busy.
    worker.unref();
    return worker;
  }

  private onReply(worker: Worker, reply: RenderReply): void {
    if (worker !== this.worker) return;
    if (reply.id === 0) {
      this.ready = true;
      for (const wake of this.readyWaiters.splice(0)) wake();
      this.pump();
      return;
    }
    const p = this.current;
    if (!p || p.id !== reply.id) return;
    clearTimeout(this.watchdog);
    this.current = undefined;
    if (reply.ok) p.resolve(reply.text);
    else if (reply.kind === 'limit') p.reject(new TemplateLimitError(reply.limit, reply.message));
    else p.reject(new TemplateError(reply.message));
    this.pump();
  }

  /** The render went past its time limit and the grace: the thread goes, and the render fails naming the limit. */
  private overrun(worker: Worker): void {
    if (worker !== this.worker) return;
    const p = this.current;
    this.current = undefined;
    this.worker = undefined;
    void worker.terminate();
    p?.reject(new TemplateLimitError('time', `time limit: the template ran longer than ${this.limits.timeMs} ms`));
    this.pump();
  }

  private onExit(worker: Worker, e: Error): void {
    if (worker !== this.worker) return;
    clearTimeout(this.watchdog);
    this.worker = undefined;
    const p = this.current;
    this.current = undefined;
    if (!this.ready) {
      for (const wake of this.readyWaiters.splice(0)) wake();
      // It never came up (a broken install): fail what waits instead of restarting it in a loop.
      const failed = new Error(`the template renderer could not start: ${e.message}`);
      p?.reject(failed);
      for (const q of this.queue.splice(0)) q.reject(failed);
      return;
    }
    // A thread that dies mid-render (its heap limit) fails that render; the queue continues on a new thread.
    p?.reject(new TemplateLimitError('memory', `memory limit: the render thread stopped (${e.message})`));
    this.pump();
  }
}
