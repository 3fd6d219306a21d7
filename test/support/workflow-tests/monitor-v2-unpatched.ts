// A test-only "next version" of the workflow code: the GPU monitor reads the node census (an extra local
// activity) before each sweep, with no patch. Runs recorded by the current code must fail to replay on it.
import { condition, continueAsNew, proxyLocalActivities, setHandler } from '@temporalio/workflow';
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
    await gpuCensus();
    await gpuSweep().catch(() => undefined);
    await condition(() => moveOn, input.intervalMs);
  }
  await continueAsNew<typeof gpuMonitor>(input);
}
