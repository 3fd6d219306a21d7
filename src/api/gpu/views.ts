import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { statfs } from 'node:fs/promises';
import type { TaskRecord } from '../../domain/task.js';
import { workflowUiUrl, type TemporalUi } from '../../domain/temporal-ui.js';
import { details } from '../../gpu/service.js';
import { GPU_STATUS } from '../../domain/status-mapping.js';
import type { GpuNodeRecord } from '../../store/gpu-nodes.js';
import type { AlertRecord } from '../../store/alerts.js';

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

/** A task as the dialect shows it; with `ui`, also its workflow id and Temporal UI link (camelCase, like the rest). */
export function taskView(r: TaskRecord, ui?: TemporalUi) {
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
    ...(ui ? { workflowId: r.task_id, temporalUiUrl: workflowUiUrl(ui, r.task_id) } : {}),
  };
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
