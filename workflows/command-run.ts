import { ParentClosePolicy, proxyActivities, proxyLocalActivities, sleep, startChild, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RunCommandResult } from '../activities/shell.js';
import type { CanonicalState } from '../src/domain/status.js';
import { SCHEDULER_STATUS } from '../src/domain/status-mapping.js';
import { SA_KIND, SA_SERVICE } from '../src/temporal/search-attributes.js';
import type { ServiceTaskResult } from './service-task.js';
import { MIRROR_LOCAL } from './presets.js';
import { nowIso, TaskMirror } from './mirror.js';

/** What a scheduled task's schedule hands each run (set again by every task update). */
export interface CommandRunInput {
  scheduleId: number;
  taskName: string;
  owner: string;
  command: string;
  env: Record<string, string>;
  cwd?: string;
  timeoutSeconds: number;
  retryCount: number;
  priority: number;
  maxInstances: number;
  /** `command` (the task's own), `project` (the project's entry command) or `service` (a service task). */
  source: 'command' | 'project' | 'service';
  /** A `service` action: each run creates a task of this service and follows it to its end. */
  serviceJob?: { service: string; condition: Record<string, unknown> };
}

const { countRunningExecutions, prepareScheduledServiceTask } = proxyLocalActivities<Pick<Activities, 'countRunningExecutions' | 'prepareScheduledServiceTask'>>(MIRROR_LOCAL);

function scheduledTime(id: string): string | null {
  const m = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)$/.exec(id);
  return m ? m[1]! : null;
}

/**
 * One execution of a scheduled task (kind `command`): mirrored as RUNNING, then SUCCESS, FAILED, CANCELLED or
 * TIMEOUT with exit code, duration, resource usage and log paths. A failed or timed-out attempt is retried
 * `retryCount` times; the worker-side activity retries only infrastructure failures (a lost worker).
 */
export async function commandRun(input: CommandRunInput): Promise<{ state: CanonicalState; exitCode: number | null }> {
  const info = workflowInfo();
  const executionId = info.workflowId;
  const mirror = new TaskMirror(executionId);
  const { runCommand } = proxyActivities<Pick<Activities, 'runCommand'>>({
    startToCloseTimeout: `${input.timeoutSeconds + 60}s`,
    heartbeatTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
  });
  const base = { kind: 'command' as const, queue: 'scheduler', owner: input.owner, priority: input.priority };
  const details: Record<string, unknown> = {
    schedule_id: input.scheduleId,
    task_name: input.taskName,
    scheduled_time: scheduledTime(executionId),
    source: input.source,
    timeout_seconds: input.timeoutSeconds,
    attempts: 0,
  };
  // The record is first written as RUNNING, just before the command is handed to a worker: one MongoDB write on
  // the path from the scheduled time to the command's start (a separate PENDING write cost 50-150 ms there).
  const created = nowIso();
  const firstFields = { create_time: created, enqueue_time: created };

  if (input.maxInstances > 1) {
    const running = await countRunningExecutions({ scheduleId: input.scheduleId, excluding: executionId });
    if (running >= input.maxInstances) {
      const error = { type: 'MaxInstances', message: `skipped: ${running} executions already running (max_instances ${input.maxInstances})` };
      await mirror.write({ ...base, ...firstFields, state: 'cancelled', status: SCHEDULER_STATUS.cancelled, end_time: nowIso(), error, details, publish: true });
      return { state: 'cancelled', exitCode: null };
    }
  }

  if (input.serviceJob) return runServiceJob(input, mirror, base, details, firstFields);

  let result: RunCommandResult | null = null;
  let state: CanonicalState = 'failed';
  let errorInfo: { type: string; message: string } | null = null;
  for (let attempt = 1; attempt <= input.retryCount + 1; attempt++) {
    details.attempts = attempt;
    const startField = attempt === 1 ? { ...firstFields, start_time: nowIso() } : {};
    await mirror.write({ ...base, state: 'running', status: SCHEDULER_STATUS.running, ...startField, details, publish: attempt === 1 });
    try {
      result = await runCommand({ executionId, command: input.command, env: input.env, cwd: input.cwd, timeoutSeconds: input.timeoutSeconds, attempt });
    } catch (e) {
      result = null;
      errorInfo = { type: (e as Error).name, message: (e as Error).message };
      state = 'failed';
      continue;
    }
    Object.assign(details, {
      exit_code: result.exitCode,
      signal: result.signal,
      started_at: result.startedAt,
      duration_seconds: result.durationSeconds,
      output_summary: result.outputSummary,
      log_file_path: result.logFilePath,
      error_log_path: result.errorLogPath,
      workspace_path: result.workspacePath,
      resource_usage: { max_memory_mb: result.maxMemoryMb, avg_cpu_percent: result.avgCpuPercent },
      truncated: result.truncated,
    });
    if (result.timedOut) {
      state = 'timed_out';
      errorInfo = { type: 'Timeout', message: `execution exceeded timeout_seconds (${input.timeoutSeconds} s) and was killed` };
    } else if (result.exitCode === 0) {
      state = 'succeeded';
      errorInfo = null;
      break;
    } else {
      state = 'failed';
      const why = result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit code ${result.exitCode}`;
      errorInfo = { type: 'CommandFailed', message: result.errorTail ? `${why}: ${result.errorTail}` : why };
    }
  }
  await mirror.write({
    ...base,
    state,
    status: SCHEDULER_STATUS[state],
    end_time: result?.endedAt ?? nowIso(),
    error: errorInfo,
    result: result ? { exit_code: result.exitCode } : null,
    details,
    publish: true,
  });
  return { state, exitCode: result?.exitCode ?? null };
}

type MirrorBase = { kind: 'command'; queue: string; owner: string; priority: number };

/**
 * A `service` action: creates a service task (its record as create_task writes it, then its `serviceTask`
 * workflow as a child that outlives this execution) and ends with the task's outcome, or TIMEOUT when the task
 * has not ended within `timeout_seconds` (the task itself carries on under its own service timeout).
 */
async function runServiceJob(
  input: CommandRunInput,
  mirror: TaskMirror,
  base: MirrorBase,
  details: Record<string, unknown>,
  firstFields: { create_time: string; enqueue_time: string },
): Promise<{ state: CanonicalState; exitCode: number | null }> {
  const job = input.serviceJob!;
  const taskId = `ts_${job.service}_${uuid4()}`;
  details.job_id = taskId;
  details.job_kind = 'service';
  details.attempts = 1;
  let state: CanonicalState = 'failed';
  let error: { type: string; message: string } | null = null;
  let result: unknown = null;
  try {
    const taskInput = await prepareScheduledServiceTask({ taskId, service: job.service, condition: job.condition });
    await mirror.write({ ...base, ...firstFields, state: 'running', status: SCHEDULER_STATUS.running, start_time: nowIso(), details, publish: true });
    const child = await startChild('serviceTask', {
      workflowId: taskId,
      args: [taskInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: SA_KIND, value: 'service' },
        { key: SA_SERVICE, value: job.service },
      ],
    });
    const ended = await Promise.race([child.result() as Promise<ServiceTaskResult>, sleep(input.timeoutSeconds * 1000).then(() => null)]);
    if (!ended) {
      state = 'timed_out';
      error = { type: 'Timeout', message: `service task ${taskId} did not end within timeout_seconds (${input.timeoutSeconds} s)` };
    } else {
      state = ended.status === 'finished' ? 'succeeded' : 'failed';
      result = { task_id: taskId, status: ended.status, data: ended.data ?? null };
      if (state === 'failed') error = { type: 'ServiceTaskFailed', message: ended.message ?? `service task ${taskId} failed` };
    }
  } catch (e) {
    error = { type: (e as Error).name || 'Error', message: (e as Error).message };
  }
  details.output_summary = `service task ${taskId}: ${state === 'succeeded' ? 'finished' : state === 'timed_out' ? 'still running' : 'failed'}`;
  await mirror.write({ ...base, ...firstFields, state, status: SCHEDULER_STATUS[state], end_time: nowIso(), error, result, details, publish: true });
  return { state, exitCode: null };
}
