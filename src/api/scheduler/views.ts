import type { z } from '@hono/zod-openapi';
import { SCHEDULER_STATUS } from '../../domain/status-mapping.js';
import type { TaskRecord } from '../../domain/task.js';
import { detailsOf } from '../../scheduler/logs.js';
import type { ExecutionSummary, TaskState } from '../../scheduler/service.js';
import type * as s from './schemas.js';

/** How scheduler-api.md shows tasks and executions: the service's records in the document's fields. */

type Status = z.infer<typeof s.taskSchema>['status'];
const word = (state: TaskRecord['state']): Status => SCHEDULER_STATUS[state] as Status;

/** `2024-01-01T02:00:00Z`: the document's form (no milliseconds). */
export function iso(d: Date | string | null | undefined): string | null {
  if (!d) return null;
  const date = typeof d === 'string' ? new Date(d) : d;
  return Number.isNaN(date.getTime()) ? null : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function durationOf(r: TaskRecord): number | null {
  const d = detailsOf(r).duration_seconds;
  if (typeof d === 'number') return Math.round(d * 1000) / 1000;
  if (r.start_time && r.end_time) return Math.max(0, (r.end_time.getTime() - r.start_time.getTime()) / 1000);
  return null;
}

export function executionView(r: TaskRecord, detail = false): z.infer<typeof s.executionSchema> {
  const d = detailsOf(r);
  return {
    execution_id: r.task_id,
    // Every execution a view shows was found by its schedule id.
    task_id: d.schedule_id as number,
    ...(detail ? { task_name: d.task_name ?? null } : {}),
    status: word(r.state),
    start_time: iso(r.start_time),
    end_time: iso(r.end_time),
    duration_seconds: durationOf(r),
    exit_code: d.exit_code ?? null,
    output_summary: d.output_summary ?? null,
    error_message: r.error?.message ?? null,
    log_file_path: d.log_file_path ?? null,
    error_log_path: d.error_log_path ?? null,
    // Extension: the job a `service`, `device` or `gpu` run created (its id in that dialect's own views).
    job_id: d.job_id ?? null,
    job_kind: (d.job_kind ?? null) as 'service' | 'device' | 'gpu' | null,
    ...(detail
      ? { workspace_path: d.workspace_path ?? null, resource_usage: d.resource_usage ?? { max_memory_mb: null, avg_cpu_percent: null } }
      : {}),
    created_at: iso(r.create_time),
  };
}

export function lastExecutionView(r: TaskRecord | null): z.infer<typeof s.taskListItem>['last_execution'] {
  if (!r) return null;
  return { execution_id: r.task_id, status: word(r.state), start_time: iso(r.start_time), duration_seconds: durationOf(r) };
}

function baseView(t: TaskState) {
  const { doc } = t;
  return {
    id: doc.id,
    name: doc.name,
    description: doc.description ?? null,
    project_id: doc.project_id,
    schedule_type: doc.schedule_type,
    schedule_config: doc.schedule_config,
    is_active: doc.is_active,
  };
}

/** A row of the task list. */
export function taskListView(t: TaskState): z.infer<typeof s.taskListItem> {
  return { ...baseView(t), status: t.status as Status, next_run_time: iso(t.next), last_execution: lastExecutionView(t.last), created_at: iso(t.doc.created_at) };
}

/** A whole task; the detail adds its project's name and its execution summary. */
export function taskView(t: TaskState, detail?: { projectName: string | null; summary: ExecutionSummary }): z.infer<typeof s.taskSchema> {
  const { doc } = t;
  const view: z.infer<typeof s.taskSchema> = {
    ...baseView(t),
    ...(detail ? { project_name: detail.projectName as string } : {}),
    status: t.status as Status,
    timeout_seconds: doc.timeout_seconds,
    max_instances: doc.max_instances,
    retry_count: doc.retry_count,
    priority: doc.priority,
    action: (doc.action ?? null) as z.infer<typeof s.taskSchema>['action'],
    next_run_time: iso(t.next),
    created_at: iso(doc.created_at),
    updated_at: iso(doc.updated_at),
  };
  if (detail) {
    const { counts, lastSuccess, lastFailure } = detail.summary;
    view.execution_summary = {
      total_executions: Object.values(counts).reduce((a, b) => a + b, 0),
      success_count: counts.succeeded ?? 0,
      failed_count: (counts.failed ?? 0) + (counts.timed_out ?? 0),
      last_success: iso(lastSuccess),
      last_failure: iso(lastFailure),
    };
  }
  return view;
}
