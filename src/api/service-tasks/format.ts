/**
 * Times in the long-task dialect: `YYYY-MM-DD HH:MM:SS` in UTC, the form of Python's `str(datetime)` without
 * microseconds (docs/decisions.md). Absent times are null.
 */
export function formatTime(d: Date | null | undefined): string | null {
  if (!d) return null;
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** `spend_time`: seconds between start and end, to the millisecond; null while the task has not ended. */
export function spendSeconds(start: Date | null | undefined, end: Date | null | undefined): number | null {
  if (!start || !end) return null;
  return Math.max(0, Math.round(end.getTime() - start.getTime()) / 1000);
}
