import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { SA_KIND, SA_STATUS } from '../../../src/temporal/search-attributes.js';
import { nowIso, TaskMirror } from '../../../workflows/mirror.js';
import type { DemoActivities } from './activities.js';

/**
 * A test-only workflow (bundled by test/support/demo/workflows.ts, never by the worker): the smallest job that
 * crosses every part of the foundation.
 */
const { echo } = proxyActivities<DemoActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

export interface DemoTaskInput {
  taskId: string;
  message: string;
  sleepMs?: number;
}

/** The smallest job that crosses every part: client start, worker, activity, MongoDB mirror, Kafka event. */
export async function demoTask(input: DemoTaskInput): Promise<{ message: string; worker: string }> {
  const mirror = new TaskMirror(input.taskId);
  const base = { kind: 'command' as const, queue: 'demo', publish: true };
  await mirror.write({ ...base, state: 'queued', status: 'queued', create_time: nowIso(), enqueue_time: nowIso() });

  upsertSearchAttributes([{ key: SA_STATUS, value: 'running' }, { key: SA_KIND, value: 'command' }]);
  await mirror.write({ ...base, state: 'running', status: 'running', start_time: nowIso() });
  try {
    const out = await echo({ message: input.message, sleepMs: input.sleepMs });
    const result = { message: out.message, worker: out.worker };
    await mirror.write({ ...base, state: 'succeeded', status: 'succeeded', end_time: nowIso(), worker: out.worker, result });
    upsertSearchAttributes([{ key: SA_STATUS, value: 'succeeded' }]);
    return result;
  } catch (e) {
    await mirror.write({
      ...base,
      state: 'failed',
      status: 'failed',
      end_time: nowIso(),
      error: { type: (e as Error).name, message: (e as Error).message },
    });
    upsertSearchAttributes([{ key: SA_STATUS, value: 'failed' }]);
    throw e;
  }
}
