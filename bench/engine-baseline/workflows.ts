import { proxyActivities } from '@temporalio/workflow';
import type { createBaselineActivities } from './activities.js';

const { noop } = proxyActivities<ReturnType<typeof createBaselineActivities>>({ startToCloseTimeout: '30s' });

/** The bare engine's unit of work: one workflow, one trivial activity, no mirror, no codec. */
export async function baselineWorkflow(n: number): Promise<number> {
  return noop(n);
}
