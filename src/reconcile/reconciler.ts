import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db, Filter } from 'mongodb';
import type { Config } from '../config/index.js';
import type { TaskKind } from '../domain/status.js';
import type { TaskRecord } from '../domain/task.js';
import type { Logger } from '../logging.js';
import { GpuNodeStore } from '../store/gpu-nodes.js';
import { ServiceTaskStore } from '../store/service-tasks.js';
import { TaskStore } from '../store/tasks.js';
import { orphanFields, terminalFieldsFrom, type ClosedWorkflow, type TerminalFields } from './repair.js';

export interface ReconcileDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  db: Db;
}

export interface RepairedRecord {
  task_id: string;
  kind: TaskKind;
  from: string;
  to: string;
  why: string;
}

export interface ReconcileReport {
  /** Waiting or running records compared with Temporal. */
  checked: number;
  /** Their workflow still runs: the workflow keeps its own record. */
  running: number;
  repaired: RepairedRecord[];
  /** Records that could not be compared (Temporal or MongoDB did not answer): the next pass tries again. */
  errors: number;
}

export interface ReconcileOptions {
  /** Records changed more recently than this are left alone (a workflow may be about to write). */
  graceSeconds: number;
  /** A record without any workflow is ended only once older than this (a start may still be on its way). */
  orphanSeconds: number;
  /** Records looked at in one pass. */
  limit?: number;
  /** Start after this creation time (the pass pages through the waiting records, oldest first). */
  after?: Date | null;
  now?: Date;
}

const OPEN_STATES = ['queued', 'running'] as const;

/** The closed run Temporal holds for a workflow id, or null while it still runs; throws WorkflowNotFoundError. */
async function closedRun(temporal: Client, workflowId: string): Promise<ClosedWorkflow | null> {
  const handle = temporal.workflow.getHandle(workflowId);
  const d = await handle.describe();
  const status = d.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW' || status === 'UNSPECIFIED') return null;
  const closed: ClosedWorkflow = { type: d.type, status, closeTime: d.closeTime ?? new Date() };
  try {
    closed.result = await handle.result();
  } catch (e) {
    closed.failure = e instanceof WorkflowFailedError ? (e.cause?.message ?? e.message) : (e as Error).message;
  }
  return closed;
}

/**
 * One reconciliation pass: every waiting or running record in the mirror is compared with its workflow in
 * Temporal (workflow id = task id), which is the truth. A record whose workflow has closed gets the terminal
 * state, result and error the workflow ended with (its last mirror write never landed: MongoDB was away, or the
 * workflow was terminated from outside); a record with no workflow at all (accepted, then never started) is
 * ended `failed` (`NotStarted`). A repair lands only on the revision the pass read, so it never overwrites a write
 * the workflow made meanwhile, and passes may overlap without harm.
 */
export async function reconcileOnce(deps: ReconcileDeps, opts: ReconcileOptions): Promise<ReconcileReport & { last: Date | null }> {
  const now = opts.now ?? new Date();
  const cutoff = now.getTime() - opts.graceSeconds * 1000;
  const orphanCutoff = now.getTime() - opts.orphanSeconds * 1000;
  const tasks = new TaskStore(deps.db);
  const services = new ServiceTaskStore(deps.db, deps.config.mongo.serviceTaskCollection);
  const gpuNodes = new GpuNodeStore(deps.db);
  const filter: Filter<TaskRecord> = { state: { $in: [...OPEN_STATES] } };
  if (opts.after) filter.create_time = { $gt: opts.after };
  const rows = await tasks.find(filter, { sort: { create_time: 1 }, limit: opts.limit ?? 500 });
  const report: ReconcileReport & { last: Date | null } = { checked: 0, running: 0, repaired: [], errors: 0, last: rows.at(-1)?.create_time ?? null };
  for (const r of rows) {
    if (r.updated_at.getTime() > cutoff) continue;
    report.checked++;
    let fields: TerminalFields;
    let why: string;
    try {
      const closed = await closedRun(deps.temporal, r.task_id);
      if (!closed) {
        report.running++;
        continue;
      }
      fields = terminalFieldsFrom(r.kind, closed);
      why = `workflow ${closed.type} ${closed.status} at ${closed.closeTime.toISOString()}`;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) {
        report.errors++;
        deps.logger.warn({ taskId: r.task_id, err: (e as Error).message }, 'reconcile: workflow not readable');
        continue;
      }
      // The API writes the record, then starts the workflow: a start retried through a Temporal outage can come
      // seconds later, and ending the record first would make the dispatchers drop the job it then starts.
      if (r.updated_at.getTime() > orphanCutoff) {
        report.running++;
        continue;
      }
      fields = orphanFields(r.kind, now);
      why = 'no workflow run exists';
    }
    // Newer than the record as it stands, and anchored at the close: a later run of the same id still wins.
    const closeRev = (fields.end_time instanceof Date ? fields.end_time.getTime() : now.getTime()) * 1000 + 999;
    const rev = Math.max(r.rev + 1, closeRev);
    const update = { task_id: r.task_id, rev, ...fields };
    if (r.kind === 'service') update.status_message = { ...(r.status_message ?? {}), ...(fields.error ? { failed: fields.error.message } : {}) };
    try {
      // The page was read up to seconds ago: the workflow may have written its own end since.
      const outcome = r.kind === 'service' ? await services.applyIfUnchanged(update, r.rev) : await tasks.applyIfUnchanged(update, r.rev);
      if (outcome === 'applied') {
        // A GPU task's workflow gives its node slot back when it ends; one that ended unseen, or never ran (its API
        // died after sending it to a node), cannot.
        if (r.kind === 'gpu') await gpuNodes.releaseTask(r.task_id);
        report.repaired.push({ task_id: r.task_id, kind: r.kind, from: r.state, to: fields.state, why });
        deps.logger.warn({ taskId: r.task_id, kind: r.kind, from: r.state, to: fields.state, why }, 'reconcile: mirror record repaired from Temporal');
      }
    } catch (e) {
      report.errors++;
      deps.logger.warn({ taskId: r.task_id, err: (e as Error).message }, 'reconcile: repair not written');
    }
  }
  return report;
}

/** Pass after pass until every waiting or running record has been looked at once. */
export async function reconcileAllPages(deps: ReconcileDeps, limits: { graceSeconds: number; orphanSeconds: number }): Promise<ReconcileReport> {
  const total: ReconcileReport = { checked: 0, running: 0, repaired: [], errors: 0 };
  let after: Date | null = null;
  for (;;) {
    const r = await reconcileOnce(deps, { ...limits, after });
    total.checked += r.checked;
    total.running += r.running;
    total.errors += r.errors;
    total.repaired.push(...r.repaired);
    if (!r.last) return total;
    after = r.last;
  }
}

export interface Reconciler {
  /** One pass now (all pages), whoever leads. */
  runNow(): Promise<ReconcileReport>;
  stop(): void;
}

/**
 * Runs a reconciliation pass every `intervalSeconds` in the process that holds the cluster lease (one process
 * at a time does the work; any may), and the first pass soon after start. A pass that fails (MongoDB or Temporal
 * away) is simply tried again at the next tick, so nothing a failed mirror write left behind stays wrong.
 */
export function startReconciler(deps: Omit<ReconcileDeps, 'temporal'> & { temporal: () => Promise<Client>; isLeader: () => boolean }): Reconciler {
  const { intervalSeconds, graceSeconds, orphanSeconds } = deps.config.reconcile;
  let running: Promise<ReconcileReport> | null = null;
  const pass = async (): Promise<ReconcileReport> => {
    const total = await reconcileAllPages({ ...deps, temporal: await deps.temporal() }, { graceSeconds, orphanSeconds });
    if (total.repaired.length > 0) deps.logger.warn({ repaired: total.repaired.length, checked: total.checked }, 'reconcile: pass repaired mirror records');
    return total;
  };
  const runNow = () => (running ??= pass().finally(() => (running = null)));
  const tick = () => {
    if (!deps.isLeader()) return;
    runNow().catch((e: unknown) => deps.logger.warn({ err: (e as Error).message }, 'reconcile: pass failed; retrying at the next tick'));
  };
  const timer = intervalSeconds > 0 ? setInterval(tick, intervalSeconds * 1000) : null;
  timer?.unref();
  const first = intervalSeconds > 0 ? setTimeout(tick, Math.min(10, intervalSeconds) * 1000) : null;
  first?.unref();
  return {
    runNow,
    stop() {
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
    },
  };
}
