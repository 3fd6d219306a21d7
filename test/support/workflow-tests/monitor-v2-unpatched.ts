// A test-only "next version" of the workflow code: the GPU monitor reads the node census (an extra local
// activity) before each sweep, with no patch. Runs recorded by the current code must fail to replay on it.
import { continueAsNew, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { GpuMonitorInput } from '../../../src/gpu/contract.js';

export * from '../../../workflows/index.js';

const { gpuSweep, gpuCensus } = proxyLocalActivities<{ gpuSweep(): Promise<void>; gpuCensus(): Promise<void> }>({ startToCloseTimeout: '60s' });

export async function gpuMonitor(input: GpuMonitorInput): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await gpuCensus();
    await gpuSweep().catch(() => undefined);
    await sleep(input.intervalMs);
  }
  await continueAsNew<typeof gpuMonitor>(input);
}
