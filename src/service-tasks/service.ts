import { annotateActiveSpan } from '../tracing/spans.js';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config, ServiceConfig } from '../config/index.js';
import { HttpConditionError, isHttpBuiltin, parseHttpCondition } from './http-condition.js';
import { readyServiceRecord, serviceTaskInput } from './ready.js';
import { canRestart } from '../domain/status.js';
import { newServiceTaskId } from '../domain/ids.js';
import type { TaskRecord } from '../domain/task.js';
import type { Logger } from '../logging.js';
import { emptyStatusMessage, type ServiceTaskStore } from '../store/service-tasks.js';
import { serviceTaskSearchAttributes } from '../temporal/search-attributes.js';
import { jobMemo, serviceTaskSummary } from '../domain/job-summary.js';
import {
  serviceStatusUpdate,
  SERVICE_TASK_WORKFLOW,
  statusReportRefusal,
  type ServiceTaskInput,
  type ServiceTaskWorkflow,
  type StatusChange,
  type StatusChangeReply,
} from './contract.js';

const UPDATE_DEADLINE_MS = 10_000;
/** How long an answer waits for a run that has recorded its end to close (it closes within moments). */
const RUN_CLOSE_WAIT_MS = 5_000;
const RUN_CLOSE_POLL_MS = 25;

/** Why a service-task operation was refused; the dialect turns `kind` into its HTTP status. */
export class ServiceTaskError extends Error {
  constructor(
    readonly kind: 'invalid' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'ServiceTaskError';
  }
}

export const SERVICE_NOT_SUPPORTED = 'service not support';

export interface ServiceTaskDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  store: ServiceTaskStore;
}

export interface CreateOutcome {
  taskId: string;
  /** The id was already started (a redelivered or repeated message): nothing new was started. */
  duplicate: boolean;
}

/** Revisions written outside a workflow: after every write of a finished run, before any write of the next. */
function apiRev(): number {
  return Date.now() * 1000 + 999;
}

/**
 * The long-task operations shared by the HTTP dialect and the Kafka ingest consumer: create, start again, change
 * the condition, report a status. Workflow id = task id, so starting the same id twice starts one workflow.
 */
export class ServiceTasks {
  constructor(private readonly deps: ServiceTaskDeps) {}

  serviceConfig(name: string): ServiceConfig | undefined {
    return this.deps.config.services.list.find((s) => s.name === name);
  }

  serviceNames(): string[] {
    return this.deps.config.services.list.map((s) => s.name);
  }

  /** What a service's own condition rules refuse before anything is stored: the `http` built-in's URL and headers. */
  private checkCondition(svc: ServiceConfig | undefined, condition: unknown): void {
    if (!isHttpBuiltin(svc)) return;
    try {
      parseHttpCondition(this.deps.config, condition);
    } catch (e) {
      if (e instanceof HttpConditionError) throw new ServiceTaskError('invalid', `Invalid parameter: ${e.message}`);
      throw e;
    }
  }

  private async startWorkflow(input: ServiceTaskInput, reuse: WorkflowIdReusePolicy): Promise<boolean> {
    annotateActiveSpan({ 'switchyard.job.id': input.taskId, 'switchyard.job.kind': 'service' });
    try {
      await this.deps.temporal.workflow.start<ServiceTaskWorkflow>(SERVICE_TASK_WORKFLOW, {
        taskQueue: this.deps.config.temporal.taskQueue,
        workflowId: input.taskId,
        args: [input],
        workflowIdReusePolicy: reuse,
        typedSearchAttributes: serviceTaskSearchAttributes(input.service),
        memo: jobMemo(serviceTaskSummary({ service: input.service })),
      });
      return true;
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw e;
    }
  }

  /**
   * Records the task as `ready` (the document's initial status, with `create_time`), then starts its workflow,
   * which hands it off (`waiting`). A given id that was ever started before is a duplicate and starts nothing.
   */
  async create(opts: { service: string; condition: unknown; taskId?: string }): Promise<CreateOutcome> {
    const svc = this.serviceConfig(opts.service);
    if (!svc) throw new ServiceTaskError('invalid', SERVICE_NOT_SUPPORTED);
    this.checkCondition(svc, opts.condition);
    const taskId = opts.taskId ?? newServiceTaskId(svc.name);
    // A repeated id finds its record already there ('stale') and changes nothing; its start below is refused.
    await this.deps.store.insertReady(readyServiceRecord(svc, taskId, opts.condition));
    const started = await this.startWorkflow(serviceTaskInput(svc, taskId, opts.condition), WorkflowIdReusePolicy.REJECT_DUPLICATE);
    return { taskId, duplicate: !started };
  }

  async get(taskId: string): Promise<TaskRecord> {
    const record = await this.deps.store.get(taskId);
    if (!record) throw new ServiceTaskError('not_found', `task not found: ${taskId}`);
    return record;
  }

  private async isRunning(taskId: string): Promise<boolean> {
    try {
      const d = await this.deps.temporal.workflow.getHandle(taskId).describe();
      return d.status.name === 'RUNNING';
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return false;
      throw e;
    }
  }

  /** Polls until the task's run has closed or the time is up; true once closed. */
  private async untilRunCloses(taskId: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!(await this.isRunning(taskId))) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, RUN_CLOSE_POLL_MS));
    }
  }

  /**
   * The record of a task that start_task or update_task may change: one whose record says it is ready or has
   * ended, and whose run has closed. A record that says the task ended while its run is still closing (the run
   * records its end, then completes) is given a moment for the run to close; if it does not, the answer says that,
   * rather than "task is failed: only a ready, failed or finished task can be started".
   */
  private async restartable(taskId: string, refusal: (status: string) => string): Promise<TaskRecord> {
    const record = await this.get(taskId);
    if (!canRestart(record.state)) throw new ServiceTaskError('conflict', refusal(record.status));
    if (!(await this.isRunning(taskId))) return record;
    if (!(await this.untilRunCloses(taskId, RUN_CLOSE_WAIT_MS))) {
      throw new ServiceTaskError('conflict', `task is ${record.status}, but its run has not closed yet: try again shortly`);
    }
    // The closing run may have written once more: decide on the record as it now stands.
    const now = await this.get(taskId);
    if (!canRestart(now.state)) throw new ServiceTaskError('conflict', refusal(now.status));
    return now;
  }

  /** start_task: runs a ready, failed or finished task again: a new workflow run under the same id. */
  async start(taskId: string): Promise<void> {
    const record = await this.restartable(taskId, (status) => `task is ${status}: only a ready, failed or finished task can be started`);
    const svc = this.serviceConfig(record.service ?? '');
    if (!svc) throw new ServiceTaskError('invalid', SERVICE_NOT_SUPPORTED);
    const started = await this.startWorkflow(serviceTaskInput(svc, taskId, record.condition), WorkflowIdReusePolicy.ALLOW_DUPLICATE);
    if (!started) throw new ServiceTaskError('conflict', 'task is already running');
  }

  /** update_task: a new condition for a task that is not in flight; the task is then `ready` for start_task. */
  async updateCondition(taskId: string, condition: unknown): Promise<void> {
    const record = await this.get(taskId);
    this.checkCondition(this.serviceConfig(record.service ?? ''), condition);
    await this.restartable(taskId, (status) => `task is ${status}: its condition cannot change until it ends`);
    await this.deps.store.apply({
      task_id: taskId,
      rev: apiRev(),
      state: 'ready',
      status: 'ready',
      condition,
      start_time: null,
      end_time: null,
      status_message: emptyStatusMessage(),
      result: null,
      error: null,
    });
  }

  /** update_status_task: delivered to the workflow as an Update; its validator refuses illegal transitions. */
  async reportStatus(taskId: string, change: StatusChange): Promise<StatusChangeReply> {
    const record = await this.get(taskId);
    // The workflow's own rule, decided here from the record without asking a worker.
    const dispatch = this.serviceConfig(record.service ?? '')?.dispatch;
    const refusal = statusReportRefusal({ taskId, dispatch, status: record.status }, change);
    // A record that says the task has ended is asked of Temporal before refusing: a report whose Update was lost
    // with a Temporal restart after its mirror write had landed leaves the record ended and the run still waiting
    // for that report (the fault suite saw it); the run's own validator decides then.
    if (refusal && !(dispatch === 'kafka' && (await this.isRunning(taskId)))) throw new ServiceTaskError('conflict', refusal);
    try {
      // An Update waits for a worker to run its validator; with none answering, say so instead of hanging.
      const reply = await this.deps.temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
        this.deps.temporal.workflow.getHandle(taskId).executeUpdate(serviceStatusUpdate, { args: [change] }),
      );
      // Read-your-writes: an answer that says the task ended is given once its run has closed too, so the
      // client's next start_task or update_task finds the task as the answer said. The handler has already
      // recorded the end; the run closes right after, or once a hand-off it still awaits returns.
      if (change.status !== 'running') await this.untilRunCloses(taskId, RUN_CLOSE_WAIT_MS);
      return reply;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError || /already completed|not found/i.test((e as Error).message)) {
        throw new ServiceTaskError('conflict', `task is ${record.status}: cannot become ${change.status}`);
      }
      const cause = (e as { cause?: Error }).cause;
      if ((e as Error).name === 'WorkflowUpdateFailedError' && cause) throw new ServiceTaskError('conflict', cause.message);
      throw e;
    }
  }
}
