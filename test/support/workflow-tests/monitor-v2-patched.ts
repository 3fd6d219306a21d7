// The same change as monitor-v2-unpatched.ts, behind `patched()`: runs recorded before it replay, new runs (and
// old runs from their next new event on) take the census.
import { condition, continueAsNew, patched, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { GpuMonitorInput } from '../../../src/gpu/contract.js';
import { moveToNewCodeSignal, WORKFLOW_CODE_VERSION, workflowCodeVersionQuery } from '../../../src/temporal/versioning.js';

export * from '../../../workflows/index.js';

const { gpuSweep, gpuCensus } = proxyLocalActivities<{ gpuSweep(): Promise<void>; gpuCensus(): Promise<void> }>({ startToCloseTimeout: '60s' });

// workflows/gpu-monitor.ts as it is, plus the change (keep the rest in step with it, or recorded runs that took
// `moveToNewCode` stop replaying for reasons other than the change).
export async function gpuMonitor(input: GpuMonitorInput): Promise<void> {
  let moveOn = false;
  setHandler(moveToNewCodeSignal, () => {
    moveOn = true;
  });
  setHandler(workflowCodeVersionQuery, () => WORKFLOW_CODE_VERSION);
  for (let i = 0; i < 200 && !moveOn; i++) {
    if (patched('gpu-monitor-census')) await gpuCensus();
    await gpuSweep().catch(() => undefined);
    await condition(() => moveOn, input.intervalMs);
  }
  await continueAsNew<typeof gpuMonitor>(input);
}
