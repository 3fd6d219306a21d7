import { enqueueOnLane, planDeviceJob, recordQueuedDeviceJob, type DeviceJobPlan } from '../src/device/service.js';
import type { DeviceJobRequest } from '../src/device/request.js';
import type { GpuCreateTask } from '../src/gpu/request.js';
import { prepareGpuTask, type PreparedGpuTask } from '../src/gpu/tasks.js';
import type { JobOrigin } from '../src/scheduler/contract.js';
import type { ActivityDeps } from './deps.js';
import { activityResources } from './resources.js';


/**
 * A scheduled execution's `device` and `gpu` actions: the same submission steps as `POST /device/exec` and
 * `POST /api/v2/tasks` (the device and GPU service code), with the job's workflow started by the execution as
 * its child. Local activities: short bookkeeping on the path from the scheduled time to the job's start.
 */
export function createScheduledJobActivities(deps: ActivityDeps) {
  return {
    /** Plans the device job (queue, lane, workflow input) and writes its `queued` record with the redacted request. */
    async prepareScheduledDeviceJob(input: { jobId: string; request: DeviceJobRequest; origin: JobOrigin }): Promise<DeviceJobPlan> {
      const plan = planDeviceJob(deps.config, input.request, input.jobId);
      await recordQueuedDeviceJob(deps.tasks, plan, new Date(), { ...input.origin });
      return plan;
    },

    /** A pinned device job joins its host's lane, as `POST /device/exec` does it. */
    async enqueueScheduledDeviceJob(input: { plan: DeviceJobPlan; enqueuedAt: string }): Promise<void> {
      const { client } = await activityResources(deps);
      await enqueueOnLane(client, deps.config, input.plan, new Date(input.enqueuedAt));
    },

    /** The GPU task's displayId, queue facts and QUEUED record; the execution then starts its `gpuTask` workflow. */
    async prepareScheduledGpuTask(input: { taskId: string; body: GpuCreateTask; origin: JobOrigin }): Promise<PreparedGpuTask> {
      return prepareGpuTask({ config: deps.config, db: deps.tasks.collection.db, tasks: deps.tasks }, input.body, { taskId: input.taskId, origin: { ...input.origin } });
    },
  };
}
