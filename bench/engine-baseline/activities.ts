import { spawn } from 'node:child_process';
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
    /** Notes its start, as noteStart, then runs `command` through `sh -c` as a scheduler task's command runs. */
    async noteCommand(workflowMs: number, command: string): Promise<void> {
      notes.set(Context.current().info.workflowExecution?.workflowId ?? '', { workflowMs, activityMs: Date.now() });
      await new Promise<void>((resolve, reject) => {
        const child = spawn('sh', ['-c', command], { stdio: 'ignore' });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
      });
    },
  };
}
