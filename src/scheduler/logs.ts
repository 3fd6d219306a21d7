import { readFile, stat } from 'node:fs/promises';
import type { TaskRecord } from '../domain/task.js';
import { executionPaths, readFrom } from './host.js';

/** An execution's record details and its log files: where they are, their last lines, and a live follow. */

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
  path: string;
  /** The last lines asked for. */
  content: string[];
  /** Lines in the whole file. */
  count: number;
  size: number;
  modified: Date | null;
}

/** The last `lines` lines of a log (an absent file is an empty log). */
export async function readLogTail(path: string, lines: number): Promise<LogTail> {
  const st = await stat(path).catch(() => null);
  const text = st ? await readFile(path, 'utf8') : '';
  const all = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  return { path, content: all.slice(-lines), count: all.length, size: st?.size ?? 0, modified: st?.mtime ?? null };
}

/**
 * Follows a log as it grows: each complete line as an event, and once `ended` answers (asked whenever the file has
 * nothing new) the rest of the file and an `end` event with that answer. Stops early when `aborted`.
 */
export async function* followLog(path: string, opts: { ended: () => Promise<unknown>; aborted: () => boolean; pollMs?: number }): AsyncGenerator<LogEvent> {
  let offset = 0;
  let partial = '';
  let n = 0;
  for (;;) {
    const chunk = await readFrom(path, offset);
    offset += chunk.length;
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) yield { event: 'log', data: line, id: String(++n) };
    if (opts.aborted()) return;
    if (chunk.length > 0) continue;
    const end = await opts.ended();
    if (end !== null) {
      const rest = await readFrom(path, offset);
      const tail = (partial + rest.toString('utf8')).split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
      for (const line of tail) yield { event: 'log', data: line, id: String(++n) };
      yield { event: 'end', data: JSON.stringify(end) };
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 200));
  }
}
