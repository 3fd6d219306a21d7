// The worker bundles this file: every workflow type is exported from here.
export { demoTask, type DemoTaskInput } from './demo-task.js';
export { serviceTask } from './service-task.js';
export { deviceJob, type DeviceJobInput } from './device-job.js';
export { deviceLane, type DeviceLaneInput } from './device-lane.js';
export { gpuTask } from './gpu-task.js';
export { gpuDispatcher } from './gpu-dispatcher.js';
export { gpuMonitor } from './gpu-monitor.js';
export { commandRun, type CommandRunInput } from './command-run.js';
