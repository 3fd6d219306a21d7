import { continueAsNew, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { GpuMonitorInput } from '../src/gpu/contract.js';

const { gpuSweep } = proxyLocalActivities<Pick<Activities, 'gpuSweep'>>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

/**
 * The GPU health monitor: every `intervalMs` one sweep marks silent nodes OFFLINE (their running tasks go
 * elsewhere), raises and resolves alerts. A failed sweep is logged by the activity and tried again next round.
 */
export async function gpuMonitor(input: GpuMonitorInput): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await gpuSweep();
    } catch {
      // next round
    }
    await sleep(input.intervalMs);
  }
  await continueAsNew<typeof gpuMonitor>(input);
}
