// The same change as monitor-v2-unpatched.ts, behind `patched()`: runs recorded before it replay, new runs (and
// old runs from their next new event on) take the census.
import { continueAsNew, patched, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { GpuMonitorInput } from '../../../src/gpu/contract.js';

export * from '../../../workflows/index.js';

const { gpuSweep, gpuCensus } = proxyLocalActivities<{ gpuSweep(): Promise<void>; gpuCensus(): Promise<void> }>({ startToCloseTimeout: '60s' });

export async function gpuMonitor(input: GpuMonitorInput): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (patched('gpu-monitor-census')) await gpuCensus();
    await gpuSweep().catch(() => undefined);
    await sleep(input.intervalMs);
  }
  await continueAsNew<typeof gpuMonitor>(input);
}
