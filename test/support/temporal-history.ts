import type { Client } from '@temporalio/client';
import { eventually } from './env.js';

/**
 * Waits until Temporal's own history of a workflow records that an activity of this type completed: the
 * event a test waits on instead of a sleep (an activity's writes are over once Temporal has its completion).
 */
export async function activityCompleted(client: Client, workflowId: string, activityType: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const scheduled = new Set(
        events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).map((e) => String(e.eventId)),
      );
      return events.some((e) => scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
    },
    `${activityType} of ${workflowId} to complete (in Temporal's history)`,
    timeoutMs,
    200,
  );
}

/** The workflow ids Temporal lists for a visibility query (its own record, not the mirror's). */
export async function listedWorkflowIds(client: Client, query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
  return ids;
}
