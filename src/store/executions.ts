import type { Db, Filter } from 'mongodb';
import type { CanonicalState } from '../domain/status.js';
import type { TaskRecord } from '../domain/task.js';
import { SCHEDULE_LAST_RUN_COLLECTION } from './schedules.js';
import { TaskStore } from './tasks.js';

/**
 * The scheduler dialect's executions: the `tasks` records of kind `command` that a schedule's runs write
 * (`details.schedule_id`). Every query the scheduler service makes of them is here, named by what it answers.
 */
export class ExecutionStore {
  readonly tasks: TaskStore;

  constructor(private readonly db: Db) {
    this.tasks = new TaskStore(db);
  }

  /** One owner's executions of one task (a deleted task keeps its history: found by task id and owner). */
  private ofTask(owner: string, scheduleId: number, extra: Filter<TaskRecord> = {}): Filter<TaskRecord> {
    return { kind: 'command', owner, 'details.schedule_id': scheduleId, ...extra };
  }

  /** An execution of any of the owner's tasks; another owner's is as absent as a missing one. */
  async get(owner: string, executionId: string): Promise<TaskRecord | null> {
    const r = await this.tasks.get(executionId);
    if (!r || r.kind !== 'command' || r.owner !== owner || typeof r.details?.schedule_id !== 'number') return null;
    return r;
  }

  /** The record as it is now, whoever owns it (a live log stream follows its execution to its end). */
  async current(executionId: string): Promise<TaskRecord | null> {
    return this.tasks.get(executionId);
  }

  /**
   * The latest execution of each task: two queries whatever the number of tasks (the schedules' last-run
   * pointers, which each execution's first write sets, then those records by `_id`), never a search of all
   * executions. Tasks that have not run are absent.
   */
  async latest(tasks: { id: number; owner: string }[]): Promise<Map<number, TaskRecord>> {
    if (tasks.length === 0) return new Map();
    const pointers = await this.db
      .collection<{ _id: number; execution_id: string }>(SCHEDULE_LAST_RUN_COLLECTION)
      .find({ _id: { $in: tasks.map((t) => t.id) } })
      .toArray();
    const records = await this.tasks.getMany([...new Set(pointers.map((p) => p.execution_id))]);
    const owners = new Map(tasks.map((t) => [t.id, t.owner]));
    const out = new Map<number, TaskRecord>();
    for (const p of pointers) {
      const r = records.get(p.execution_id);
      if (r && r.owner === owners.get(p._id)) out.set(p._id, r);
    }
    return out;
  }

  /** Whether the task ever ran (its history outlives the task). */
  async any(owner: string, scheduleId: number): Promise<boolean> {
    return (await this.tasks.count(this.ofTask(owner, scheduleId))) > 0;
  }

  /** A page of a task's executions, newest first, filtered by state and creation time. */
  async page(
    owner: string,
    scheduleId: number,
    q: { states?: CanonicalState[] | null; from?: Date | null; to?: Date | null },
    skip: number,
    limit: number,
  ): Promise<{ total: number; rows: TaskRecord[] }> {
    const filter = this.ofTask(owner, scheduleId);
    if (q.states) filter.state = { $in: q.states };
    if (q.from || q.to) filter.create_time = { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lte: q.to } : {}) };
    const [total, rows] = await Promise.all([this.tasks.count(filter), this.tasks.find(filter, { sort: { create_time: -1 }, skip, limit })]);
    return { total, rows };
  }

  /** Counts by state and the end of the latest success and failure (a task's execution summary). */
  async summary(owner: string, scheduleId: number): Promise<{ counts: Record<string, number>; lastSuccess: Date | null; lastFailure: Date | null }> {
    const f = this.ofTask(owner, scheduleId);
    const [counts, lastOk, lastBad] = await Promise.all([
      this.tasks.countByState(f),
      this.tasks.find({ ...f, state: 'succeeded' }, { sort: { end_time: -1 }, limit: 1 }),
      this.tasks.find({ ...f, state: { $in: ['failed', 'timed_out'] } }, { sort: { end_time: -1 }, limit: 1 }),
    ]);
    return { counts, lastSuccess: lastOk[0]?.end_time ?? null, lastFailure: lastBad[0]?.end_time ?? null };
  }

  /** A task's counts by state, summed duration of the timed runs, and its finished runs since `since`. */
  async stats(owner: string, scheduleId: number, since: Date): Promise<{ counts: Record<string, number>; durationSum: number; timedCount: number; recent: TaskRecord[] }> {
    const f = this.ofTask(owner, scheduleId);
    // FerretDB has no $avg: the average is a $sum divided by a count. (FerretDB 1.24 answers `n: 0` for
    // `{$sum: 1}` under `_id: null`, so the count is a countDocuments.)
    const timed: Filter<TaskRecord> = { ...f, 'details.duration_seconds': { $gte: 0 } };
    const [counts, durations, timedCount, recent] = await Promise.all([
      this.tasks.countByState(f),
      this.tasks.collection.aggregate<{ sum: number }>([{ $match: timed }, { $group: { _id: null, sum: { $sum: '$details.duration_seconds' } } }]).toArray(),
      this.tasks.count(timed),
      this.tasks.find({ ...f, create_time: { $gte: since }, state: { $in: ['succeeded', 'failed', 'timed_out'] } }, { sort: { create_time: -1 }, limit: 100_000 }),
    ]);
    return { counts, durationSum: durations[0]?.sum ?? 0, timedCount, recent };
  }

  /** Executions of a task running now (the `max_instances` rule), other than `excluding`. */
  async countRunning(scheduleId: number, opts: { owner?: string; excluding?: string } = {}): Promise<number> {
    return this.tasks.count({
      kind: 'command',
      state: 'running',
      'details.schedule_id': scheduleId,
      ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
      ...(opts.excluding !== undefined ? { task_id: { $ne: opts.excluding } } : {}),
    });
  }

  /** The owner's running executions, latest started first. */
  async running(owner: string): Promise<TaskRecord[]> {
    return this.tasks.find({ kind: 'command', owner, 'details.schedule_id': { $gte: 1 }, state: 'running' }, { sort: { start_time: -1 }, limit: 1000 });
  }

  /** Every user's scheduled runs waiting, running, and ended since `since` (the dialect's queue figures). */
  async queueCounts(since: Date): Promise<{ pending: number; running: number; completed: number }> {
    const base = { kind: 'command' as const, queue: 'scheduler' };
    const [pending, running, completed] = await Promise.all([
      this.tasks.count({ ...base, state: { $in: ['queued', 'ready'] } }),
      this.tasks.count({ ...base, state: 'running' }),
      this.tasks.count({ ...base, state: { $in: ['succeeded', 'failed', 'timed_out', 'cancelled'] }, end_time: { $gte: since } }),
    ]);
    return { pending, running, completed };
  }
}
