import { describe, expect, it } from 'vitest';
import { DEVICE_JOB_WORKFLOW, DEVICE_LANE_WORKFLOW, type DeviceJobWorkflow, type DeviceLaneWorkflow } from '../../src/device/contract.js';
import {
  GPU_DISPATCHER_WORKFLOW,
  GPU_MONITOR_WORKFLOW,
  GPU_TASK_WORKFLOW,
  type GpuDispatcherWorkflow,
  type GpuMonitorWorkflow,
  type GpuTaskWorkflow,
} from '../../src/gpu/contract.js';
import { COMMAND_RUN_WORKFLOW, WORKSPACE_CLEANUP_WORKFLOW, type CommandRunWorkflow, type WorkspaceCleanupWorkflow } from '../../src/scheduler/contract.js';
import { SERVICE_TASK_WORKFLOW, statusReportRefusal, type ServiceTaskWorkflow } from '../../src/service-tasks/contract.js';
import * as workflows from '../../workflows/index.js';

// Callers start workflows by the contract's name and signature; the worker registers what workflows/index.ts
// exports. The `satisfies` fail the type-check when a workflow's signature drifts from its contract.
const byContract: Record<string, unknown> = {
  [DEVICE_JOB_WORKFLOW]: workflows.deviceJob satisfies DeviceJobWorkflow,
  [DEVICE_LANE_WORKFLOW]: workflows.deviceLane satisfies DeviceLaneWorkflow,
  [GPU_TASK_WORKFLOW]: workflows.gpuTask satisfies GpuTaskWorkflow,
  [GPU_DISPATCHER_WORKFLOW]: workflows.gpuDispatcher satisfies GpuDispatcherWorkflow,
  [GPU_MONITOR_WORKFLOW]: workflows.gpuMonitor satisfies GpuMonitorWorkflow,
  [COMMAND_RUN_WORKFLOW]: workflows.commandRun satisfies CommandRunWorkflow,
  [WORKSPACE_CLEANUP_WORKFLOW]: workflows.workspaceCleanup satisfies WorkspaceCleanupWorkflow,
  [SERVICE_TASK_WORKFLOW]: workflows.serviceTask satisfies ServiceTaskWorkflow,
};

describe('contracts', () => {
  it('every workflow type a contract names is exported under that name, and nothing else is', () => {
    const exported = Object.entries(workflows)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k)
      .sort();
    expect(exported).toEqual(Object.keys(byContract).sort());
    for (const [name, fn] of Object.entries(byContract)) expect((workflows as Record<string, unknown>)[name]).toBe(fn);
  });

  it('a service task takes a status report only when it is reported through Kafka and has not ended', () => {
    const kafka = (status: string) => ({ taskId: 't', dispatch: 'kafka', status });
    expect(statusReportRefusal(kafka('waiting'), { status: 'running' })).toBeNull();
    expect(statusReportRefusal(kafka('running'), { status: 'finished' })).toBeNull();
    expect(statusReportRefusal(kafka('running'), { status: 'failed' })).toBeNull();
    expect(statusReportRefusal(kafka('finished'), { status: 'running' })).toBe('task is finished: cannot become running');
    expect(statusReportRefusal(kafka('failed'), { status: 'finished' })).toBe('task is failed: cannot become finished');
    expect(statusReportRefusal(kafka('ready'), { status: 'running' })).toBe('task is ready: cannot become running');
    expect(statusReportRefusal(kafka('running'), { status: 'waiting' })).toBe('bad status: waiting');
    expect(statusReportRefusal({ taskId: 't', dispatch: 'temporal', status: 'running' }, { status: 'finished' })).toMatch(/run by its Temporal service worker/);
  });
});
