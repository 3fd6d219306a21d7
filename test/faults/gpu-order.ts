/**
 * The GPU priority rule, checked from what the nodes saw: a VIP task the API accepted (its 200 answered) before a
 * slot frees must be sent to a node before any waiting NORMAL task takes that slot. A slot that freed while no
 * accepted VIP task waited may go to a NORMAL task its dispatcher chose before the VIP task came in.
 *
 * Slot times are the node's own: a slot frees when the node is done with its task (before the API gives the
 * claim back), and a task takes one when the node first receives it (a re-send of a task the node already runs
 * takes nothing).
 */

export type OrderEvent =
  | { at: number; kind: 'finished'; gpuId: string; taskId: string }
  | { at: number; kind: 'sent'; gpuId: string; taskId: string }
  | { at: number; kind: 'accepted'; taskId: string };

export interface OrderViolation {
  taskId: string;
  gpuId: string;
  at: number;
  /** The accepted VIP tasks that still waited when the NORMAL task took the slot. */
  waitingVips: string[];
}

/** Same-time events: a slot frees, then a task is accepted, then one is sent (the order least likely to blame). */
const TIE_ORDER = { finished: 0, accepted: 1, sent: 2 } as const;

/**
 * `nodes`: each node's capacity and the tasks it ran when the events begin (before the first VIP task was
 * submitted); `events`: what happened from then on.
 */
export function gpuOrderViolations(
  events: readonly OrderEvent[],
  nodes: ReadonlyMap<string, { capacity: number; running: Iterable<string> }>,
  vipIds: ReadonlySet<string>,
): OrderViolation[] {
  const sorted = [...events].sort((a, b) => a.at - b.at || TIE_ORDER[a.kind] - TIE_ORDER[b.kind]);
  const running = new Map([...nodes].map(([g, n]) => [g, new Set(n.running)]));
  // Per node: slots freed while no accepted VIP task waited (`open`, any task may take them), and the others.
  const open = new Map([...nodes].map(([g, n]) => [g, Math.max(0, n.capacity - running.get(g)!.size)]));
  const owed = new Map([...nodes].map(([g]) => [g, 0]));
  const waiting = new Set<string>();
  const sentVips = new Set<string>();
  const out: OrderViolation[] = [];
  for (const e of sorted) {
    if (e.kind === 'accepted') {
      if (!sentVips.has(e.taskId)) waiting.add(e.taskId);
      continue;
    }
    const onNode = running.get(e.gpuId);
    if (!onNode) continue;
    if (e.kind === 'finished') {
      if (!onNode.delete(e.taskId)) continue;
      if (waiting.size > 0) owed.set(e.gpuId, owed.get(e.gpuId)! + 1);
      else open.set(e.gpuId, open.get(e.gpuId)! + 1);
      continue;
    }
    if (onNode.has(e.taskId)) continue; // sent again while it runs: no slot taken
    onNode.add(e.taskId);
    const vip = vipIds.has(e.taskId);
    if (vip) {
      waiting.delete(e.taskId);
      sentVips.add(e.taskId);
    }
    // A VIP task takes an owed slot first; a NORMAL task an open one, and an owed one only when no VIP task waits.
    const takeOwed = vip ? owed.get(e.gpuId)! > 0 : open.get(e.gpuId)! === 0;
    if (!vip && takeOwed && waiting.size > 0) out.push({ taskId: e.taskId, gpuId: e.gpuId, at: e.at, waitingVips: [...waiting] });
    if (takeOwed && owed.get(e.gpuId)! > 0) owed.set(e.gpuId, owed.get(e.gpuId)! - 1);
    else if (open.get(e.gpuId)! > 0) open.set(e.gpuId, open.get(e.gpuId)! - 1);
    else if (owed.get(e.gpuId)! > 0) owed.set(e.gpuId, owed.get(e.gpuId)! - 1);
  }
  return out;
}
