import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config, ProjectConfig } from '../config/index.js';
import { SCHEDULER_STATUS } from '../domain/status-mapping.js';
import { isTerminal, type CanonicalState } from '../domain/status.js';
import type { TaskRecord } from '../domain/task.js';
import type { Logger } from '../logging.js';
import { ExecutionLogStore } from '../store/execution-logs.js';
import { ExecutionStore } from '../store/executions.js';
import { WorkerStore } from '../store/workers.js';
import { DuplicateScheduleNameError, ScheduleStore, type ScheduleDoc } from '../store/schedules.js';
import { checkAction, refuse, type SchedulerActor } from './actions.js';
import { WORKSPACE_CLEANUP_WORKFLOW, type WorkspaceCleanupWorkflow } from './contract.js';
import { hostUsage, type CleanupSummary } from './host.js';
import { detailsOf, followLog, lastLogLine, logPathOf, readLogTail, type LogEvent, type LogTail, type LogType } from './logs.js';
import { nextRunTime, parseSchedule, storedSchedule, type ScheduleType } from './spec.js';
import { ScheduleGoneError, SchedulerTemporal } from './temporal.js';

/**
 * The scheduler (scheduler-api.md) as a service: tasks as Temporal Schedules with their definitions in MongoDB,
 * their executions, logs and figures. The dialect only translates HTTP to these calls and their answers back.
 */

export interface SchedulerServiceDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  db: Db;
}

/** A task's definition as a create request gives it (defaults applied by the dialect's schema). */
export interface TaskDefinition {
  name: string;
  description?: string | null;
  project_id: number;
  schedule_type: ScheduleType;
  schedule_config?: string;
  is_active: boolean;
  timeout_seconds: number;
  max_instances: number;
  retry_count: number;
  priority: number;
  action?: ({ type: string } & Record<string, unknown>) | null;
}

/** An update: any field of a definition; `action: null` removes the action. */
export type TaskChanges = Partial<TaskDefinition>;

/** A task with what its views show beside its definition. */
export interface TaskState {
  doc: ScheduleDoc;
  /** Its latest execution, or null when it has not run. */
  last: TaskRecord | null;
  /** When its schedule fires next (none while paused). */
  next: Date | null;
  /** RUNNING while an execution runs, PENDING while a next run is due, else the last execution's status. */
  status: string;
}

export interface ExecutionSummary {
  counts: Record<string, number>;
  lastSuccess: Date | null;
  lastFailure: Date | null;
}

/** A task's status word, derived from its executions and its next run (docs/decisions.md "task.status"). */
function taskStatus(last: TaskRecord | null, next: Date | null): string {
  if (last?.state === 'running') return 'RUNNING';
  if (next) return 'PENDING';
  return last ? SCHEDULER_STATUS[last.state] : 'PENDING';
}

export class SchedulerService {
  readonly schedules: ScheduleStore;
  readonly executions: ExecutionStore;
  private readonly logs: ExecutionLogStore;
  private readonly temporal: SchedulerTemporal;
  private readonly projects: Map<number, ProjectConfig>;

  constructor(private readonly deps: SchedulerServiceDeps) {
    this.schedules = new ScheduleStore(deps.db);
    this.executions = new ExecutionStore(deps.db);
    this.logs = new ExecutionLogStore(deps.db);
    // Its indexes (the unique (owner, name) behind the 409 among them) are built at boot, before the API serves.
    this.temporal = new SchedulerTemporal(deps.temporal, deps.config);
    this.projects = new Map(deps.config.scheduler.projects.map((p) => [p.id, p]));
  }

  projectName(id: number): string | null {
    return this.projects.get(id)?.name ?? null;
  }

  // ---- tasks ---------------------------------------------------------------------------------------------------

  private async task(user: SchedulerActor, id: number): Promise<ScheduleDoc> {
    const doc = await this.schedules.get(id, user.sub);
    if (!doc) throw refuse('task_not_found', 'task_id', `task ${id} not found`);
    return doc;
  }

  private stateOf(doc: ScheduleDoc, last: TaskRecord | null, now = new Date()): TaskState {
    const next = doc.is_active ? nextRunTime(storedSchedule(doc.schedule_type, doc.schedule_config), doc.spec_anchor, now) : null;
    return { doc, last, next, status: taskStatus(last, next) };
  }

  private async withLast(doc: ScheduleDoc): Promise<TaskState> {
    const latest = await this.executions.latest([doc]);
    return this.stateOf(doc, latest.get(doc.id) ?? null);
  }

  private project(id: number): ProjectConfig {
    const p = this.projects.get(id);
    if (!p) throw refuse('invalid', 'project_id', `项目不存在：${id}（已配置：${[...this.projects.keys()].join(', ')}）`);
    return p;
  }

  private checkSchedule(type: ScheduleType, cfg: string | undefined, now: Date): void {
    if (type !== 'ONCE' && (cfg === undefined || cfg.trim() === '')) throw refuse('invalid_schedule', 'schedule_config', `schedule_config is required for ${type}`);
    const check = parseSchedule(type, cfg, now);
    if (!check.ok) throw refuse('invalid_schedule', 'schedule_config', check.message);
  }

  /** Writes the definition (the unique owner+name index decides a duplicate), then creates its Schedule. */
  async create(user: SchedulerActor, def: TaskDefinition): Promise<TaskState> {
    const now = new Date();
    const project = this.project(def.project_id);
    this.checkSchedule(def.schedule_type, def.schedule_config, now);
    const action = await checkAction(this.deps.config, user, def.action);
    const id = await this.schedules.nextId();
    const doc: ScheduleDoc = {
      id,
      owner: user.sub,
      name: def.name,
      description: def.description ?? null,
      project_id: def.project_id,
      schedule_type: def.schedule_type,
      schedule_config: def.schedule_type === 'ONCE' ? (def.schedule_config ?? '') : def.schedule_config!.trim(),
      is_active: def.is_active,
      timeout_seconds: def.timeout_seconds,
      max_instances: def.max_instances,
      retry_count: def.retry_count,
      priority: def.priority,
      action: action.doc,
      spec_anchor: now,
      created_at: now,
      updated_at: now,
    };
    // A search for the name first would scan every task on FerretDB.
    try {
      await this.schedules.insert(doc);
    } catch (e) {
      if (e instanceof DuplicateScheduleNameError) throw refuse('duplicate_name', 'name', e.message);
      throw e;
    }
    // Compensation: a definition whose Schedule could not be created is taken back.
    try {
      await this.temporal.create(doc, project, action.secrets);
    } catch (e) {
      await this.schedules.delete(id, user.sub).catch(() => undefined);
      throw e;
    }
    return this.withLast(doc);
  }

  /** The user's tasks, newest first; `status` filters on the derived status word (so after computing it). */
  async list(user: SchedulerActor, q: { page: number; size: number; status?: string; active?: boolean }): Promise<{ total: number; items: TaskState[] }> {
    const filter = { owner: user.sub, ...(q.active !== undefined ? { is_active: q.active } : {}) };
    const states = async (docs: ScheduleDoc[]) => {
      const latest = await this.executions.latest(docs);
      const now = new Date();
      return docs.map((doc) => this.stateOf(doc, latest.get(doc.id) ?? null, now));
    };
    if (q.status === undefined) {
      const { total, items } = await this.schedules.list(filter, (q.page - 1) * q.size, q.size);
      return { total, items: await states(items) };
    }
    const all = (await states((await this.schedules.list(filter, 0, 100_000)).items)).filter((t) => t.status === q.status);
    return { total: all.length, items: all.slice((q.page - 1) * q.size, q.page * q.size) };
  }

  async detail(user: SchedulerActor, id: number): Promise<TaskState & { summary: ExecutionSummary }> {
    const doc = await this.task(user, id);
    const [state, summary] = await Promise.all([this.withLast(doc), this.executions.summary(doc.owner, doc.id)]);
    return { ...state, summary };
  }

  /** Merges the changes into the definition; its Schedule is updated in place, then the definition. */
  async update(user: SchedulerActor, id: number, changes: TaskChanges): Promise<TaskState> {
    const doc = await this.task(user, id);
    const now = new Date();
    if (changes.project_id !== undefined) this.project(changes.project_id);
    const type = changes.schedule_type ?? doc.schedule_type;
    const respec = changes.schedule_type !== undefined || changes.schedule_config !== undefined;
    const cfg = changes.schedule_config !== undefined ? changes.schedule_config.trim() : doc.schedule_config;
    if (respec) this.checkSchedule(type, cfg, now);
    // A new action replaces the old one; without one, the task keeps its action (and its schedule the secrets).
    const action = changes.action !== undefined ? await checkAction(this.deps.config, user, changes.action) : null;
    if (changes.name !== undefined && changes.name !== doc.name && (await this.schedules.nameTaken(user.sub, changes.name, id))) {
      throw refuse('duplicate_name', 'name', `a task named '${changes.name}' already exists`);
    }
    const pick = <K extends keyof TaskChanges & keyof ScheduleDoc>(k: K) => (changes[k] !== undefined ? { [k]: changes[k] } : {});
    const next: ScheduleDoc = {
      ...doc,
      ...pick('name'),
      ...pick('description'),
      ...pick('project_id'),
      schedule_type: type,
      schedule_config: cfg,
      ...pick('is_active'),
      ...pick('timeout_seconds'),
      ...pick('max_instances'),
      ...pick('retry_count'),
      ...pick('priority'),
      action: action ? action.doc : doc.action,
      spec_anchor: respec ? now : doc.spec_anchor,
      updated_at: now,
    };
    await this.temporal.update(next, this.project(next.project_id), respec, action?.secrets);
    if (next.schedule_type === 'ONCE' && next.is_active && !doc.is_active) await this.temporal.runOnceIfNeverRun(next.id);
    const { id: _id, owner: _owner, created_at: _c, ...fields } = next;
    try {
      await this.schedules.update(id, user.sub, fields);
    } catch (e) {
      if (e instanceof DuplicateScheduleNameError) throw refuse('duplicate_name', 'name', e.message);
      throw e;
    }
    return this.withLast(next);
  }

  /** Deletes the task and its Schedule; its executions stay in the history. */
  async remove(user: SchedulerActor, id: number): Promise<void> {
    const doc = await this.task(user, id);
    await this.temporal.delete(doc.id);
    await this.schedules.delete(doc.id, user.sub);
  }

  async pause(user: SchedulerActor, id: number): Promise<void> {
    const doc = await this.task(user, id);
    await taskStillThere(doc.id, () => this.temporal.pause(doc.id));
    await this.schedules.update(doc.id, user.sub, { is_active: false, updated_at: new Date() });
  }

  async resume(user: SchedulerActor, id: number): Promise<void> {
    const doc = await this.task(user, id);
    await taskStillThere(doc.id, () => this.temporal.resume(doc.id, doc.schedule_type));
    await this.schedules.update(doc.id, user.sub, { is_active: true, updated_at: new Date() });
  }

  /** Runs the task now (also while paused); refused while `max_instances` executions already run. */
  async trigger(user: SchedulerActor, id: number): Promise<void> {
    const doc = await this.task(user, id);
    const running = await this.executions.countRunning(doc.id, { owner: user.sub });
    if (running >= doc.max_instances) throw refuse('conflict', 'max_instances', `${running} execution(s) already running (max_instances ${doc.max_instances})`);
    await taskStillThere(doc.id, () => this.temporal.trigger(doc.id));
  }

  // ---- executions ----------------------------------------------------------------------------------------------

  /** A task's executions, newest first; a deleted task keeps its history (found by task id and owner). */
  async executionsOf(
    user: SchedulerActor,
    id: number,
    q: { page: number; size: number; states: CanonicalState[] | null; from: Date | null; to: Date | null },
  ): Promise<{ total: number; rows: TaskRecord[] }> {
    const existing = await this.schedules.get(id, user.sub);
    if (!existing && !(await this.executions.any(user.sub, id))) throw refuse('task_not_found', 'task_id', `task ${id} not found`);
    return this.executions.page(user.sub, id, q, (q.page - 1) * q.size, q.size);
  }

  async execution(user: SchedulerActor, executionId: string): Promise<TaskRecord> {
    const r = await this.executions.get(user.sub, executionId);
    if (!r) throw refuse('execution_not_found', 'execution_id', `execution ${executionId} not found`);
    return r;
  }

  /** The last `lines` lines of an execution's output or error log. */
  async logFile(user: SchedulerActor, executionId: string, type: LogType, lines: number): Promise<LogTail> {
    const r = await this.execution(user, executionId);
    return readLogTail(this.logs, r.task_id, logPathOf(this.deps.config.scheduler.workspaceRoot, r, type), type, lines);
  }

  /**
   * The live log of an execution: each line as it is written, then its end with the final status, once the
   * execution has ended (or its timeout and five minutes have passed). Resolves once the execution is found.
   */
  async logStream(user: SchedulerActor, executionId: string, type: LogType, aborted: () => boolean): Promise<AsyncGenerator<LogEvent>> {
    const first = await this.execution(user, executionId);
    const until = Date.now() + ((detailsOf(first).timeout_seconds ?? 3600) + 300) * 1000;
    return followLog(this.logs, first.task_id, type, {
      ended: async () => {
        const r = await this.executions.current(first.task_id);
        if (!(r && isTerminal(r.state)) && Date.now() <= until) return null;
        return { status: r ? SCHEDULER_STATUS[r.state] : null, exit_code: r ? (detailsOf(r).exit_code ?? null) : null };
      },
      aborted,
    });
  }

  /** A task's counts, success rate, average duration and daily counts of the last 30 days. */
  async stats(user: SchedulerActor, id: number) {
    const doc = await this.task(user, id);
    const since = new Date(Date.now() - 30 * 86400_000);
    const [s, latest] = await Promise.all([this.executions.stats(user.sub, doc.id, since), this.executions.latest([doc])]);
    const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
    const success = s.counts.succeeded ?? 0;
    const days = new Map<string, { date: string; success: number; failed: number }>();
    for (const r of s.recent) {
      const date = r.create_time.toISOString().slice(0, 10);
      const d = days.get(date) ?? { date, success: 0, failed: 0 };
      if (r.state === 'succeeded') d.success += 1;
      else d.failed += 1;
      days.set(date, d);
    }
    return {
      total,
      success,
      failed: (s.counts.failed ?? 0) + (s.counts.timed_out ?? 0),
      successRate: total > 0 ? Math.round((success / total) * 10000) / 10000 : 0,
      averageDuration: s.timedCount > 0 ? Math.round((s.durationSum / s.timedCount) * 1000) / 1000 : null,
      last: latest.get(doc.id) ?? null,
      daily: [...days.values()].sort((a, b) => b.date.localeCompare(a.date)),
    };
  }

  /** Host usage and every user's queue figures (waiting, running, ended today). */
  async figures(): Promise<{ host: Awaited<ReturnType<typeof hostUsage>>; queue: { pending: number; running: number; completed: number } }> {
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    const [host, queue] = await Promise.all([hostUsage(this.deps.config.scheduler.workspaceRoot), this.executions.queueCounts(today)]);
    return { host, queue };
  }

  /** The user's running executions with how long they run and the last line they wrote. */
  async running(user: SchedulerActor): Promise<Array<{ record: TaskRecord; elapsedSeconds: number; progressPercent: number; step: string }>> {
    const rows = await this.executions.running(user.sub);
    const now = Date.now();
    return Promise.all(
      rows.map(async (record) => {
        const elapsedSeconds = record.start_time ? Math.max(0, Math.floor((now - record.start_time.getTime()) / 1000)) : 0;
        const timeout = detailsOf(record).timeout_seconds ?? 3600;
        const step = (await lastLogLine(this.logs, record.task_id)) ?? '执行命令';
        return { record, elapsedSeconds, progressPercent: Math.min(99, Math.floor((elapsedSeconds / timeout) * 100)), step };
      }),
    );
  }

  /**
   * Removes workspaces older than `maxAgeHours` (admins only), except those of executions still running, on every
   * live worker: the workspaces are on the disks of the workers that ran them (the `workspaceCleanup` workflow runs
   * an activity on each one's own task queue). Workers that did not take it in time are named in `unreachable`.
   */
  async cleanup(user: SchedulerActor, maxAgeHours: number): Promise<CleanupSummary & { workers: number; unreachable: string[] }> {
    if (user.role !== 'admin') throw refuse('forbidden', 'role', 'cleanup-workspaces is for admins only');
    const now = new Date();
    const workers = await new WorkerStore(this.deps.db).liveNames(now, this.deps.config.worker.deadAfterSeconds);
    // No live worker, no disk to clean: answering at once beats starting a workflow no worker would run.
    if (workers.length === 0) return { directories_removed: 0, space_freed_mb: 0, oldest_removed: null, workers: 0, unreachable: [] };
    const { taskQueue } = this.deps.config.temporal;
    const result = await this.deps.temporal.workflow.execute<WorkspaceCleanupWorkflow>(WORKSPACE_CLEANUP_WORKFLOW, {
      workflowId: `cleanup-workspaces-${this.deps.db.databaseName}-${now.toISOString()}-${Math.random().toString(36).slice(2, 8)}`,
      taskQueue,
      workflowExecutionTimeout: '15m',
      args: [{ baseTaskQueue: taskQueue, workers, maxAgeHours, now: now.toISOString() }],
    });
    const parts = Object.values(result.byWorker);
    const oldest = parts.map((p) => p.oldest_removed).filter((d): d is string => d !== null).sort()[0];
    return {
      directories_removed: parts.reduce((n, p) => n + p.directories_removed, 0),
      space_freed_mb: Math.round(parts.reduce((n, p) => n + p.space_freed_mb, 0) * 10) / 10,
      oldest_removed: oldest ? new Date(oldest) : null,
      workers: parts.length,
      unreachable: result.unreachable,
    };
  }
}

/**
 * A call on the schedule of a task whose record was just read: a DELETE of the task running meanwhile removes the
 * schedule first, so the task is not found (a 404), not a server error (schemathesis' stateful phase met it on
 * trigger).
 */
async function taskStillThere(id: number, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (e) {
    if (e instanceof ScheduleGoneError) throw refuse('task_not_found', 'task_id', `task ${id} not found`);
    throw e;
  }
}
