import { condition, continueAsNew, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { GpuMonitorInput } from '../src/gpu/contract.js';
import { moveToNewCodeSignal, WORKFLOW_CODE_VERSION, workflowCodeVersionQuery } from '../src/temporal/versioning.js';

const { gpuSweep } = proxyLocalActivities<Pick<Activities, 'gpuSweep'>>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

/**
 * The GPU health monitor: every `intervalMs` one sweep marks silent nodes OFFLINE (their running tasks go
 * elsewhere), raises and resolves alerts. A failed sweep is logged by the activity and tried again next round.
 */
export async function gpuMonitor(input: GpuMonitorInput): Promise<void> {
  // A new deployment asks the monitor to continue on its code: it does after the sweep in progress.
  let moveOn = false;
  setHandler(moveToNewCodeSignal, () => {
    moveOn = true;
  });
  setHandler(workflowCodeVersionQuery, () => WORKFLOW_CODE_VERSION);
  for (let i = 0; i < 200 && !moveOn; i++) {
    try {
      await gpuSweep();
    } catch {
      // next round
    }
    // The same timer as a sleep when no signal comes (runs recorded with `sleep` replay unchanged).
    await condition(() => moveOn, input.intervalMs);
  }
  await continueAsNew<typeof gpuMonitor>(input);
}
