/**
 * Test only: a worker process where a device job carrying SY_TEST_POISON_MARKER in its lines kills the process
 * when its turn comes (SIGKILL, as an out-of-memory kill or a native crash would), every time, on every worker.
 * Loaded before the worker starts (`--import` in the fault suite's processes, an import in worker-process.worker.ts),
 * it adds an activity interceptor to every Temporal worker the process creates.
 *
 * A pinned batch runs its jobs in order: the jobs before the poison run and are reported, then the process dies
 * on the poison (the batch is cut there and the rest is left unreported, as a death mid-batch leaves it).
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityInboundCallsInterceptor, ActivityExecuteInput, Next } from '@temporalio/worker';

const MARKER = process.env.SY_TEST_POISON_MARKER;

interface JobArg {
  request?: { lines?: unknown };
}

function isPoison(job: JobArg | undefined): boolean {
  return !!MARKER && JSON.stringify(job?.request?.lines ?? '').includes(MARKER);
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered at once; this only satisfies the type.
  throw new Error('unreachable');
}

class PoisonInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const arg = input.args[0] as (JobArg & { jobs?: JobArg[] }) | undefined;
    if (Array.isArray(arg?.jobs)) {
      const at = arg.jobs.findIndex(isPoison);
      if (at === 0) die();
      if (at > 0) return next({ ...input, args: [{ ...arg, jobs: arg.jobs.slice(0, at) }, ...input.args.slice(1)] });
    } else if (isPoison(arg)) die();
    return next(input);
  }
}

if (MARKER) {
  const create = Worker.create.bind(Worker);
  Worker.create = (options: WorkerOptions) =>
    create({ ...options, interceptors: { ...options.interceptors, activity: [...(options.interceptors?.activity ?? []), () => ({ inbound: new PoisonInterceptor() })] } });
}
