/**
 * Pure GPU dispatch logic (DESIGN.md "How a GPU node receives work"): priority classes, queue order, which node
 * a waiting task may use, and why a task waits. No I/O: the dispatcher activity and the API both use it.
 */

export type PriorityClass = 'NORMAL' | 'VIP';

/** `priority >= 2` is the VIP class. */
export function priorityClass(priority: number): PriorityClass {
  return priority >= 2 ? 'VIP' : 'NORMAL';
}

export interface QueueEntry {
  taskId: string;
  priority: number;
  /** Arrival order (creation time in ms, then a sequence). */
  seq: number;
  /** Dispatch attempts so far (0 for a fresh task). */
  attempt: number;
  maxRetries: number;
  /** Nodes this task failed on; it is not sent there again. */
  excluded: string[];
}

/** VIP before NORMAL; within a class higher priority first, then first come first served. */
export function compareEntries(a: Pick<QueueEntry, 'priority' | 'seq' | 'taskId'>, b: Pick<QueueEntry, 'priority' | 'seq' | 'taskId'>): number {
  const ca = priorityClass(a.priority) === 'VIP' ? 0 : 1;
  const cb = priorityClass(b.priority) === 'VIP' ? 0 : 1;
  if (ca !== cb) return ca - cb;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0;
}

export function orderQueue<T extends Pick<QueueEntry, 'priority' | 'seq' | 'taskId'>>(entries: readonly T[]): T[] {
  return [...entries].sort(compareEntries);
}

export interface NodeSlots {
  gpuId: string;
  supportedTaskPriority: PriorityClass;
  freeSlots: number;
}

export interface Assignment {
  taskId: string;
  gpuId: string;
}

/**
 * Places waiting tasks (any order; they are ordered here) on nodes with free slots. A VIP task may use any node
 * (VIP nodes first); a NORMAL task a NORMAL node, or a VIP node only when no VIP task is left waiting. Never more
 * tasks on a node than its free slots; least-loaded node first.
 */
export function planAssignments(waiting: readonly QueueEntry[], nodes: readonly NodeSlots[]): Assignment[] {
  const free = new Map(nodes.filter((n) => n.freeSlots > 0).map((n) => [n.gpuId, { ...n }]));
  const ordered = orderQueue(waiting);
  const out: Assignment[] = [];
  const pick = (entry: QueueEntry, allowed: (n: NodeSlots) => boolean, prefer: PriorityClass): string | null => {
    let best: NodeSlots | null = null;
    for (const n of free.values()) {
      if (n.freeSlots <= 0 || !allowed(n) || entry.excluded.includes(n.gpuId)) continue;
      if (!best) best = n;
      else {
        const pn = n.supportedTaskPriority === prefer ? 0 : 1;
        const pb = best.supportedTaskPriority === prefer ? 0 : 1;
        if (pn < pb || (pn === pb && (n.freeSlots > best.freeSlots || (n.freeSlots === best.freeSlots && n.gpuId < best.gpuId)))) best = n;
      }
    }
    if (!best) return null;
    best.freeSlots -= 1;
    return best.gpuId;
  };
  let vipWaiting = 0;
  for (const e of ordered) {
    if (priorityClass(e.priority) !== 'VIP') continue;
    const g = pick(e, () => true, 'VIP');
    if (g) out.push({ taskId: e.taskId, gpuId: g });
    else vipWaiting += 1;
  }
  for (const e of ordered) {
    if (priorityClass(e.priority) !== 'NORMAL') continue;
    const g = pick(e, (n) => n.supportedTaskPriority === 'NORMAL' || vipWaiting === 0, 'NORMAL');
    if (g) out.push({ taskId: e.taskId, gpuId: g });
  }
  return out;
}

export interface WaitFacts {
  /** ACTIVE nodes supporting the task type. */
  activeNodes: NodeSlots[];
  /** VIP tasks of the same type queued ahead of this one. */
  vipAhead: number;
  /** Tasks of the same type queued ahead of this one. */
  ahead: number;
}

/** Why a QUEUED task waits, in words a client can act on. */
export function waitingReason(taskType: number, priority: number, f: WaitFacts): string {
  const cls = priorityClass(priority);
  const usable = f.activeNodes.filter((n) => cls === 'VIP' || n.supportedTaskPriority === 'NORMAL' || f.vipAhead === 0);
  if (f.activeNodes.length === 0) return `no ACTIVE GPU node supports taskType ${taskType}`;
  if (cls === 'NORMAL' && f.vipAhead > 0 && usable.every((n) => n.freeSlots <= 0)) {
    return `${f.vipAhead} VIP task(s) ahead`;
  }
  if (usable.every((n) => n.freeSlots <= 0)) return `all ${usable.length} matching GPU node(s) at capacity${f.ahead > 0 ? `; ${f.ahead} task(s) ahead` : ''}`;
  if (f.ahead > 0) return `${f.ahead} task(s) ahead${f.vipAhead > 0 ? ` (${f.vipAhead} VIP)` : ''}`;
  return 'being dispatched';
}

/**
 * Seconds until a task at `position` (0 = next) is likely to start: whole "waves" of the usable capacity ahead
 * of it times the observed average duration. Free capacity and nobody ahead means no wait.
 */
export function estimateWaitSeconds(position: number, capacity: number, freeSlots: number, avgDurationSeconds: number): number {
  if (position < freeSlots) return 0;
  if (capacity <= 0) return Math.round(avgDurationSeconds * (position + 1));
  const waves = Math.floor((position - freeSlots) / capacity) + 1;
  return Math.round(waves * avgDurationSeconds);
}
