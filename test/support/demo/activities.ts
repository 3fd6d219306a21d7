import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../../../activities/deps.js';

export interface EchoInput {
  message: string;
  /** Simulated work, so tests can observe the running state. */
  sleepMs?: number;
}

export interface EchoOutput {
  message: string;
  worker: string;
  attempt: number;
}

export function createDemoActivities(deps: ActivityDeps) {
  return {
    async echo(input: EchoInput): Promise<EchoOutput> {
      const ctx = Context.current();
      if (input.sleepMs) await ctx.sleep(input.sleepMs);
      return { message: input.message, worker: deps.workerName, attempt: ctx.info.attempt };
    },
  };
}

export type DemoActivities = ReturnType<typeof createDemoActivities>;
