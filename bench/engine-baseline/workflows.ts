import { proxyActivities } from '@temporalio/workflow';
import type { createBaselineActivities } from './activities.js';

const { noop, noteStart } = proxyActivities<ReturnType<typeof createBaselineActivities>>({ startToCloseTimeout: '30s' });

/** The bare engine's unit of work: one workflow, one trivial activity, no mirror, no codec. */
export async function baselineWorkflow(n: number): Promise<number> {
  return noop(n);
}

/** A bare scheduled run: its first workflow task's time, then one activity that notes when it started. */
export async function baselineScheduledWorkflow(): Promise<void> {
  await noteStart(Date.now());
}
