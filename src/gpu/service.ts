import { WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { Filter } from 'mongodb';
import { isGpuTaskId } from '../domain/ids.js';
import { fromDialectStatus, GPU_STATUS, type GpuStatus } from '../domain/status-mapping.js';
import { isTerminal, type CanonicalState } from '../domain/status.js';
import type { TaskRecord } from '../domain/task.js';
import { isUnavailableError } from '../store/errors.js';
import { gpuQueueName } from './contract.js';
import { queueLengths, type GpuOps } from './ops.js';
import { averageDurationSeconds, queueFacts } from './tasks.js';

/**
 * The GPU dialect's operations beyond creating tasks (src/gpu/tasks.ts) and node bookkeeping (src/gpu/ops.ts):
 * reading tasks and their progress, handing node reports to task workflows, health and metrics.
 */

/** The task does not exist (or is not a GPU task). */
export class GpuTaskNotFoundError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} not found`);
    this.name = 'GpuTaskNotFoundError';
  }
}

/** The task has ended: a node report for it is refused. `status` is its GPU status word, when known. */
export class GpuTaskEndedError extends Error {
  constructor(
    readonly taskId: string,
    readonly status?: string,
  ) {
    super(`task ${taskId} has ended`);
    this.name = 'GpuTaskEndedError';
  }
}

/** The task's workflow has not started yet (the node reported within moments of being sent it): report again. */
export class GpuTaskNotStartedError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} has not started yet`);
    this.name = 'GpuTaskNotStartedError';
  }
}

export async function getGpuTask(ops: GpuOps, taskId: string): Promise<TaskRecord> {
  const r = await ops.tasks.get(taskId);
  if (!r || r.kind !== 'gpu') throw new GpuTaskNotFoundError(taskId);
  return r;
}

/** GPU tasks, newest first, filtered by status word, task type and node. */
export async function listGpuTasks(ops: GpuOps, q: { status?: GpuStatus; taskType?: number; gpuId?: string; page: number; size: number }): Promise<TaskRecord[]> {
  const filter: Filter<TaskRecord> = { kind: 'gpu' };
  if (q.status) filter.state = { $in: fromDialectStatus('gpu', q.status) };
  if (q.taskType !== undefined) filter.queue = gpuQueueName(q.taskType);
  if (q.gpuId) filter.host = q.gpuId;
  return ops.tasks.find(filter, { sort: { create_time: -1, task_id: 1 }, skip: (q.page - 1) * q.size, limit: q.size });
}

export const details = (r: TaskRecord): Record<string, unknown> => (r.details ?? {}) as Record<string, unknown>;
const taskTypeOf = (r: TaskRecord): number => {
  const t = details(r).taskType;
  return typeof t === 'number' ? t : 0;
};

/** Where a waiting task stands (1 = next to start) and why it waits; null once it is not waiting. */
export async function waitingFacts(ops: GpuOps, r: TaskRecord) {
  if (r.state !== 'queued' && r.state !== 'ready') return null;
  const taskType = taskTypeOf(r);
  return queueFacts(ops.tasks, ops.nodes.list({ taskType }), taskType, r.priority, r.create_time, r.task_id);
}

/** A task's progress (0-100), its place in the queue (0 once it runs) and the seconds it likely still needs. */
export async function taskProgress(ops: GpuOps, r: TaskRecord): Promise<{ progress: number; queuePosition: number; estimatedRemainingTime: number; waitingReason?: string }> {
  const d = details(r);
  const progress = typeof d.progress === 'number' ? d.progress : 0;
  const facts = await waitingFacts(ops, r);
  if (facts) return { progress, queuePosition: facts.position + 1, estimatedRemainingTime: Math.round(facts.estimatedWaitSeconds + facts.avgSeconds), waitingReason: facts.reason };
  let remaining = 0;
  if (r.state === 'running') {
    const avg = await averageDurationSeconds(ops.tasks, taskTypeOf(r));
    const elapsed = r.start_time ? (Date.now() - r.start_time.getTime()) / 1000 : 0;
    remaining = progress > 0 ? (elapsed * (100 - progress)) / progress : Math.max(0, avg - elapsed);
  }
  return { progress, queuePosition: 0, estimatedRemainingTime: Math.round(remaining) };
}

/** How long a node report for a task whose workflow has not started yet is held before the node is told to retry. */
const NOT_STARTED_WAIT_MS = 1000;
const NOT_STARTED_RETRY_MS = 100;

/**
 * A node's status or result report: refused once the task has ended, otherwise handed to its workflow (stamped with
 * the time it arrived). While MongoDB is away the record cannot be read, but the workflow (the truth, which
 * ignores a report it cannot use) still takes it: a node that reports during an outage must not have to outlast
 * it, or its result is lost.
 */
export async function forwardNodeReport<T extends { at: number }>(ops: GpuOps, taskId: string, signal: SignalDefinition<[T]>, body: Omit<T, 'at'>): Promise<void> {
  let open = false;
  let before: TaskRecord | null = null;
  try {
    const r = await getGpuTask(ops, taskId);
    if (isTerminal(r.state)) throw new GpuTaskEndedError(taskId, GPU_STATUS[r.state]);
    open = true;
    before = r;
  } catch (e) {
    if (!isUnavailableError(e) || !isGpuTaskId(taskId)) throw e;
    ops.logger.warn({ taskId }, 'MongoDB unavailable: GPU node report sent to the task workflow unchecked');
  }
  const report = { ...body, at: Date.now() } as T;
  for (let waited = 0; ; waited += NOT_STARTED_RETRY_MS) {
    try {
      await ops.client.workflow.getHandle(taskId).signal(signal, report);
      if (before) await untilReportRecorded(ops, before, body as NodeReportFields);
      return;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
      // A node may report before the task's workflow exists: the API sends a task with free capacity to its node
      // and then starts the workflow, and a start retried through a Temporal restart can come seconds later.
      // The usual gap is milliseconds, waited out here; a longer one tells the node to report again rather than
      // give up (its result would be lost and the task would wait for its timeout).
      if (!open) throw new GpuTaskEndedError(taskId);
      if (waited >= NOT_STARTED_WAIT_MS) throw new GpuTaskNotStartedError(taskId);
      await new Promise((r) => setTimeout(r, NOT_STARTED_RETRY_MS));
    }
  }
}

/** The fields of a status or result report that decide what it changes. */
interface NodeReportFields {
  status?: string;
  gpuId?: string;
  result?: unknown;
}

/** How long a report's answer waits for the task's record to show it (the workflow writes within milliseconds). */
const REPORT_RECORD_WAIT_MS = 5000;
const REPORT_RECORD_POLL_MS = 20;

/**
 * Read-your-writes for node reports: the answer "updated" is given once the task's record shows the report, so the
 * node's (or anyone's) next read sees it. The report reaches the workflow as a signal, which answers before the
 * workflow has acted on it. Waited for only when the running task's workflow takes the report at once: a report
 * for a queued task waits in the workflow for its assignment, and one from another node is ignored. A record that
 * does not move within the bound is answered anyway: the workflow has the report and writes it soon.
 */
async function untilReportRecorded(ops: GpuOps, before: TaskRecord, report: NodeReportFields): Promise<void> {
  if (before.state !== 'running') return;
  if (report.gpuId && before.host && report.gpuId !== before.host) return;
  const ends = report.result !== undefined || report.status === 'COMPLETED' || report.status === 'FAILED';
  const deadline = Date.now() + REPORT_RECORD_WAIT_MS;
  while (Date.now() < deadline) {
    const now = await ops.tasks.get(before.task_id);
    if (!now || isTerminal(now.state)) return;
    if (!ends && now.rev > before.rev) return;
    await new Promise((r) => setTimeout(r, REPORT_RECORD_POLL_MS));
  }
  ops.logger.warn({ taskId: before.task_id }, 'GPU node report: the task record did not show it in time; answered anyway');
}

// ---- health and metrics -----------------------------------------------------------------------------------------

export type HealthWord = 'HEALTHY' | 'WARNING' | 'CRITICAL';

/** GPU and queue health: CRITICAL with no ACTIVE node, WARNING with some nodes down or a queue over its threshold. */
export async function gpuHealth(ops: GpuOps) {
  const [counts, lengths] = await Promise.all([ops.nodes.countByStatus(), queueLengths(ops.tasks)]);
  const total = counts.ACTIVE + counts.OFFLINE + counts.FAULTY;
  const gpu: HealthWord = total === 0 ? 'WARNING' : counts.ACTIVE === 0 ? 'CRITICAL' : counts.ACTIVE < total ? 'WARNING' : 'HEALTHY';
  const queue: HealthWord = Object.values(lengths).some((n) => n > ops.config.gpu.queueAlertThreshold) ? 'WARNING' : 'HEALTHY';
  const rank = { HEALTHY: 0, WARNING: 1, CRITICAL: 2 } as const;
  const overall = rank[gpu] >= rank[queue] ? gpu : queue;
  return { overall_health: overall, gpu_health: gpu, queue_health: queue, active_gpu_count: counts.ACTIVE, total_gpu_count: total, timestamp: Date.now(), counts, lengths };
}

/** GPU tasks counted by status word (every word present). */
export function gpuTaskStatusCounts(byState: Record<string, number>): Record<GpuStatus, number> {
  const out: Record<string, number> = { QUEUED: 0, PROCESSING: 0, COMPLETED: 0, FAILED: 0, TIMEOUT: 0 };
  for (const [state, n] of Object.entries(byState)) {
    const word = GPU_STATUS[state as CanonicalState];
    if (word) out[word] = (out[word] ?? 0) + n;
  }
  return out as Record<GpuStatus, number>;
}

export async function gpuTaskCounts(ops: GpuOps): Promise<Record<GpuStatus, number>> {
  return gpuTaskStatusCounts(await ops.tasks.countByState({ kind: 'gpu' }));
}
