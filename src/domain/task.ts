import type { CanonicalState, TaskKind } from './status.js';

export interface TaskError {
  /** A class-like name: `Timeout`, `WorkerLost`, `SshConnectionError`, `Cancelled`, … */
  type: string;
  message: string;
}

/**
 * One record per job of any dialect in the `tasks` collection. `state` is canonical; `status` is the word of
 * the dialect that owns the task, so service-task records keep the long-task document's schema as written
 * (task_id, status, service, source_name, condition, start_time, end_time, create_time, status_message).
 */
export interface TaskRecord {
  task_id: string;
  kind: TaskKind;
  state: CanonicalState;
  status: string;
  /** The dialect queue: `FifoQ`, `pinned_<host>`, `scheduler`, `gpu:<taskType>`, `service.<name>`. */
  queue: string;
  create_time: Date;
  enqueue_time: Date | null;
  start_time: Date | null;
  end_time: Date | null;
  updated_at: Date;
  /** Strictly increasing per task: the mirror applies a write only if it is newer than what it holds. */
  rev: number;
  worker: string | null;
  host: string | null;
  owner: string | null;
  priority: number;
  result: unknown;
  error: TaskError | null;
  /** Why a queued task waits, in words (e.g. "behind job X on pinned_10.0.0.1, position 3"). */
  waiting_reason: string | null;
  // Long-task document fields (service tasks; absent elsewhere).
  service?: string;
  source_name?: string;
  condition?: unknown;
  status_message?: Record<string, string | null>;
  /** Dialect-specific fields that are not secrets (request summary, node, progress, …). */
  details?: Record<string, unknown>;
}

/** The fields a state change writes; the mirror fills in the rest on first insert. */
export type TaskUpdate = Partial<Omit<TaskRecord, 'task_id' | 'rev'>> & { task_id: string; rev: number };

export function durationSeconds(start: Date | null, end: Date | null): number | null {
  if (!start || !end) return null;
  return Math.max(0, (end.getTime() - start.getTime()) / 1000);
}

/** What every record holds from its first write; later state changes fill these in. */
export function emptyTaskFields(now: Date) {
  return {
    create_time: now,
    enqueue_time: null,
    start_time: null,
    end_time: null,
    worker: null,
    host: null,
    owner: null,
    priority: 0,
    result: null,
    error: null,
    waiting_reason: null,
  } satisfies Partial<TaskRecord>;
}
