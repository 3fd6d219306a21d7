import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, type Client, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';
import type { Config, ProjectConfig } from '../config/index.js';
import type { DeviceJobRequest } from '../device/request.js';
import { schedulerPriorityKey } from '../domain/priority.js';
import type { ScheduleDoc } from '../store/schedules.js';
import { jobMemo, schedulerRunSummary } from '../domain/job-summary.js';
import { schedulerRunSearchAttributes } from '../temporal/search-attributes.js';
import { COMMAND_RUN_WORKFLOW, executionPrefix, scheduleIdFor, triggeredExecutionId, type CommandRunInput, type CommandRunWorkflow } from './contract.js';
import { buildSpec, storedSchedule } from './spec.js';

/** What a run needs that MongoDB does not keep: a `device` action's request with its credentials. */
export interface RunSecrets {
  deviceRequest?: DeviceJobRequest;
}

/** A `device` task's schedule lost its request (it was not created through this service): set the action again. */
export class DeviceRequestMissingError extends Error {
  constructor(taskId: number) {
    super(`task ${taskId}: the device request is not in its schedule; give action again`);
    this.name = 'DeviceRequestMissingError';
  }
}

export function runArgs(doc: ScheduleDoc, project: ProjectConfig, secrets: RunSecrets = {}): CommandRunInput {
  const action = doc.action;
  const common = {
    scheduleId: doc.id,
    taskName: doc.name,
    owner: doc.owner,
    timeoutSeconds: doc.timeout_seconds,
    retryCount: doc.retry_count,
    priority: doc.priority,
    maxInstances: doc.max_instances,
  };
  if (action?.type === 'service') {
    return { ...common, command: '', env: {}, source: 'service', serviceJob: { service: action.service, condition: action.condition } };
  }
  if (action?.type === 'device') {
    if (!secrets.deviceRequest) throw new DeviceRequestMissingError(doc.id);
    return { ...common, command: '', env: {}, source: 'device', deviceJob: { request: secrets.deviceRequest } };
  }
  if (action?.type === 'gpu') {
    const { type: _type, ...body } = action;
    return { ...common, command: '', env: {}, source: 'gpu', gpuJob: { body } };
  }
  if (action?.type === 'command') return { ...common, command: action.command, env: action.env ?? {}, source: 'command' };
  return { ...common, command: project.entry_command, env: {}, ...(project.workdir ? { cwd: project.workdir } : {}), source: 'project' };
}

/** Everything about a task's Temporal Schedule: spec, action, policies, state. */
export class SchedulerTemporal {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

  scheduleId(taskId: number): string {
    return scheduleIdFor(this.config.mongo.db, taskId);
  }

  private options(doc: ScheduleDoc, project: ProjectConfig, secrets: RunSecrets) {
    const plan = buildSpec(storedSchedule(doc.schedule_type, doc.schedule_config), doc.spec_anchor);
    const args = runArgs(doc, project, secrets);
    return {
      plan,
      spec: plan.spec as ScheduleOptions['spec'],
      action: {
        type: 'startWorkflow' as const,
        workflowType: COMMAND_RUN_WORKFLOW,
        workflowId: executionPrefix(this.config.mongo.db, doc.id),
        taskQueue: this.config.temporal.taskQueue,
        args: [args],
        typedSearchAttributes: schedulerRunSearchAttributes(doc.id, doc.owner),
        memo: jobMemo(schedulerRunSummary({ taskId: doc.id, owner: doc.owner, source: args.source })),
        // Where runs wait for a worker, higher task priority goes first (docs/decisions.md "Priority"). The SDK's
        // schedule action type omits `priority`, but its encoder sends it (SDK 1.24).
        priority: { priorityKey: schedulerPriorityKey(doc.priority) },
      },
      policies: {
        overlap: doc.max_instances === 1 ? ScheduleOverlapPolicy.SKIP : ScheduleOverlapPolicy.ALLOW_ALL,
        catchupWindow: '1 minute',
        pauseOnFailure: false,
      },
    };
  }

  async create(doc: ScheduleDoc, project: ProjectConfig, secrets: RunSecrets = {}): Promise<void> {
    const o = this.options(doc, project, secrets);
    await this.client.schedule.create({
      scheduleId: this.scheduleId(doc.id),
      spec: o.spec,
      action: o.action as ScheduleOptions['action'],
      policies: o.policies,
      memo: { owner: doc.owner, task_id: doc.id },
      state: {
        paused: !doc.is_active,
        note: doc.is_active ? undefined : 'created inactive',
        triggerImmediately: o.plan.triggerImmediately && doc.is_active,
        ...(o.plan.limitedActions ? { remainingActions: o.plan.remainingActions } : {}),
      },
    });
  }

  /**
   * Replaces spec, action and policies in place; `respec` also resets the one remaining action of a DATE task.
   * A `device` task updated without a new action keeps the request its schedule holds (MongoDB has only the
   * redacted one).
   */
  async update(doc: ScheduleDoc, project: ProjectConfig, respec: boolean, secrets: RunSecrets = {}): Promise<void> {
    const handle = this.client.schedule.getHandle(this.scheduleId(doc.id));
    await handle.update((prev): ScheduleUpdateOptions => {
      const kept = (prev.action as { args?: unknown[] }).args?.[0] as Partial<CommandRunInput> | undefined;
      const deviceRequest = secrets.deviceRequest ?? (doc.action?.type === 'device' ? kept?.deviceJob?.request : undefined);
      const o = this.options(doc, project, { deviceRequest });
      const state = { ...prev.state, paused: !doc.is_active };
      if (respec) {
        if (o.plan.limitedActions && doc.schedule_type === 'DATE') Object.assign(state, { remainingActions: o.plan.remainingActions });
        else if (!o.plan.limitedActions) Object.assign(state, { remainingActions: undefined });
      }
      return {
        ...prev,
        spec: respec ? o.spec : prev.spec,
        action: { ...prev.action, ...o.action } as ScheduleUpdateOptions['action'],
        policies: { ...prev.policies, ...o.policies },
        state: state as ScheduleUpdateOptions['state'],
      };
    });
  }

  async pause(taskId: number): Promise<void> {
    await scheduleOf(taskId, () => this.client.schedule.getHandle(this.scheduleId(taskId)).pause('paused by the scheduler API'));
  }

  /**
   * Unpauses the schedule. A ONCE task created inactive has no spec to fire it: it runs when first resumed (or
   * set active), once; a ONCE task that has already run stays done.
   */
  async resume(taskId: number, type: ScheduleDoc['schedule_type']): Promise<void> {
    const handle = this.client.schedule.getHandle(this.scheduleId(taskId));
    await scheduleOf(taskId, () => handle.unpause('resumed by the scheduler API'));
    if (type === 'ONCE') await scheduleOf(taskId, () => this.runOnceIfNeverRun(taskId));
  }

  async runOnceIfNeverRun(taskId: number): Promise<void> {
    const handle = this.client.schedule.getHandle(this.scheduleId(taskId));
    const d = await handle.describe();
    if (d.info.numActionsTaken === 0 && d.info.runningActions.length === 0) await handle.trigger(ScheduleOverlapPolicy.SKIP);
  }

  /**
   * Runs the task now, whatever its spec or paused state; the service has already checked max_instances. The run
   * is started here with the schedule's action, not by the schedule's own trigger: Temporal names a triggered run
   * by the second it starts, so a trigger in the same second as another run of the task got that run's workflow
   * id (dropped while that run still ran, or its record overwritten after). This id carries milliseconds.
   */
  async trigger(taskId: number): Promise<void> {
    const { action } = await scheduleOf(taskId, () => this.client.schedule.getHandle(this.scheduleId(taskId)).describe());
    const input = (action.args ?? [])[0] as CommandRunInput;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.workflow.start<CommandRunWorkflow>(action.workflowType, {
          workflowId: triggeredExecutionId(action.workflowId, new Date()),
          taskQueue: action.taskQueue,
          args: [input],
          priority: { priorityKey: schedulerPriorityKey(input.priority) },
          typedSearchAttributes: schedulerRunSearchAttributes(input.scheduleId, input.owner),
          memo: jobMemo(schedulerRunSummary({ taskId: input.scheduleId, owner: input.owner, source: input.source })),
        });
        return;
      } catch (e) {
        // Two triggers in one millisecond: the next millisecond names the second.
        if (!(e instanceof WorkflowExecutionAlreadyStartedError) || attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  }

  async delete(taskId: number): Promise<void> {
    try {
      await this.client.schedule.getHandle(this.scheduleId(taskId)).delete();
    } catch (e) {
      if (!(e instanceof ScheduleNotFoundError)) throw e;
    }
  }

  /** The next action time Temporal plans (none while paused or when no action remains). */
  async nextRunTime(taskId: number): Promise<Date | null> {
    try {
      const d = await this.client.schedule.getHandle(this.scheduleId(taskId)).describe();
      if (d.state.paused) return null;
      if (d.state.remainingActions === 0) return null;
      return d.info.nextActionTimes[0] ?? null;
    } catch (e) {
      if (e instanceof ScheduleNotFoundError) return null;
      throw e;
    }
  }
}

/** The task's schedule is gone: a DELETE of the task ran meanwhile (it removes the schedule before the record). */
export class ScheduleGoneError extends Error {
  constructor(readonly taskId: number) {
    super(`the schedule of task ${taskId} is gone`);
    this.name = 'ScheduleGoneError';
  }
}

async function scheduleOf<T>(taskId: number, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) throw new ScheduleGoneError(taskId);
    throw e;
  }
}
