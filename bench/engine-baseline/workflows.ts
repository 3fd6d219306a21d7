import { proxyActivities } from '@temporalio/workflow';
import type { createBaselineActivities } from './activities.js';
import type { createSshBaselineActivities } from './ssh.js';

const { noop, noteStart, noteCommand } = proxyActivities<ReturnType<typeof createBaselineActivities>>({ startToCloseTimeout: '30s' });
const ssh = proxyActivities<ReturnType<typeof createSshBaselineActivities>['activities']>({ startToCloseTimeout: '60s', retry: { maximumAttempts: 1 } });

/** The bare engine's unit of work: one workflow, one trivial activity, no mirror, no codec. */
export async function baselineWorkflow(n: number): Promise<number> {
  return noop(n);
}

/** A bare scheduled run: its first workflow task's time, then one activity that notes when it started. */
export async function baselineScheduledWorkflow(): Promise<void> {
  await noteStart(Date.now());
}

/** A bare scheduled run doing a scheduler task's work: its first workflow task's time, then the command. */
export async function baselineScheduledCommandWorkflow(command: string): Promise<void> {
  await noteCommand(Date.now(), command);
}

// Two runs on the shared, loaded machine (load 24-40) each lost one attempt: Temporal recorded it as started by the
// bare worker and it never completed (60 s start-to-close timeout then). In both, the dev server's log shows its
// SQLite persistence timing out ("context deadline exceeded") on that very activity's transfer task and on the
// workflow's update at that moment; our GPU task runs no task-queue activity (its node is told over HTTP), so only
// this side meets that path. An attempt is given up after 15 s and made again, as our side sends a task a node did
// not finish to another node (GPU_MAX_RETRIES); the bare worker reports every attempt made again and whether the
// earlier one ever reached it (worker-process.ts), and gpu-dispatch.ts prints the count beside the ratio.
const node = proxyActivities<{ runCommand(command: string, stdin: string): Promise<string> }>({ startToCloseTimeout: '15s', retry: { maximumAttempts: 3, initialInterval: '100ms' } });

/** A GPU task's work in a bare workflow: one activity that runs the node's command on the payload. */
export async function baselineCommandWorkflow(command: string, payload: string): Promise<string> {
  return node.runCommand(command, payload);
}

/** A device job's work in a bare workflow: one activity that runs the command over SSH, fresh or pooled. */
export async function baselineSshWorkflow(mode: 'fresh' | 'pooled', target: string, command: string): Promise<string> {
  return mode === 'fresh' ? ssh.sshFresh(target, command) : ssh.sshPooled(target, command);
}
