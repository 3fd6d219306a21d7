import type { TaskRecord } from '../domain/task.js';
import type { ExecutionLogStore } from '../store/execution-logs.js';
import { executionPaths } from './host.js';

/**
 * An execution's record details and its logs: their last lines and a live follow, read from MongoDB where the
 * worker that ran the execution ships them (`execution_logs`).
 */

/** What an execution's record keeps in `details` (written by the `commandRun` workflow and its activity). */
export interface ExecutionDetails {
  schedule_id?: number;
  task_name?: string;
  exit_code?: number | null;
  duration_seconds?: number;
  output_summary?: string | null;
  log_file_path?: string;
  error_log_path?: string;
  workspace_path?: string;
  resource_usage?: { max_memory_mb: number | null; avg_cpu_percent: number | null };
  timeout_seconds?: number;
  job_id?: string;
  job_kind?: string;
}

export const detailsOf = (r: TaskRecord): ExecutionDetails => (r.details ?? {}) as ExecutionDetails;

export type LogType = 'output' | 'error';

/** One event of a live log stream: a line, then the execution's end. */
export type LogEvent = { event: 'log'; data: string; id: string } | { event: 'end'; data: string };

/** Where an execution's log of this type is (its record says so once it ran; the path it will have before). */
export function logPathOf(workspaceRoot: string, r: TaskRecord, type: LogType): string {
  const d = detailsOf(r);
  const recorded = type === 'output' ? d.log_file_path : d.error_log_path;
  if (recorded) return recorded;
  const paths = executionPaths(workspaceRoot, r.task_id);
  return type === 'output' ? paths.output : paths.error;
}

export interface LogTail {
  /** Where the worker that ran it keeps its own copy (on that worker's disk). */
  path: string;
  /** The last lines asked for. */
  content: string[];
  /** Lines in the whole log. */
  count: number;
  size: number;
  modified: Date | null;
}

/** Lines of a log's text (a last line without its newline counts). */
function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** The last `lines` lines of an execution's log, as its worker shipped it to MongoDB (none yet: an empty log). */
export async function readLogTail(store: ExecutionLogStore, executionId: string, path: string, type: LogType, lines: number): Promise<LogTail> {
  const { data, modified } = await store.read(executionId, type);
  const all = linesOf(data.toString('utf8'));
  return { path, content: all.slice(-lines), count: all.length, size: data.length, modified };
}

/** The last line a running execution wrote (the last piece shipped), or null. */
export async function lastLogLine(store: ExecutionLogStore, executionId: string): Promise<string | null> {
  const piece = await store.last(executionId, 'output');
  if (!piece) return null;
  const lines = piece.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1)?.slice(0, 200) ?? null;
}

/**
 * Follows a log as its worker ships it: each complete line as an event, and once `ended` answers (asked whenever
 * nothing new arrived) the pieces still to come and an `end` event with that answer. Stops early when `aborted`.
 * Any API process can follow any execution: the pieces are in MongoDB, not on the worker's disk.
 */
export async function* followLog(
  store: ExecutionLogStore,
  executionId: string,
  type: LogType,
  opts: { ended: () => Promise<unknown>; aborted: () => boolean; pollMs?: number },
): AsyncGenerator<LogEvent> {
  let seq = -1;
  // Bytes of an unfinished line, kept as bytes: a piece may end inside a UTF-8 character.
  let partial = Buffer.alloc(0);
  let n = 0;
  /** The complete lines of the pieces arrived since the last call; `more` when any piece arrived. */
  const take = async (): Promise<{ lines: string[]; more: boolean }> => {
    const pieces = await store.after(executionId, type, seq);
    if (pieces.length === 0) return { lines: [], more: false };
    seq = pieces.at(-1)!.seq;
    const bytes = Buffer.concat([partial, ...pieces.map((p) => p.data)]);
    const cut = bytes.lastIndexOf(0x0a);
    partial = cut < 0 ? bytes : bytes.subarray(cut + 1);
    return { lines: cut < 0 ? [] : bytes.subarray(0, cut).toString('utf8').split('\n'), more: true };
  };
  for (;;) {
    const got = await take();
    for (const line of got.lines) yield { event: 'log', data: line, id: String(++n) };
    if (opts.aborted()) return;
    if (got.more) continue;
    const end = await opts.ended();
    if (end !== null) {
      // The worker ships the last pieces before the execution's end is recorded: they are all there now.
      for (let rest = await take(); rest.more; rest = await take()) for (const line of rest.lines) yield { event: 'log', data: line, id: String(++n) };
      if (partial.length > 0) yield { event: 'log', data: partial.toString('utf8'), id: String(++n) };
      yield { event: 'end', data: JSON.stringify(end) };
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 200));
  }
}
