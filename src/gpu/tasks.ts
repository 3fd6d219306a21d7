import type { Db } from 'mongodb';
import type { Config } from '../config/index.js';
import { newGpuTaskId } from '../domain/ids.js';
import { GpuNodeStore, nextGpuDisplayId, type GpuNodeRecord } from '../store/gpu-nodes.js';
import type { TaskStore } from '../store/tasks.js';
import type { TaskRecord, TaskUpdate } from '../domain/task.js';
import { gpuDispatchFailedSignal, gpuQueueName, GPU_TASK_WORKFLOW, type DispatchFailedSignal, type GpuTaskInput, type GpuTaskWorkflow } from './contract.js';
import { gpuTaskSearchAttributes } from '../temporal/search-attributes.js';
import { gpuTaskSummary, jobMemo } from '../domain/job-summary.js';
import type { GpuCreateTask } from './request.js';
import { enqueueTask, type GpuOps } from './ops.js';
import { placeTask } from './placement.js';
import { estimateWaitSeconds, planAssignments, waitingReason, type QueueEntry } from './priority.js';

/**
 * Creating a GPU task, shared by `POST /api/v2/tasks` and a scheduled `gpu` action: the request body, the
 * QUEUED record (with its displayId and queue facts), and the start of its `gpuTask` workflow with its
 * dispatcher. No dialect code: the GPU dialect and the scheduler both call this.
 */

/** Observed averages per task type, kept a few seconds: an estimate need not rescan finished tasks on every create. */
const averageCache = new WeakMap<TaskStore, Map<number, { at: number; value: Promise<number> }>>();
const AVERAGE_TTL_MS = 5000;

/** Average run time (seconds) of the last finished tasks of a type; 60 s before any has finished. */
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

/** QUEUED task records of a type, with `more` conditions. */
export function queuedFilter<More extends Record<string, unknown>>(taskType: number, more: More) {
  return { kind: 'gpu', state: 'queued', queue: gpuQueueName(taskType), ...more };
}

/** Queued tasks of the same type that go before a task of this priority created at `created` (priority order = class order). */
export function aheadFilter(taskType: number, priority: number, created: Date, taskId?: string) {
  return queuedFilter(taskType, {
    ...(taskId ? { task_id: { $ne: taskId } } : {}),
    $or: [{ priority: { $gt: priority } }, { priority, create_time: { $lt: created } }],
  });
}

/**
 * The QUEUED records a `queuedFilter` finds (at most `limit` looked at) that really wait: a task already placed on
 * a node reads QUEUED until its workflow writes RUNNING, and holds a slot.
 */
export async function unplacedQueued(ops: Pick<GpuOps, 'tasks' | 'nodes'>, filter: ReturnType<typeof queuedFilter>, limit: number): Promise<TaskRecord[]> {
  const rows = await ops.tasks.find(filter as never, { limit });
  const placed = await ops.nodes.holdingSlots(rows.map((r) => r.task_id));
  return rows.filter((r) => !placed.has(r.task_id));
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

/** What creating a task needs: its config, database and task records. */
export interface GpuTaskDeps {
  config: Config;
  db: Db;
  tasks: TaskStore;
}

/** A task whose QUEUED record is written: what its `gpuTask` workflow receives and its dispatcher queue entry. */
export interface PreparedGpuTask {
  input: GpuTaskInput;
  entry: QueueEntry;
}

/** A task ready to be recorded: its input, queue entry and QUEUED record, and the queue facts and nodes read. */
interface PlannedGpuTask extends PreparedGpuTask {
  record: TaskUpdate;
  now: Date;
  facts: QueueFacts;
  nodes: GpuNodeRecord[];
}

/** Claims the task's displayId and works out its place in the queue (nothing is written but the display id). */
async function planGpuTask(d: GpuTaskDeps, body: GpuCreateTask, opts: { taskId?: string; now?: Date; origin?: Record<string, unknown> }): Promise<PlannedGpuTask> {
  const now = opts.now ?? new Date();
  const taskId = opts.taskId ?? newGpuTaskId();
  const nodes = new GpuNodeStore(d.db).list({ taskType: body.taskType });
  const [displayId, facts, all] = await Promise.all([nextGpuDisplayId(d.db), queueFacts(d.tasks, nodes, body.taskType, body.priority, now), nodes]);
  const input: GpuTaskInput = {
    taskId,
    displayId,
    taskType: body.taskType,
    priority: body.priority,
    userId: body.userId ?? null,
    app: body.app ?? null,
    env: body.env ?? null,
    payload: body.payload,
    timeout: body.timeout ?? d.config.gpu.defaultTaskTimeoutSeconds * 1000,
    maxRetries: body.maxRetries ?? d.config.gpu.maxRetries,
    createdAt: now.getTime(),
    estimatedWaitTime: facts.estimatedWaitSeconds,
  };
  const record: TaskUpdate = {
    task_id: taskId,
    rev: now.getTime() * 1000,
    kind: 'gpu',
    state: 'queued',
    status: 'QUEUED',
    queue: gpuQueueName(body.taskType),
    create_time: now,
    enqueue_time: now,
    priority: body.priority,
    owner: input.userId,
    waiting_reason: facts.reason,
    details: {
      displayId,
      taskType: input.taskType,
      userId: input.userId,
      app: input.app,
      env: input.env,
      payload: input.payload,
      retryCount: 0,
      maxRetries: input.maxRetries,
      timeout: input.timeout,
      estimatedWaitTime: input.estimatedWaitTime,
      progress: 0,
      vip: body.priority >= 2,
      gpuId: null,
      ...(opts.origin ? { origin: opts.origin } : {}),
    },
  };
  const entry: QueueEntry = { taskId, priority: body.priority, seq: input.createdAt, attempt: 0, maxRetries: input.maxRetries, excluded: [] };
  return { input, entry, record, facts, nodes: all, now };
}

/**
 * Claims the task's displayId, works out its place in the queue and writes its QUEUED record (the record the
 * GPU views read). `origin` (say, the scheduled execution that created it) is kept in `details`.
 */
export async function prepareGpuTask(
  d: GpuTaskDeps,
  body: GpuCreateTask,
  opts: { taskId?: string; now?: Date; origin?: Record<string, unknown> } = {},
): Promise<PreparedGpuTask> {
  const planned = await planGpuTask(d, body, opts);
  await d.tasks.create(planned.record, planned.now);
  return { input: planned.input, entry: planned.entry };
}

/** Most tasks still QUEUED before a new one that are looked at to see whether they really wait. */
const DIRECT_LOOKAHEAD = 16;

/**
 * The node a new task may go to at once, without its dispatcher: only when nothing of its type waits before it
 * (so no priority order is at stake) and a node it may use has a free slot, by the dispatcher's own rules. A
 * task already placed on a node still reads QUEUED until its workflow writes RUNNING: one that holds a slot does
 * not wait.
 */
async function directTarget(ops: GpuOps, planned: PlannedGpuTask): Promise<GpuNodeRecord | null> {
  const active = planned.nodes.filter((n) => n.status === 'ACTIVE' && n.freeSlots > 0);
  const [choice] = planAssignments([planned.entry], active);
  if (!choice) return null;
  const ahead = planned.facts.position;
  if (ahead > DIRECT_LOOKAHEAD) return null;
  if (ahead > 0) {
    const { taskType, priority } = planned.input;
    if ((await unplacedQueued(ops, aheadFilter(taskType, priority, planned.now), DIRECT_LOOKAHEAD + 1)).length > 0) return null;
  }
  return active.find((n) => n.gpuId === choice.gpuId) ?? null;
}

type CreatedGpuTask = { taskId: string; displayId: number; status: 'QUEUED'; estimatedWaitTime: number };

/**
 * `POST /api/v2/tasks`: the task's QUEUED record, its `gpuTask` workflow (workflow id = task id), and either its
 * entry in its type's dispatcher queue or, when nothing waits before it and a node has room, the node itself.
 * The direct way saves the dispatcher's round trip through Temporal (a signal, a workflow task, a round) on the
 * common path of free capacity; the claim (a unique slot document) keeps capacity exact either way, and a task
 * that finds anything of its type waiting before it always queues, so the dispatcher's order holds. A scheduled
 * run does the same from its workflow (the task's workflow is then its child) with `prepareGpuTask`, then
 * `enqueueTask` through the `gpuEnqueue` activity.
 */
export async function submitGpuTask(ops: GpuOps, body: GpuCreateTask): Promise<CreatedGpuTask> {
  const planned = await planGpuTask({ config: ops.config, db: ops.db, tasks: ops.tasks }, body, {});
  const { input, entry, record } = planned;
  const answer: CreatedGpuTask = { taskId: input.taskId, displayId: input.displayId, status: 'QUEUED', estimatedWaitTime: input.estimatedWaitTime };
  const visible = {
    typedSearchAttributes: gpuTaskSearchAttributes(input.taskType, input.displayId),
    memo: jobMemo(gpuTaskSummary({ displayId: input.displayId, taskType: input.taskType, priority: input.priority, app: body.app })),
  };
  const start = (args: GpuTaskInput) => ops.client.workflow.start<GpuTaskWorkflow>(GPU_TASK_WORKFLOW, { workflowId: input.taskId, taskQueue: ops.config.temporal.taskQueue, args: [args], ...visible });
  const recorded = ops.tasks.create(record, planned.now);
  recorded.catch(() => undefined); // awaited below on either path; a failure is answered there
  const queue = async () => {
    // The answer waits for all three, so an accepted task is recorded, started and queued.
    await Promise.all([recorded, enqueueTask(ops, body.taskType, entry)]);
    await start(input);
    return answer;
  };
  const target = await directTarget(ops, planned).catch(() => null);
  if (!target) return queue();
  const placement = await placeTask(ops, {
    taskId: input.taskId,
    attempt: 0,
    node: target,
    body: { taskId: input.taskId, taskType: input.taskType, priority: input.priority, payload: input.payload, timeout: input.timeout },
    // The node may report as soon as it has the task, and a report needs the record.
    ready: recorded,
    // The workflow starts running on the node.
    tell: (assigned) => start({ ...input, assigned }),
  });
  switch (placement.kind) {
    case 'placed':
      return answer;
    case 'taken':
      return queue();
    case 'untold':
      throw placement.error;
    case 'refused':
      if (input.maxRetries >= 1) {
        // The refusal was its first attempt, as it would have been in a dispatcher round.
        await Promise.all([start(input), enqueueTask(ops, body.taskType, { ...entry, attempt: 1, excluded: [target.gpuId] })]);
      } else {
        await ops.client.workflow.signalWithStart<GpuTaskWorkflow, [DispatchFailedSignal]>(GPU_TASK_WORKFLOW, {
          workflowId: input.taskId,
          taskQueue: ops.config.temporal.taskQueue,
          args: [input],
          ...visible,
          signal: gpuDispatchFailedSignal,
          signalArgs: [{ reason: `${placement.reason}; no retries left (maxRetries 0)`, gpuId: target.gpuId }],
        });
      }
      return answer;
  }
}
