import {
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RunCommandResult } from '../activities/shell.js';
import { DEVICE_JOB_WORKFLOW, type DeviceJobWorkflow } from '../src/device/contract.js';
import type { DeviceJobRequest } from '../src/device/request.js';
import { deviceJobId, gpuTaskId, serviceTaskId } from '../src/domain/ids.js';
import { GPU_TASK_WORKFLOW, type GpuTaskWorkflow } from '../src/gpu/contract.js';
import type { GpuCreateTask } from '../src/gpu/request.js';
import { scheduledTimeOf, type CommandRunInput, type CommandRunResult } from '../src/scheduler/contract.js';
import { SERVICE_TASK_WORKFLOW, type ServiceTaskWorkflow } from '../src/service-tasks/contract.js';
import { schedulerPriorityKey } from '../src/domain/priority.js';
import type { CanonicalState } from '../src/domain/status.js';
import { DEVICE_STATUS, GPU_STATUS, SCHEDULER_STATUS } from '../src/domain/status-mapping.js';
import { deviceJobSearchAttributes, gpuTaskSearchAttributes, SA_KIND, SA_SERVICE } from '../src/temporal/search-attributes.js';
import { MIRROR_LOCAL } from './presets.js';
import { nowIso, TaskMirror } from './mirror.js';

const { countRunningExecutions, prepareScheduledServiceTask, prepareScheduledDeviceJob, enqueueScheduledDeviceJob, prepareScheduledGpuTask, gpuEnqueue } = proxyLocalActivities<
  Pick<Activities, 'countRunningExecutions' | 'prepareScheduledServiceTask' | 'prepareScheduledDeviceJob' | 'enqueueScheduledDeviceJob' | 'prepareScheduledGpuTask' | 'gpuEnqueue'>
>(MIRROR_LOCAL);

/**
 * One execution of a scheduled task (kind `command`): mirrored as RUNNING, then SUCCESS, FAILED, CANCELLED or
 * TIMEOUT with exit code, duration, resource usage and log paths. A failed or timed-out attempt is retried
 * `retryCount` times; the worker-side activity retries only infrastructure failures (a lost worker).
 */
export async function commandRun(input: CommandRunInput): Promise<CommandRunResult> {
  const info = workflowInfo();
  const executionId = info.workflowId;
  const mirror = new TaskMirror(executionId);
  const { runCommand } = proxyActivities<Pick<Activities, 'runCommand'>>({
    startToCloseTimeout: `${input.timeoutSeconds + 60}s`,
    heartbeatTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
    // The run's own priority (the schedule started it with the same key): a waiting command with a higher
    // task priority is handed to a worker first.
    priority: { priorityKey: schedulerPriorityKey(input.priority) },
  });
  const base = { kind: 'command' as const, queue: 'scheduler', owner: input.owner, priority: input.priority };
  const details: Record<string, unknown> = {
    schedule_id: input.scheduleId,
    task_name: input.taskName,
    scheduled_time: scheduledTimeOf(executionId),
    source: input.source,
    timeout_seconds: input.timeoutSeconds,
    attempts: 0,
  };
  // The record is first written as RUNNING by the command's activity once the command has started: no MongoDB
  // write on the path from the scheduled time to the command's start (a PENDING write first cost 50-150 ms).
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

  if (input.serviceJob) return followJob(input, mirror, base, details, firstFields, serviceJob(input.serviceJob));
  if (input.deviceJob) return followJob(input, mirror, base, details, firstFields, deviceJob(input, executionId, input.deviceJob.request));
  if (input.gpuJob) return followJob(input, mirror, base, details, firstFields, gpuJob(input, executionId, input.gpuJob.body));

  let result: RunCommandResult | null = null;
  let state: CanonicalState = 'failed';
  let errorInfo: { type: string; message: string } | null = null;
  for (let attempt = 1; attempt <= input.retryCount + 1; attempt++) {
    details.attempts = attempt;
    const startField = attempt === 1 ? { ...firstFields, start_time: nowIso() } : {};
    const running = { ...base, task_id: executionId, rev: mirror.nextRev(), state: 'running' as const, status: SCHEDULER_STATUS.running, ...startField, details: { ...details }, publish: attempt === 1 };
    try {
      result = await runCommand({ executionId, command: input.command, env: input.env, cwd: input.cwd, timeoutSeconds: input.timeoutSeconds, attempt, running });
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
    // The first fields again: should the RUNNING write have been missed, this write makes the record whole.
    ...firstFields,
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

/** How a followed job ended, in the execution's terms. */
interface JobEnd {
  state: CanonicalState;
  /** The job's own status word (its dialect's), for the summary and the result. */
  status: string;
  result: Record<string, unknown>;
  error: { type: string; message: string } | null;
}

/** A job kind a run creates: its id, what the summary calls it, and how to create it (resolving to its end). */
interface ChildJob {
  kind: 'service' | 'device' | 'gpu';
  id: string;
  noun: string;
  /**
   * Writes the job's record and starts its workflow as a child that outlives the execution; resolves once it
   * has started, with the job's end (wrapped: an async function would otherwise wait for it).
   */
  start(): Promise<{ end: Promise<JobEnd> }>;
}

/** A child workflow that was cancelled (a device job cancelled through `DELETE /job`) or failed outright. */
function childFailure(e: unknown, id: string): JobEnd {
  const cause = e instanceof ChildWorkflowFailure ? e.cause : e;
  if (isCancellation(e) || isCancellation(cause)) return { state: 'cancelled', status: 'cancelled', result: { job_id: id, status: 'cancelled' }, error: { type: 'Cancelled', message: `job ${id} was cancelled` } };
  const err = (cause ?? e) as Error;
  return { state: 'failed', status: 'failed', result: { job_id: id, status: 'failed' }, error: { type: err.name || 'Error', message: err.message } };
}

/**
 * A `service` action: a service task (its record as create_task writes it, then its `serviceTask` workflow).
 * The execution ends with the task's outcome.
 */
function serviceJob(job: NonNullable<CommandRunInput['serviceJob']>): ChildJob {
  const taskId = serviceTaskId(job.service, uuid4());
  return {
    kind: 'service',
    id: taskId,
    noun: 'service task',
    async start() {
      const taskInput = await prepareScheduledServiceTask({ taskId, service: job.service, condition: job.condition });
      const child = await startChild<ServiceTaskWorkflow>(SERVICE_TASK_WORKFLOW, {
        workflowId: taskId,
        args: [taskInput],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: SA_KIND, value: 'service' },
          { key: SA_SERVICE, value: job.service },
        ],
      });
      const end = child.result().then(
        (ended): JobEnd => {
          const ok = ended.status === 'finished';
          return {
            state: ok ? 'succeeded' : 'failed',
            status: ended.status,
            result: { task_id: taskId, job_id: taskId, status: ended.status, data: ended.data ?? null },
            error: ok ? null : { type: 'ServiceTaskFailed', message: ended.message ?? `service task ${taskId} failed` },
          };
        },
        (e: unknown) => childFailure(e, taskId),
      );
      return { end };
    },
  };
}

/**
 * A `device` action: one device job exactly as `POST /device/exec` submits it (its queued record, its own
 * `deviceJob` workflow, pinned lane or fifo), with a new job id per run. The execution ends with the job's
 * outcome: finished → SUCCESS, failed → FAILED, failed by timeout → TIMEOUT, cancelled → CANCELLED.
 */
function deviceJob(input: CommandRunInput, executionId: string, request: DeviceJobRequest): ChildJob {
  const jobId = deviceJobId(uuid4());
  return {
    kind: 'device',
    id: jobId,
    noun: 'device job',
    async start() {
      const plan = await prepareScheduledDeviceJob({ jobId, request, origin: { schedule_id: input.scheduleId, execution_id: executionId } });
      const child = await startChild<DeviceJobWorkflow>(DEVICE_JOB_WORKFLOW, {
        workflowId: jobId,
        args: [plan.input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: deviceJobSearchAttributes(plan.queue, plan.host, input.scheduleId),
      });
      if (plan.pinned) await enqueueScheduledDeviceJob({ plan, enqueuedAt: nowIso() });
      const end = child.result().then(
        (o): JobEnd => ({
          state: o.state,
          status: DEVICE_STATUS[o.state],
          result: { job_id: jobId, status: DEVICE_STATUS[o.state], queue: plan.queue, worker: o.worker },
          error: o.state === 'succeeded' ? null : (o.error ?? { type: 'DeviceJobFailed', message: `device job ${jobId} ${DEVICE_STATUS[o.state]}` }),
        }),
        (e: unknown) => childFailure(e, jobId),
      );
      return { end };
    },
  };
}

/**
 * A `gpu` action: one GPU task exactly as `POST /api/v2/tasks` creates it (displayId, QUEUED record, its
 * `gpuTask` workflow, its entry in the type's dispatcher queue). The execution ends with the task's outcome:
 * COMPLETED → SUCCESS, FAILED → FAILED, TIMEOUT → TIMEOUT.
 */
function gpuJob(input: CommandRunInput, executionId: string, body: GpuCreateTask): ChildJob {
  const taskId = gpuTaskId(uuid4());
  return {
    kind: 'gpu',
    id: taskId,
    noun: 'GPU task',
    async start() {
      const prepared = await prepareScheduledGpuTask({ taskId, body, origin: { schedule_id: input.scheduleId, execution_id: executionId } });
      const child = await startChild<GpuTaskWorkflow>(GPU_TASK_WORKFLOW, {
        workflowId: taskId,
        args: [prepared.input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: gpuTaskSearchAttributes(prepared.input.taskType, prepared.input.displayId, input.scheduleId),
      });
      await gpuEnqueue({ taskType: body.taskType, entry: prepared.entry });
      const end = child.result().then(
        (o): JobEnd => {
          const state: CanonicalState = o.status === GPU_STATUS.succeeded ? 'succeeded' : o.status === GPU_STATUS.timed_out ? 'timed_out' : 'failed';
          return {
            state,
            status: o.status,
            result: { job_id: taskId, task_id: taskId, display_id: prepared.input.displayId, status: o.status, gpu_id: o.gpuId, result: o.result },
            error: state === 'succeeded' ? null : { type: state === 'timed_out' ? 'Timeout' : 'GpuTaskFailed', message: o.errorMessage ?? `GPU task ${taskId} ${o.status}` },
          };
        },
        (e: unknown) => childFailure(e, taskId),
      );
      return { end };
    },
  };
}

/**
 * Creates the run's job and ends with its outcome, or TIMEOUT when the job has not ended within
 * `timeout_seconds` (the job itself carries on under its own limits). The job id is in the execution's details
 * (`job_id`, `job_kind`) and result. A job run is one attempt: `retry_count` does not re-submit it (each kind
 * retries in its own way: device connections, GPU `maxRetries`).
 */
async function followJob(
  input: CommandRunInput,
  mirror: TaskMirror,
  base: MirrorBase,
  details: Record<string, unknown>,
  firstFields: { create_time: string; enqueue_time: string },
  job: ChildJob,
): Promise<CommandRunResult> {
  details.job_id = job.id;
  details.job_kind = job.kind;
  details.attempts = 1;
  let state: CanonicalState = 'failed';
  let error: { type: string; message: string } | null = null;
  let result: unknown = null;
  let word = 'not created';
  try {
    const { end } = await job.start();
    await mirror.write({ ...base, ...firstFields, state: 'running', status: SCHEDULER_STATUS.running, start_time: nowIso(), details, publish: true });
    const ended = await Promise.race([end, sleep(input.timeoutSeconds * 1000).then(() => null)]);
    if (!ended) {
      state = 'timed_out';
      word = 'still running';
      result = { job_id: job.id, status: 'running' };
      error = { type: 'Timeout', message: `${job.noun} ${job.id} did not end within timeout_seconds (${input.timeoutSeconds} s)` };
    } else {
      ({ state, error, result } = ended);
      word = ended.status;
    }
  } catch (e) {
    error = { type: (e as Error).name || 'Error', message: (e as Error).message };
  }
  details.output_summary = `${job.noun} ${job.id}: ${word}`;
  await mirror.write({ ...base, ...firstFields, state, status: SCHEDULER_STATUS[state], end_time: nowIso(), error, result, details, publish: true });
  return { state, exitCode: null };
}
