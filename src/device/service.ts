import { annotateActiveSpan } from '../tracing/spans.js';
import type { Client } from '@temporalio/client';
import type { Filter } from 'mongodb';
import type { Config } from '../config/index.js';
import { newDeviceJobId } from '../domain/ids.js';
import type { TaskRecord } from '../domain/task.js';
import type { Logger } from '../logging.js';
import { sharedRenderPool } from '../rendering/index.js';
import type { TaskStore } from '../store/tasks.js';
import { workerLiveness, type WorkerLiveness, type WorkerRecord, type WorkerStore } from '../store/workers.js';
import { deviceJobSearchAttributes } from '../temporal/search-attributes.js';
import { DEVICE_FIFO_QUEUE, fifoTaskQueue, pinnedQueueName } from '../temporal/task-queues.js';
import { isTerminal } from '../domain/status.js';
import {
  cancelJobUpdate,
  DEVICE_JOB_WORKFLOW,
  DEVICE_LANE_WORKFLOW,
  laneCancelUpdate,
  laneEnqueueSignal,
  laneInput,
  laneWorkflowId,
  LANE_WORKFLOW_TASK_TIMEOUT_S,
  type DeviceJobInput,
  type DeviceJobWorkflow,
  type DeviceLaneWorkflow,
  type LaneJob,
} from './contract.js';
import { FinishedJobViews } from './finished-jobs.js';
import { JobReads } from './job-reads.js';
import { deviceJobSummary, jobMemo } from '../domain/job-summary.js';
import { isoWithOffset, jobFilter, toJobView, waitingReason, type DeviceJobView } from './job-view.js';
import { redactRequest, type DeviceJobRequest, type Renderer, type RequestDefaults } from './request.js';

/** What the device service needs; the API passes its own deps. */
export interface DeviceServiceDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  tasks: TaskStore;
  workers: WorkerStore;
}

/**
 * Jinja2 rendering of request templates in the process's QuickJS sandbox (src/rendering/), on its render thread,
 * with the configured limits: nothing of this process is reachable from a template, the caller's event loop never
 * runs one, and a render over a limit fails naming it.
 */
export function jinja2Renderer(config: Config): Renderer {
  const pool = renderPoolOf(config);
  return (template, context) => pool.render(template, context);
}

/** Starts the render thread ahead of the first template (the API does it at start; see RenderPool.warm). */
export function warmJinja2Renderer(config: Config): Promise<void> {
  return renderPoolOf(config).warm();
}

function renderPoolOf(config: Config) {
  return sharedRenderPool({
    timeMs: config.device.renderTimeMs,
    memoryBytes: config.device.renderMemoryMb * 1024 * 1024,
    outputChars: config.device.renderOutputChars,
  });
}

export interface SubmittedJob {
  id: string;
  status: 'queued';
  queue: string;
}

/** The request defaults `POST /device/exec` applies (bulk jobs wait longer: `ttl` gives `bulkTtlSeconds`). */
export function deviceRequestDefaults(config: Config, ttlSeconds = config.device.defaultTtlSeconds): RequestDefaults {
  return { ttlSeconds, executionTimeoutSeconds: config.device.defaultExecutionTimeoutSeconds };
}

/** Where a job goes and what its `deviceJob` workflow receives; pure, so a scheduled run can start it as a child. */
export interface DeviceJobPlan {
  id: string;
  /** `FifoQ` or `pinned_<host>`. */
  queue: string;
  host: string;
  pinned: boolean;
  /** The `deviceJob` workflow's input (it carries the credentials: only ever a Temporal payload). */
  input: DeviceJobInput;
}

export function planDeviceJob(config: Config, req: DeviceJobRequest, id: string = newDeviceJobId()): DeviceJobPlan {
  const base = config.temporal.taskQueue;
  const host = req.connection.host;
  const pinned = req.queueStrategy === 'pinned';
  const queue = pinned ? pinnedQueueName(host) : DEVICE_FIFO_QUEUE;
  return { id, queue, host, pinned, input: { jobId: id, request: req, queue, host, fifoTaskQueue: fifoTaskQueue(base) } };
}

/**
 * The job's first record, `queued`, with the redacted request: what `GET /job` shows before the workflow runs.
 * `origin` (say, the scheduled execution that submitted it) is kept in `details`.
 */
export async function recordQueuedDeviceJob(tasks: TaskStore, plan: DeviceJobPlan, now: Date, origin?: Record<string, unknown>): Promise<void> {
  const req = plan.input.request;
  await tasks.create(
    {
      task_id: plan.id,
      rev: now.getTime() * 1000,
      kind: 'device',
      state: 'queued',
      status: 'queued',
      queue: plan.queue,
      host: plan.host,
      create_time: now,
      enqueue_time: now,
      details: { request: redactRequest(req), queue_strategy: req.queueStrategy, driver: req.driverName, mode: req.mode, ...(origin ? { origin } : {}) },
    },
    now,
  );
}

/** A pinned job joins its host's lane (signal-with-start): the lane runs the host's jobs one at a time, in order. */
export async function enqueueOnLane(client: Client, config: Config, plan: DeviceJobPlan, enqueuedAt: Date): Promise<void> {
  const base = config.temporal.taskQueue;
  await client.workflow.signalWithStart<DeviceLaneWorkflow, [LaneJob]>(DEVICE_LANE_WORKFLOW, {
    taskQueue: base,
    workflowId: laneWorkflowId(base, plan.host),
    workflowTaskTimeout: `${LANE_WORKFLOW_TASK_TIMEOUT_S}s`,
    args: [laneInput(base, plan.host)],
    signal: laneEnqueueSignal,
    signalArgs: [{ jobId: plan.id, request: plan.input.request, queue: plan.queue, enqueuedAt: enqueuedAt.toISOString() }],
  });
}

/**
 * Records the job as queued, starts its `deviceJob` workflow (workflow id = job id) and, for a pinned job,
 * hands it to its host's lane (signal-with-start). Credentials travel only inside Temporal payloads, which the
 * codec encrypts; MongoDB gets the redacted request. A scheduled run does the same steps from its workflow
 * (the job's workflow then is its child): `planDeviceJob`, `recordQueuedDeviceJob`, `enqueueOnLane`.
 */
export async function submitDeviceJob(d: DeviceServiceDeps, req: DeviceJobRequest): Promise<SubmittedJob> {
  const plan = planDeviceJob(d.config, req);
  // The request's span (when traced) names the job it created: ids, kind and strategy, never the request itself.
  annotateActiveSpan({ 'switchyard.job.id': plan.id, 'switchyard.job.kind': 'device', 'switchyard.queue_strategy': req.queueStrategy });
  const now = new Date();
  await recordQueuedDeviceJob(d.tasks, plan, now);
  try {
    await d.temporal.workflow.start<DeviceJobWorkflow>(DEVICE_JOB_WORKFLOW, {
      taskQueue: d.config.temporal.taskQueue,
      workflowId: plan.id,
      args: [plan.input],
      typedSearchAttributes: deviceJobSearchAttributes(plan.queue, plan.host),
      memo: jobMemo(deviceJobSummary({ mode: req.mode, lineCount: req.lines.length, driver: req.driverName, host: plan.host, queue: plan.queue })),
    });
    if (plan.pinned) await enqueueOnLane(d.temporal, d.config, plan, now);
  } catch (e) {
    const at = new Date();
    await d.tasks
      .apply({ task_id: plan.id, rev: at.getTime() * 1000 + 1, state: 'failed', status: 'failed', end_time: at, error: { type: 'SubmitError', message: 'the job could not be queued' } })
      .catch(() => undefined);
    throw e;
  }
  return { id: plan.id, status: 'queued', queue: plan.queue };
}

export interface JobQuery {
  id?: string;
  queue?: string;
  status?: string;
  node?: string;
  host?: string;
  limit: number;
  offset: number;
}

async function nodeWorkers(d: DeviceServiceDeps, node: string): Promise<string[]> {
  const all = await d.workers.list();
  return [node, ...all.filter((w) => w.hostname === node && w.name !== node).map((w) => w.name)];
}

/**
 * The reads a waiting reason needs: live device workers, and per queue the jobs waiting or running there, oldest
 * first. On FerretDB the queue read scans the task collection, and clients poll queued jobs by id many times a
 * second, so a poll by id shares one read per queue made at most `WAITING_LINE_MS` ago (a reason is advice: it
 * may be that old). A job missing from a shared line (submitted after it was read) reads the line again.
 */
const WAITING_LINE_MS = 500;
interface WaitingLines {
  live: { at: number; value: Promise<number> } | null;
  lines: Map<string, { at: number; value: Promise<string[]> }>;
}
const waitingLines = new WeakMap<TaskStore, WaitingLines>();

async function withWaitingReasons(d: DeviceServiceDeps, records: TaskRecord[], shared = false): Promise<DeviceJobView[]> {
  const views = records.map((r) => toJobView(r, d.config.temporal));
  const queued = records.filter((r) => r.state === 'queued' || r.state === 'ready');
  if (queued.length === 0) return views;
  let cache = waitingLines.get(d.tasks);
  if (!cache) waitingLines.set(d.tasks, (cache = { live: null, lines: new Map() }));
  const now = Date.now();
  const fresh = <T>(e: { at: number; value: Promise<T> } | null | undefined): e is { at: number; value: Promise<T> } => !!e && shared && now - e.at < WAITING_LINE_MS;
  // Live workers that serve device queues (every worker with the device plugin polls FifoQ and its own queue).
  const readLive = async () => {
    const at = new Date();
    return (await d.workers.list()).filter((w) => w.queues?.includes(DEVICE_FIFO_QUEUE) && workerLiveness(w, at, d.config.worker.deadAfterSeconds) !== 'dead').length;
  };
  const readLine = async (queue: string) => {
    const rows = await d.tasks.find({ queue, state: { $in: ['queued', 'running'] } } as Filter<TaskRecord>, { sort: { create_time: 1 }, limit: 5000 });
    return rows.map((a) => a.task_id);
  };
  const share = <T>(read: () => Promise<T>) => {
    const value = read();
    value.catch(() => undefined);
    return { at: now, value };
  };
  if (!fresh(cache.live)) cache.live = share(readLive);
  const live = await cache.live.value.catch((e: unknown) => {
    cache.live = null;
    throw e;
  });
  // One read per queue: a job's place is its index.
  const byQueue = new Map<string, string[]>();
  for (const r of queued) {
    if (r.kind !== 'device' || byQueue.has(r.queue)) continue;
    let entry = cache.lines.get(r.queue);
    if (!fresh(entry) || !(await entry.value.catch(() => [] as string[])).includes(r.task_id)) cache.lines.set(r.queue, (entry = share(() => readLine(r.queue))));
    byQueue.set(
      r.queue,
      await entry.value.catch((e: unknown) => {
        cache.lines.delete(r.queue);
        throw e;
      }),
    );
  }
  // Drop lines nobody asked for lately, so the map stays as small as the set of busy queues.
  for (const [queue, e] of cache.lines) if (now - e.at > 10 * WAITING_LINE_MS) cache.lines.delete(queue);
  for (const r of queued) {
    if (r.kind !== 'device') continue;
    const view = views.find((v) => v.id === r.task_id)!;
    const strategy = (r.details?.queue_strategy as 'pinned' | 'fifo' | undefined) ?? 'fifo';
    const line = byQueue.get(r.queue) ?? [];
    const at = line.indexOf(r.task_id);
    const ahead = at >= 0 ? line.slice(0, at) : line;
    view.waiting_reason = waitingReason({ queue: r.queue, ahead, liveWorkers: live, queueStrategy: strategy });
  }
  return views;
}

const jobReads = new WeakMap<TaskStore, JobReads<TaskRecord>>();
function jobReadsOf(tasks: TaskStore): JobReads<TaskRecord> {
  let r = jobReads.get(tasks);
  if (!r) jobReads.set(tasks, (r = new JobReads((ids) => tasks.getMany(ids))));
  return r;
}

const finishedViews = new WeakMap<TaskStore, FinishedJobViews>();
function finishedViewsOf(tasks: TaskStore): FinishedJobViews {
  let c = finishedViews.get(tasks);
  if (!c) finishedViews.set(tasks, (c = new FinishedJobViews()));
  return c;
}

/**
 * `GET /job`: by id (beats every other filter) or by the combined filters, newest first. Null: no such id. A
 * finished job read by id is kept a few seconds (FinishedJobViews).
 */
export async function listJobs(d: DeviceServiceDeps, q: JobQuery): Promise<DeviceJobView[] | null> {
  if (q.id) {
    const cache = finishedViewsOf(d.tasks);
    const kept = cache.get(q.id);
    if (kept) return [kept];
    const r = await jobReadsOf(d.tasks).get(q.id);
    if (!r) return null;
    const views = await withWaitingReasons(d, [r], true);
    if (isTerminal(r.state)) cache.put(q.id, views[0]!);
    return views;
  }
  const filter = jobFilter({
    ...(q.queue ? { queue: q.queue } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.host ? { host: q.host } : {}),
    ...(q.node ? { nodeWorkers: await nodeWorkers(d, q.node) } : {}),
  });
  const rows = await d.tasks.find(filter as Filter<TaskRecord>, { sort: { create_time: -1 }, skip: q.offset, limit: q.limit });
  return withWaitingReasons(d, rows);
}

function isUpdateRejected(e: unknown): boolean {
  const name = (e as Error | null)?.name ?? '';
  return name === 'WorkflowUpdateFailedError' || name === 'WorkflowNotFoundError' || name === 'ServiceError' || name === 'WorkflowUpdateRPCTimeoutOrCancelledError';
}

/**
 * Cancels queued device jobs. The decision is the workflow's: a pinned job's lane (its queue says whether the job
 * has started) or a fifo job's workflow (a conditional write the run's claim competes with) accepts or rejects an
 * Update; an accepted job's workflow is then cancelled so it ends CANCELLED in Temporal too.
 */
export async function cancelJobs(d: DeviceServiceDeps, q: { id?: string; queue?: string; host?: string }): Promise<string[]> {
  const base = d.config.temporal.taskQueue;
  const filter: Record<string, unknown> = { kind: 'device', state: 'queued' };
  if (q.id) filter.task_id = q.id;
  else {
    if (q.queue) filter.queue = q.queue;
    if (q.host) filter.host = q.host;
  }
  // By id: one `_id` lookup rather than a filtered scan of every record.
  const candidates = q.id
    ? [await d.tasks.get(q.id)].filter((r): r is TaskRecord => r !== null && r.kind === 'device' && r.state === 'queued')
    : await d.tasks.find(filter as Filter<TaskRecord>, { sort: { create_time: 1 }, limit: 1000 });
  const cancelled: string[] = [];
  for (const r of candidates) {
    const pinned = r.details?.queue_strategy === 'pinned';
    let ok = false;
    try {
      if (pinned && r.host) {
        ok = await d.temporal.workflow.getHandle(laneWorkflowId(base, r.host)).executeUpdate(laneCancelUpdate, { args: [r.task_id] });
      } else {
        ok = await d.temporal.workflow.getHandle(r.task_id).executeUpdate(cancelJobUpdate);
      }
    } catch (e) {
      if (!isUpdateRejected(e)) throw e;
      ok = false;
    }
    if (!ok) continue;
    cancelled.push(r.task_id);
    const at = new Date();
    await d.tasks
      .apply({ task_id: r.task_id, rev: at.getTime() * 1000 + 998, state: 'cancelled', status: 'cancelled', end_time: at, waiting_reason: null, error: { type: 'Cancelled', message: 'job was cancelled before it started' } })
      .catch(() => undefined);
    await d.temporal.workflow
      .getHandle(r.task_id)
      .cancel()
      .catch(() => undefined);
  }
  return cancelled;
}

export interface WorkerView {
  name: string;
  status: WorkerLiveness;
  pid: number;
  hostname: string;
  queues: string[];
  last_heartbeat: string | null;
  birth_at: string | null;
  successful_job_count: number;
  failed_job_count: number;
}

/** Pinned queues each worker owns now: the owner recorded by the latest started job of each pinned queue. */
async function pinnedOwnership(d: DeviceServiceDeps): Promise<Map<string, Set<string>>> {
  const rows = await d.tasks.find({ kind: 'device', owner: { $ne: null } } as Filter<TaskRecord>, { sort: { start_time: -1 }, limit: 500 });
  const seen = new Set<string>();
  const byWorker = new Map<string, Set<string>>();
  for (const r of rows) {
    if (seen.has(r.queue) || !r.owner) continue;
    seen.add(r.queue);
    if (!byWorker.has(r.owner)) byWorker.set(r.owner, new Set());
    byWorker.get(r.owner)!.add(r.queue);
  }
  return byWorker;
}

/** `GET /worker` filters: queue beats node beats host. */
export async function selectWorkers(d: DeviceServiceDeps, q: { name?: string; queue?: string; node?: string; host?: string }): Promise<Array<{ record: WorkerRecord; queues: string[] }>> {
  const all = await d.workers.list();
  const owned = await pinnedOwnership(d);
  const withQueues = all.map((w) => ({ record: w, queues: [...(w.queues ?? []), ...[...(owned.get(w.name) ?? [])].sort()] }));
  if (q.name) return withQueues.filter((w) => w.record.name === q.name);
  if (q.queue) return withQueues.filter((w) => w.queues.includes(q.queue!));
  if (q.node) return withQueues.filter((w) => w.record.hostname === q.node || w.record.name === q.node);
  if (q.host) {
    const pinned = pinnedQueueName(q.host);
    return withQueues.filter((w) => w.queues.includes(pinned));
  }
  return withQueues;
}

export function toWorkerView(w: { record: WorkerRecord; queues: string[] }, now: Date, deadAfterSeconds: number): WorkerView {
  const r = w.record;
  return {
    name: r.name,
    status: workerLiveness(r, now, deadAfterSeconds),
    pid: r.pid,
    hostname: r.hostname,
    queues: w.queues,
    last_heartbeat: isoWithOffset(r.last_heartbeat),
    birth_at: isoWithOffset(r.birth_at),
    successful_job_count: r.successful_job_count ?? 0,
    failed_job_count: r.failed_job_count ?? 0,
  };
}

export interface ConnectionTestResult {
  success: boolean;
  connection_time: number;
  error_message: string | null;
  device_info: { prompt: string | null; device_type: string | null; host: string } | null;
  timestamp: string;
}
