// Test only: a worker process where a device job carrying SY_TEST_POISON_MARKER in its lines kills the process
// when its turn comes (SIGKILL, as an out-of-memory kill or a native crash would), every time, on every worker.
// Loaded before the worker starts (`--import` in the fault suite's processes, an import in
// worker-process.worker.ts), it adds an activity interceptor to every Temporal worker the process creates.
// Plain JavaScript: node also passes `--import` to the threads the process starts, where no TypeScript loader runs.
//
// A pinned batch runs its jobs in order: the jobs before the poison run and are reported, then the process dies
// on the poison (the batch is cut there and the rest is left unreported, as a death mid-batch leaves it).
import { isMainThread } from 'node:worker_threads';

const MARKER = process.env.SY_TEST_POISON_MARKER;

/** @param {{ request?: { lines?: unknown } } | undefined} job */
function isPoison(job) {
  return !!MARKER && JSON.stringify(job?.request?.lines ?? '').includes(MARKER);
}

/** @returns {Promise<never>} never settles: the process is gone */
function die() {
  process.kill(process.pid, 'SIGKILL');
  return new Promise(() => undefined);
}

const interceptor = {
  /**
   * @param {{ args: unknown[], headers: unknown }} input
   * @param {(input: unknown) => Promise<unknown>} next
   */
  async execute(input, next) {
    const arg = /** @type {{ jobs?: Array<{ request?: { lines?: unknown } }>, request?: { lines?: unknown } } | undefined} */ (input.args[0]);
    if (Array.isArray(arg?.jobs)) {
      const at = arg.jobs.findIndex(isPoison);
      if (at === 0) return die();
      if (at > 0) return next({ ...input, args: [{ ...arg, jobs: arg.jobs.slice(0, at) }, ...input.args.slice(1)] });
    } else if (isPoison(arg)) return die();
    return next(input);
  },
};

if (MARKER && isMainThread) {
  const { Worker } = await import('@temporalio/worker');
  const create = Worker.create.bind(Worker);
  /** @param {import('@temporalio/worker').WorkerOptions} options */
  Worker.create = (options) =>
    create({ ...options, interceptors: { ...options.interceptors, activity: [...(options.interceptors?.activity ?? []), () => ({ inbound: interceptor })] } });
}
