// The time-skipping tests' bundle: every production workflow, plus a probe that stands in for a pinned job's
// `deviceJob` workflow (it only waits for the lane's outcome), so a lane test reads what the lane decided.
import { condition, setHandler } from '@temporalio/workflow';
import { laneResultSignal, type DeviceJobOutcome } from '../../../src/device/contract.js';

export * from '../../../workflows/index.js';

/** Started with the job's id as workflow id: returns the outcome the lane signals to that job. */
export async function laneJobProbe(): Promise<DeviceJobOutcome> {
  let outcome: DeviceJobOutcome | undefined;
  setHandler(laneResultSignal, (o) => {
    outcome ??= o;
  });
  await condition(() => outcome !== undefined);
  return outcome!;
}
