import type { Client } from '@temporalio/client';
import { LONG_LIVED_WORKFLOW_TYPES, moveToNewCodeSignal } from './versioning.js';

/**
 * Asks every running long-lived workflow of one deployment (its base task queue) to continue as new on the code
 * the workers run now (`switchyard move-to-new-code`, after a deployment's old workers have drained). Each
 * continues at its next safe point with its queue; a signal to a run that ended meanwhile is skipped.
 */
export async function moveLongLivedToNewCode(client: Client, taskQueue: string): Promise<{ signalled: string[] }> {
  const types = LONG_LIVED_WORKFLOW_TYPES.map((t) => `'${t}'`).join(', ');
  const query = `WorkflowType IN (${types}) AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`;
  const signalled: string[] = [];
  for await (const wf of client.workflow.list({ query })) {
    try {
      await client.workflow.getHandle(wf.workflowId).signal(moveToNewCodeSignal);
      signalled.push(wf.workflowId);
    } catch {
      // Ended between the listing and the signal: its next run (if any) starts on the new code anyway.
    }
  }
  return { signalled };
}
