import { condition, proxyLocalActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { CanonicalState } from '../src/domain/status.js';
import { GPU_STATUS } from '../src/domain/status-mapping.js';
import {
  gpuAssignedSignal,
  gpuDispatchFailedSignal,
  gpuNodeLostSignal,
  gpuNodeResultSignal,
  gpuNodeStatusSignal,
  gpuQueueName,
  type AssignedSignal,
  type GpuTaskInput,
  type GpuTaskOutcome,
  type NodeResultSignal,
  type NodeStatusSignal,
} from '../src/gpu/contract.js';
import { priorityClass } from '../src/gpu/priority.js';
import { SA_KIND, SA_STATUS } from '../src/temporal/search-attributes.js';
import { TaskMirror } from './mirror.js';

const { gpuEnqueue, gpuRelease, gpuNodeOutcome } = proxyLocalActivities<Pick<Activities, 'gpuEnqueue' | 'gpuRelease' | 'gpuNodeOutcome'>>({
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

type Event =
  | { t: 'assigned'; s: AssignedSignal }
  | { t: 'dispatchFailed'; reason: string }
  | { t: 'status'; s: NodeStatusSignal }
  | { t: 'result'; s: NodeResultSignal }
  | { t: 'lost'; gpuId: string; reason: string };

/**
 * One GPU task: waits in its type's dispatcher queue, runs on the node the dispatcher chose, follows the node's
 * status and result reports, fails over when the node refuses or is lost (up to maxRetries), and times out.
 * The API wrote the QUEUED record before starting it.
 */
export async function gpuTask(input: GpuTaskInput): Promise<GpuTaskOutcome> {
  const mirror = new TaskMirror(input.taskId);
  const events: Event[] = [];
  setHandler(gpuAssignedSignal, (s) => void events.push({ t: 'assigned', s }));
  setHandler(gpuDispatchFailedSignal, (s) => void events.push({ t: 'dispatchFailed', reason: s.reason }));
  setHandler(gpuNodeStatusSignal, (s) => void events.push({ t: 'status', s }));
  setHandler(gpuNodeResultSignal, (s) => void events.push({ t: 'result', s }));
  setHandler(gpuNodeLostSignal, (s) => void events.push({ t: 'lost', gpuId: s.gpuId, reason: s.reason }));

  let state: CanonicalState = 'queued';
  let node: AssignedSignal | null = null;
  let attempt = 0;
  let progress = 0;
  let startedAt: string | null = null;
  const excluded: string[] = [];
  const deadline = input.createdAt + input.timeout;
  const vip = priorityClass(input.priority) === 'VIP';

  const details = () => ({
    displayId: input.displayId,
    taskType: input.taskType,
    userId: input.userId,
    app: input.app,
    env: input.env,
    payload: input.payload,
    retryCount: attempt,
    maxRetries: input.maxRetries,
    timeout: input.timeout,
    estimatedWaitTime: input.estimatedWaitTime,
    progress,
    vip,
    gpuId: node?.gpuId ?? null,
  });
  const write = async (fields: { state: CanonicalState; result?: string | null; error?: { type: string; message: string } | null; end?: boolean; publish?: boolean; note?: string }) => {
    await mirror.write({
      kind: 'gpu',
      queue: gpuQueueName(input.taskType),
      state: fields.state,
      status: GPU_STATUS[fields.state],
      priority: input.priority,
      host: node?.gpuId ?? null,
      worker: node?.gpuId ?? null,
      start_time: startedAt,
      ...(fields.end ? { end_time: new Date().toISOString() } : {}),
      ...(fields.result !== undefined ? { result: fields.result } : {}),
      ...(fields.error !== undefined ? { error: fields.error } : {}),
      waiting_reason: fields.state === 'queued' ? (fields.note ?? null) : null,
      details: { ...details(), ...(fields.note ? { lastMessage: fields.note } : {}) },
      publish: fields.publish ?? true,
    });
  };
  const finish = async (final: CanonicalState, opts: { result?: string | null; errorMessage?: string; cancelOnNode?: boolean }): Promise<GpuTaskOutcome> => {
    if (node) {
      await gpuRelease({
        claimId: node.claimId,
        taskType: input.taskType,
        cancel: opts.cancelOnNode ? { ip: node.ip, port: node.port, taskId: input.taskId } : undefined,
      });
    }
    if (final === 'succeeded') progress = 100;
    state = final;
    await write({
      state: final,
      end: true,
      result: opts.result ?? null,
      error: opts.errorMessage ? { type: final === 'timed_out' ? 'Timeout' : 'GpuTaskFailed', message: opts.errorMessage } : null,
    });
    upsertSearchAttributes([{ key: SA_STATUS, value: final }]);
    return { status: GPU_STATUS[final], gpuId: node?.gpuId ?? null, result: opts.result ?? null, errorMessage: opts.errorMessage ?? null };
  };

  if (input.assigned) {
    node = input.assigned;
    attempt = node.attempt;
    state = 'running';
    startedAt = new Date().toISOString();
  }
  upsertSearchAttributes([{ key: SA_KIND, value: 'gpu' }, { key: SA_STATUS, value: state }]);
  if (state === 'running') await write({ state: 'running' });

  // One deadline timer for the whole run (never cancelled): a timeout per wait would start and cancel a timer
  // for every node report.
  let expired = deadline <= Date.now();
  if (!expired) void sleep(deadline - Date.now()).then(() => (expired = true));

  for (;;) {
    await condition(() => events.length > 0 || expired);
    if (expired) {
      if (state === 'queued') await gpuEnqueue({ taskType: input.taskType, remove: input.taskId });
      return finish('timed_out', { errorMessage: `Task timed out after ${input.timeout} ms`, cancelOnNode: state === 'running' });
    }
    // A node may report before the dispatcher's assignment arrives: while queued, only assignment-side events
    // are taken; node reports wait until the assignment is in.
    let ev: Event;
    if (state === 'queued') {
      const idx = events.findIndex((e) => e.t === 'assigned' || e.t === 'dispatchFailed' || e.t === 'lost');
      if (idx < 0) {
        await condition(() => expired || events.some((e) => e.t !== 'status' && e.t !== 'result'));
        continue;
      }
      ev = events.splice(idx, 1)[0]!;
    } else {
      ev = events.shift()!;
    }

    switch (ev.t) {
      case 'assigned': {
        if (state !== 'queued') break;
        node = ev.s;
        attempt = ev.s.attempt;
        state = 'running';
        startedAt ??= new Date().toISOString();
        await write({ state: 'running' });
        upsertSearchAttributes([{ key: SA_STATUS, value: 'running' }]);
        break;
      }
      case 'dispatchFailed':
        if (state !== 'queued') break;
        return finish('failed', { errorMessage: ev.reason });
      case 'status': {
        if (state !== 'running' || (ev.s.gpuId && node && ev.s.gpuId !== node.gpuId)) break;
        if (ev.s.status === 'PROCESSING') {
          if (typeof ev.s.progress === 'number') progress = Math.max(0, Math.min(100, ev.s.progress));
          await write({ state: 'running', publish: false, note: ev.s.message });
        } else if (ev.s.status === 'FAILED') {
          await gpuNodeOutcome({ gpuId: node!.gpuId, ok: false });
          return finish('failed', { errorMessage: ev.s.message ?? `GPU node ${node!.gpuId} reported the task FAILED` });
        } else if (ev.s.status === 'COMPLETED') {
          await gpuNodeOutcome({ gpuId: node!.gpuId, ok: true });
          return finish('succeeded', { result: ev.s.message ?? null });
        }
        break;
      }
      case 'result': {
        if (state !== 'running' || (ev.s.gpuId && node && ev.s.gpuId !== node.gpuId)) break;
        await gpuNodeOutcome({ gpuId: node!.gpuId, ok: true });
        return finish('succeeded', { result: ev.s.result });
      }
      case 'lost': {
        if (state !== 'running' || !node || ev.gpuId !== node.gpuId) break;
        const lost = node;
        await gpuRelease({ claimId: lost.claimId, taskType: input.taskType, cancel: { ip: lost.ip, port: lost.port, taskId: input.taskId } });
        excluded.push(lost.gpuId);
        if (attempt + 1 > input.maxRetries) {
          node = null;
          return finish('failed', { errorMessage: `${ev.reason}; no retries left (maxRetries ${input.maxRetries})` });
        }
        attempt += 1;
        node = null;
        state = 'queued';
        progress = 0;
        await write({ state: 'queued', note: `${ev.reason}; waiting for another node` });
        upsertSearchAttributes([{ key: SA_STATUS, value: 'queued' }]);
        await gpuEnqueue({
          taskType: input.taskType,
          entry: { taskId: input.taskId, priority: input.priority, seq: input.createdAt, attempt, maxRetries: input.maxRetries, excluded: [...excluded] },
        });
        break;
      }
    }
  }
}
