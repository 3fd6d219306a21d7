import { Context } from '@temporalio/activity';

/** When each bare scheduled run reached its workflow and its activity (ms since the epoch), by workflow id. */
export type StartNotes = Map<string, { workflowMs: number; activityMs: number }>;

export function createBaselineActivities(notes: StartNotes = new Map()) {
  return {
    async noop(n: number): Promise<number> {
      return n;
    },
    async noteStart(workflowMs: number): Promise<void> {
      notes.set(Context.current().info.workflowExecution?.workflowId ?? '', { workflowMs, activityMs: Date.now() });
    },
  };
}
