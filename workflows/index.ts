// The worker bundles this file: every workflow type is exported from here.
export { serviceTask } from './service-task.js';
export { deviceJob } from './device-job.js';
export { deviceLane } from './device-lane.js';
export { gpuTask } from './gpu-task.js';
export { gpuDispatcher } from './gpu-dispatcher.js';
export { gpuMonitor } from './gpu-monitor.js';
export { commandRun } from './command-run.js';
export { workspaceCleanup } from './workspace-cleanup.js';
