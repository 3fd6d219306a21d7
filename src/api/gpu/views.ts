import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { statfs } from 'node:fs/promises';
import type { TaskRecord } from '../../domain/task.js';
import { GPU_STATUS, type GpuStatus } from '../../domain/status-mapping.js';
import type { CanonicalState } from '../../domain/status.js';
import type { GpuNodeRecord } from '../../store/gpu-nodes.js';
import type { TaskStore } from '../../store/tasks.js';
import type { AlertRecord } from '../../store/alerts.js';
import { gpuQueueName } from '../../gpu/names.js';
import { estimateWaitSeconds, waitingReason } from '../../gpu/priority.js';

export function nodeView(n: GpuNodeRecord) {
  return {
    gpuId: n.gpuId,
    hostname: n.hostname,
    vastInsId: n.vastInsId,
    ip: n.ip,
    port: n.port,
    supportedTaskTypes: n.supportedTaskTypes,
    supportedTaskPriority: n.supportedTaskPriority,
    status: n.status,
    lastHeartbeat: n.lastHeartbeat,
    failureCount: n.failureCount,
    taskFailureCount: n.taskFailureCount,
    version: n.version,
    currentTasks: n.currentTasks,
    maxConcurrentTasks: n.maxConcurrentTasks,
    metadata: n.metadata,
    faultReason: n.faultReason,
  };
}

export function alertView(a: AlertRecord) {
  return {
    id: a.id,
    title: a.title,
    message: a.message,
    level: a.level,
    status: a.status,
    source: a.source,
    timestamp: a.timestamp,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedBy: a.acknowledgedBy,
  };
}

const ms = (d: Date | null | undefined): number | null => (d ? d.getTime() : null);

function resultText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function details(r: TaskRecord): Record<string, unknown> {
  return (r.details ?? {}) as Record<string, unknown>;
}

export function taskView(r: TaskRecord) {
  const d = details(r);
  const num = (k: string, dflt = 0) => (typeof d[k] === 'number' ? (d[k] as number) : dflt);
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : null);
  const status = GPU_STATUS[r.state];
  return {
    taskId: r.task_id,
    displayId: num('displayId'),
    taskType: num('taskType'),
    status: status as 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'TIMEOUT',
    userId: str('userId'),
    app: str('app'),
    priority: r.priority,
    gpuId: r.host ?? null,
    payload: str('payload') ?? '',
    result: resultText(r.result),
    errorMessage: r.state === 'cancelled' ? (r.error?.message ?? 'Task was cancelled') : (r.error?.message ?? null),
    retryCount: num('retryCount'),
    maxRetries: num('maxRetries'),
    timeout: num('timeout'),
    estimatedWaitTime: num('estimatedWaitTime'),
    createdAt: r.create_time.getTime(),
    startedAt: ms(r.start_time),
    completedAt: ms(r.end_time),
    updatedAt: (r.updated_at ?? r.create_time).getTime(),
  };
}

/** Average run time (seconds) of the last finished tasks of a type; 60 s before any has finished. */
/** Observed averages per task type, kept a few seconds: an estimate need not rescan finished tasks on every create. */
const averageCache = new WeakMap<TaskStore, Map<number, { at: number; value: Promise<number> }>>();
const AVERAGE_TTL_MS = 5000;

export function averageDurationSeconds(tasks: TaskStore, taskType: number, now = Date.now()): Promise<number> {
  let byType = averageCache.get(tasks);
  if (!byType) averageCache.set(tasks, (byType = new Map()));
  const hit = byType.get(taskType);
  if (hit && now - hit.at < AVERAGE_TTL_MS) return hit.value;
  const value = measureAverageDuration(tasks, taskType);
  byType.set(taskType, { at: now, value });
  value.catch(() => byType.delete(taskType));
  return value;
}

async function measureAverageDuration(tasks: TaskStore, taskType: number): Promise<number> {
  const rows = await tasks.find({ kind: 'gpu', queue: gpuQueueName(taskType), state: 'succeeded' }, { sort: { end_time: -1 }, limit: 50 });
  const durations = rows.filter((r) => r.start_time && r.end_time).map((r) => (r.end_time!.getTime() - r.start_time!.getTime()) / 1000);
  if (durations.length === 0) return 60;
  return Math.max(0.001, durations.reduce((a, b) => a + b, 0) / durations.length);
}

/** Queued tasks of the same type that go before a task of this priority created at `created` (priority order = class order). */
export function aheadFilter(taskType: number, priority: number, created: Date, taskId?: string) {
  return {
    kind: 'gpu',
    state: 'queued',
    queue: gpuQueueName(taskType),
    ...(taskId ? { task_id: { $ne: taskId } } : {}),
    $or: [{ priority: { $gt: priority } }, { priority, create_time: { $lt: created } }],
  };
}

export interface QueueFacts {
  position: number;
  reason: string;
  estimatedWaitSeconds: number;
  avgSeconds: number;
}

/** Where a queued task stands and why it waits, from real counts. */
export async function queueFacts(
  tasks: TaskStore,
  nodes: GpuNodeRecord[] | Promise<GpuNodeRecord[]>,
  taskType: number,
  priority: number,
  created: Date,
  taskId?: string,
): Promise<QueueFacts> {
  const filter = aheadFilter(taskType, priority, created, taskId);
  // The counts do not depend on the nodes: they are read side by side.
  const [ahead, vipAhead, avg, all] = await Promise.all([
    tasks.count(filter as never),
    priority >= 2 ? Promise.resolve(0) : tasks.count({ ...filter, $or: [{ priority: { $gte: 2 } }] } as never),
    averageDurationSeconds(tasks, taskType),
    nodes,
  ]);
  const active = all.filter((n) => n.status === 'ACTIVE' && n.supportedTaskTypes.includes(taskType));
  const capacity = active.reduce((s, n) => s + n.maxConcurrentTasks, 0);
  const free = active.reduce((s, n) => s + Math.max(0, n.freeSlots), 0);
  return {
    position: ahead,
    reason: waitingReason(taskType, priority, { activeNodes: active, ahead, vipAhead }),
    estimatedWaitSeconds: estimateWaitSeconds(ahead, capacity, free, avg),
    avgSeconds: avg,
  };
}

export function gpuTaskStatusCounts(byState: Record<string, number>): Record<GpuStatus, number> {
  const out: Record<string, number> = { QUEUED: 0, PROCESSING: 0, COMPLETED: 0, FAILED: 0, TIMEOUT: 0 };
  for (const [state, n] of Object.entries(byState)) {
    const word = GPU_STATUS[state as CanonicalState];
    if (word) out[word] = (out[word] ?? 0) + n;
  }
  return out as Record<GpuStatus, number>;
}

export async function systemMetrics(): Promise<{ cpu_usage: number; memory_usage: number; disk_usage: number }> {
  const round = (v: number) => Math.round(v * 10) / 10;
  let disk = 0;
  try {
    const s = await statfs(process.cwd());
    disk = s.blocks > 0 ? (1 - s.bavail / s.blocks) * 100 : 0;
  } catch {
    disk = 0;
  }
  return {
    cpu_usage: round(Math.min(100, (loadavg()[0]! / Math.max(1, cpus().length)) * 100)),
    memory_usage: round((1 - freemem() / totalmem()) * 100),
    disk_usage: round(disk),
  };
}
