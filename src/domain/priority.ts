/**
 * Temporal task-queue priority (server 1.32, SDK 1.24): `priorityKey` 1 is dispatched first, 5 last (the
 * server's default number of levels); work started without a key counts as 3, the middle. Pure code: the
 * scheduler's Temporal code and the `commandRun` workflow both use it.
 */
export const PRIORITY_KEY_HIGHEST = 1;
export const PRIORITY_KEY_DEFAULT = 3;
export const PRIORITY_KEY_LOWEST = 5;

/**
 * A scheduler task's `priority` (an integer, default 0; higher means more important, as the document's
 * "为重要任务设置适当的优先级" reads) as a Temporal priority key, in bands:
 *
 * | priority      | priorityKey |
 * |---------------|-------------|
 * | ≥ 10          | 1           |
 * | 1 … 9         | 2           |
 * | 0 (default)   | 3 (= work of the other dialects, which set no key) |
 * | -9 … -1       | 4           |
 * | ≤ -10         | 5           |
 */
export function schedulerPriorityKey(priority: number): number {
  if (priority >= 10) return PRIORITY_KEY_HIGHEST;
  if (priority >= 1) return 2;
  if (priority === 0) return PRIORITY_KEY_DEFAULT;
  if (priority > -10) return 4;
  return PRIORITY_KEY_LOWEST;
}
