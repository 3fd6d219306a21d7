import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

// Keys come from @temporalio/common: imported from @temporalio/workflow they are undefined (DESIGN.md).
export const SA_KIND = defineSearchAttributeKey('SwitchyardKind', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('SwitchyardStatus', SearchAttributeType.KEYWORD);
export const SA_QUEUE = defineSearchAttributeKey('SwitchyardQueue', SearchAttributeType.KEYWORD);
export const SA_HOST = defineSearchAttributeKey('SwitchyardHost', SearchAttributeType.KEYWORD);
export const SA_OWNER = defineSearchAttributeKey('SwitchyardOwner', SearchAttributeType.KEYWORD);
export const SA_SERVICE = defineSearchAttributeKey('SwitchyardService', SearchAttributeType.KEYWORD);

/** A GPU task's numeric task type (as text: keyword), e.g. `SwitchyardGpuTaskType = "2"`. */
export const SA_GPU_TASK_TYPE = defineSearchAttributeKey('SwitchyardGpuTaskType', SearchAttributeType.KEYWORD);
/** The id a dialect shows besides the workflow id: a GPU task's displayId. */
export const SA_DISPLAY_ID = defineSearchAttributeKey('SwitchyardDisplayId', SearchAttributeType.KEYWORD);
/** The scheduler task (schedule) an execution, or a device or GPU job it ran, belongs to. */
export const SA_SCHEDULER_TASK_ID = defineSearchAttributeKey('SwitchyardSchedulerTaskId', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [SA_KIND, SA_STATUS, SA_QUEUE, SA_HOST, SA_OWNER, SA_SERVICE, SA_GPU_TASK_TYPE, SA_DISPLAY_ID, SA_SCHEDULER_TASK_ID] as const;

/** A device job's attributes, set when its `deviceJob` workflow starts (by the device API or a scheduled run). */
export function deviceJobSearchAttributes(queue: string, host: string, schedulerTaskId?: number): SearchAttributePair[] {
  return [
    { key: SA_KIND, value: 'device' },
    { key: SA_QUEUE, value: queue },
    { key: SA_HOST, value: host },
    ...(schedulerTaskId !== undefined ? [{ key: SA_SCHEDULER_TASK_ID, value: String(schedulerTaskId) }] : []),
  ];
}

/** A GPU task's attributes: its type's queue (`gpu:<type>`), type, display id and, for a scheduled one, its task. */
export function gpuTaskSearchAttributes(taskType: number, displayId: number, schedulerTaskId?: number): SearchAttributePair[] {
  return [
    { key: SA_KIND, value: 'gpu' },
    { key: SA_QUEUE, value: `gpu:${taskType}` },
    { key: SA_GPU_TASK_TYPE, value: String(taskType) },
    { key: SA_DISPLAY_ID, value: String(displayId) },
    ...(schedulerTaskId !== undefined ? [{ key: SA_SCHEDULER_TASK_ID, value: String(schedulerTaskId) }] : []),
  ];
}

/** A scheduler execution's attributes (the schedule's runs and the ones triggered by hand). */
export function schedulerRunSearchAttributes(taskId: number, owner: string): SearchAttributePair[] {
  return [
    { key: SA_KIND, value: 'command' },
    { key: SA_QUEUE, value: 'scheduler' },
    { key: SA_SCHEDULER_TASK_ID, value: String(taskId) },
    { key: SA_OWNER, value: owner },
  ];
}

/** A long-task service task's attributes. */
export function serviceTaskSearchAttributes(service: string): SearchAttributePair[] {
  return [
    { key: SA_KIND, value: 'service' },
    { key: SA_SERVICE, value: service },
    { key: SA_QUEUE, value: `service.${service}` },
  ];
}
