/** The canonical lifecycle every job of every dialect goes through (DESIGN.md, "Canonical task and status mapping"). */
export const CANONICAL_STATES = ['ready', 'queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'] as const;
export type CanonicalState = (typeof CANONICAL_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<CanonicalState> = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);

export function isTerminal(state: CanonicalState): boolean {
  return TERMINAL_STATES.has(state);
}

export const TASK_KINDS = ['device', 'command', 'gpu', 'service'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Which state may follow which: the mirror and the workflows refuse anything else. */
const NEXT: Record<CanonicalState, readonly CanonicalState[]> = {
  ready: ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  queued: ['running', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  running: ['succeeded', 'failed', 'timed_out'],
  succeeded: [],
  failed: [],
  timed_out: [],
  cancelled: [],
};

export function canTransition(from: CanonicalState, to: CanonicalState): boolean {
  return NEXT[from].includes(to);
}

/** A terminal task may be started again (the long-task dialect's start_task re-runs finished or failed tasks). */
export function canRestart(state: CanonicalState): boolean {
  return state === 'ready' || isTerminal(state);
}
