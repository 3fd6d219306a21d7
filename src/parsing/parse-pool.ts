/**
 * Parsing with the request's own patterns, off the event loop, under a per-job budget.
 *
 * A `regex` or TextFSM template is code the caller wrote for a backtracking engine: one pattern can take
 * exponential time on a line of 30 characters. Run on a worker's event loop, it would stop that worker's heartbeats,
 * its other jobs and its probes, and Temporal would hand the same job to the next worker. So each job's parsing runs
 * in one of a few worker threads; when it has run longer than its budget the thread is terminated (which stops
 * JavaScript anywhere, even inside a match), replaced, and the job fails with `ParseTimeout`, naming the template
 * line it was stuck on. The budget counts from the moment a thread takes the job, not the time it waited for one.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TRACE_ITEM, TRACE_LENGTH, TRACE_NTC_TEMPLATE, TRACE_TEMPLATE_LINE, type ParseItem } from './parse-job.js';
import type { ParseReply, ParseRequest } from './parse-thread.js';

/** The job's parsing ran past its budget; the thread running it was stopped. Never worth a retry. */
export class ParseTimeoutError extends Error {
  constructor(
    readonly budgetMs: number,
    /** The output being parsed (its command), and the template line being matched, when known. */
    readonly key: string | null,
    readonly templateLine: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'ParseTimeout';
  }
}

/** The parse thread died under the job (out of its memory limit); the thread was replaced. */
export class ParseThreadLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseThreadLost';
  }
}

/** The parse failed in the thread (a bad template, an `Error` action): the thread's error, by name and message. */
export class ParseFailedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface ParsePoolOptions {
  /** Threads, so jobs parse side by side; one pattern over budget holds only its own thread. */
  threads: number;
  /** Wall time a job's parsing may run on its thread (the thread does nothing else meanwhile). */
  budgetMs: number;
  /** Heap limit of each thread, so one job's result cannot exhaust the process's memory. */
  maxHeapMb?: number;
  /** Told when a thread is stopped and replaced. */
  onThreadStopped?: (info: { reason: string; budgetMs: number; key: string | null; templateLine: number | null }) => void;
}

interface Job {
  id: number;
  items: ParseItem[];
  compileOnly: boolean;
  resolve: (r: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  trace: Int32Array;
  ready: boolean;
  job: Job | null;
}

/** How the thread is started: its compiled file, or under tsx (tests, `npm start`) its source through tsx's loader. */
function threadEntry(): { filename: string | URL; evalCode: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { filename: new URL('./parse-thread.js', here), evalCode: false };
  const entry = new URL('./parse-thread.ts', here).href;
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  const tsx = typeof meta.resolve === 'function' ? meta.resolve('tsx/esm/api') : `file://${createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')}`;
  return { filename: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, evalCode: true };
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly entry = threadEntry();

  constructor(private readonly opts: ParsePoolOptions) {
    if (!(opts.threads >= 1) || !(opts.budgetMs >= 1)) throw new Error('a parse pool needs at least one thread and a positive budget');
  }

  get budgetMs(): number {
    return this.opts.budgetMs;
  }

  /**
   * Parses one job's outputs on a thread.
   * @throws ParseTimeoutError over budget, ParseThreadLostError when the thread died, ParseFailedError for the
   * parser's own errors (bad template, `Error` action).
   */
  run(items: ParseItem[]): Promise<Record<string, unknown>> {
    return this.submit(items, false);
  }

  /**
   * Compiles the items' templates on a thread, under the same budget, without parsing anything (the API's check of
   * a submission). Same errors as `run`.
   */
  async compile(items: ParseItem[]): Promise<void> {
    await this.submit(items, true);
  }

  private submit(items: ParseItem[], compileOnly: boolean): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new Error('the parse pool is closed'));
    if (items.length === 0) return Promise.resolve({});
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, items, compileOnly, resolve, reject });
      // Threads start on first use: a worker that never parses pays nothing.
      while (this.slots.length < this.opts.threads && this.slots.length < this.queue.length + this.busy()) this.slots.push(this.spawn());
      this.pump();
    });
  }

  /**
   * Starts every thread now and resolves once each is ready (or could not start), so that the first jobs do not
   * wait for a thread to load the parser.
   */
  async warm(): Promise<void> {
    if (this.closed) return;
    while (this.slots.length < this.opts.threads) this.slots.push(this.spawn());
    while (!this.closed && this.slots.some((s) => !s.ready)) await new Promise((r) => setTimeout(r, 20));
  }

  /** Stops every thread; queued and running jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the parse pool is closed'));
    await Promise.all(
      this.slots.splice(0).map((s) => {
        if (s.job) {
          clearTimeout(s.job.timer);
          s.job.reject(new Error('the parse pool is closed'));
          s.job = null;
        }
        return s.worker.terminate();
      }),
    );
  }

  private busy(): number {
    return this.slots.filter((s) => s.job).length;
  }

  private spawn(): Slot {
    const sab = new SharedArrayBuffer(TRACE_LENGTH * Int32Array.BYTES_PER_ELEMENT);
    const worker = new Worker(this.entry.filename, {
      eval: this.entry.evalCode,
      workerData: { trace: sab },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb ?? 512 },
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, trace: new Int32Array(sab), ready: false, job: null };
    worker.on('message', (msg: ParseReply | 'ready') => {
      if (msg === 'ready') {
        slot.ready = true;
        this.pump();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      clearTimeout(job.timer);
      slot.job = null;
      if (msg.ok) job.resolve(msg.result);
      else job.reject(new ParseFailedError(msg.error.name, msg.error.message));
      this.pump();
    });
    worker.on('error', (e: Error) => this.lost(slot, e.message));
    worker.on('exit', (code) => this.lost(slot, `exit code ${code}`));
    // Idle until `pump` says otherwise (close() ends the threads on a clean stop). After the listeners: a 'message'
    // listener refs the thread's port again, which would undo an unref() made before it.
    worker.unref();
    return slot;
  }

  /** A thread that died or failed to start: its job fails and the slot gets a new thread. */
  private lost(slot: Slot, why: string): void {
    const at = this.slots.indexOf(slot);
    if (at < 0 || this.closed) return;
    this.slots.splice(at, 1);
    if (!slot.ready) {
      // A thread that cannot start fails what waits, rather than being started again in a loop.
      for (const job of this.queue.splice(0)) job.reject(new ParseThreadLostError(`a parse thread did not start (${why})`));
      return;
    }
    const job = slot.job;
    slot.job = null;
    if (job) {
      clearTimeout(job.timer);
      const memory = /memory/i.test(why);
      job.reject(new ParseThreadLostError(memory ? `parsing used more memory than its limit of ${this.opts.maxHeapMb ?? 512} MB` : `the parse thread stopped (${why})`));
      this.opts.onThreadStopped?.({ reason: why, budgetMs: this.opts.budgetMs, key: null, templateLine: null });
    }
    this.slots.push(this.spawn());
    this.pump();
  }

  private pump(): void {
    this.send();
    // The threads keep the process alive only while there is work (a job queued or running), like a socket with a
    // request in flight: an idle pool that was never closed does not hold up the process's exit.
    const busy = this.queue.length > 0 || this.slots.some((s) => s.job);
    for (const slot of this.slots) {
      if (busy) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private send(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.trace.fill(0);
      job.timer = setTimeout(() => this.overBudget(slot, job), this.opts.budgetMs);
      slot.worker.postMessage({ id: job.id, items: job.items, compileOnly: job.compileOnly } satisfies ParseRequest);
    }
  }

  private overBudget(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    const item = job.items[slot.trace[TRACE_ITEM] ?? 0] ?? null;
    const line = slot.trace[TRACE_TEMPLATE_LINE] || null;
    slot.job = null;
    const at = this.slots.indexOf(slot);
    // Replaced before the old thread is gone: terminate() only asks, and its exit must not count as a loss.
    if (at >= 0) this.slots[at] = this.spawn();
    slot.worker.removeAllListeners('exit');
    slot.worker.removeAllListeners('error');
    slot.worker.on('error', () => undefined);
    void slot.worker.terminate();
    job.reject(new ParseTimeoutError(this.opts.budgetMs, item?.key ?? null, line, timeoutMessage(this.opts.budgetMs, item, line, slot.trace[TRACE_NTC_TEMPLATE] ?? 0)));
    this.opts.onThreadStopped?.({ reason: 'over budget', budgetMs: this.opts.budgetMs, key: item?.key ?? null, templateLine: line });
    this.pump();
  }
}

function timeoutMessage(budgetMs: number, item: ParseItem | null, line: number | null, ntcTemplate: number): string {
  const base = `parsing ran longer than its budget of ${budgetMs} ms and was stopped`;
  if (!item) return base;
  const of = ` (output of '${item.key.slice(0, 200)}')`;
  if (item.engine === 'regex') return `${base}: the regex pattern did not finish${of}`;
  const template = item.engine === 'textfsm' ? item.template : (item.templates[ntcTemplate] ?? '');
  if (!line) return `${base}${of}`;
  const text = (template.split(/\r?\n/)[line - 1] ?? '').trim().slice(0, 200);
  const which = item.engine === 'ntc' && item.templates.length > 1 ? ` of template ${ntcTemplate + 1}` : '';
  return `${base}: stuck on template line ${line}${which}: ${text}${of}`;
}
