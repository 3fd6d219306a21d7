// The fault suite's "next version" of the workflow code (scenario 8, upgrade under load): every workflow type
// starts with one more command — a timer — behind `patched(UPGRADE_PATCH)`. Without the patch a run started by
// the current code would fail to replay on it (a timer where the history has the run's first activity or
// marker); with it, runs recorded before replay as they were and new runs (or new runs after continue-as-new) take
// the new path, which leaves the patch's marker in their history: that marker is how the scenario tells a lane
// or dispatcher runs v2.
import { patched, sleep } from '@temporalio/workflow';
import * as v1 from '../../workflows/index.js';

export const UPGRADE_PATCH = 'fault-suite-upgrade-v2';

async function v2Start(): Promise<void> {
  if (patched(UPGRADE_PATCH)) await sleep(1);
}

export async function deviceLane(...args: Parameters<typeof v1.deviceLane>): ReturnType<typeof v1.deviceLane> {
  await v2Start();
  return v1.deviceLane(...args);
}
export async function gpuDispatcher(...args: Parameters<typeof v1.gpuDispatcher>): ReturnType<typeof v1.gpuDispatcher> {
  await v2Start();
  return v1.gpuDispatcher(...args);
}
export async function gpuMonitor(...args: Parameters<typeof v1.gpuMonitor>): ReturnType<typeof v1.gpuMonitor> {
  await v2Start();
  return v1.gpuMonitor(...args);
}
export async function deviceJob(...args: Parameters<typeof v1.deviceJob>): ReturnType<typeof v1.deviceJob> {
  await v2Start();
  return v1.deviceJob(...args);
}
export async function gpuTask(...args: Parameters<typeof v1.gpuTask>): ReturnType<typeof v1.gpuTask> {
  await v2Start();
  return v1.gpuTask(...args);
}
export async function commandRun(...args: Parameters<typeof v1.commandRun>): ReturnType<typeof v1.commandRun> {
  await v2Start();
  return v1.commandRun(...args);
}
export async function serviceTask(...args: Parameters<typeof v1.serviceTask>): ReturnType<typeof v1.serviceTask> {
  await v2Start();
  return v1.serviceTask(...args);
}
