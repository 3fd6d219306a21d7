/** Ids are Temporal workflow ids too, so they must be unique across kinds and safe in URLs and log lines. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;

export function isValidTaskId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function newDeviceJobId(): string {
  return `job_${crypto.randomUUID().replaceAll('-', '')}`;
}

/** The long-task document's form: `ts_<service>_<uuid>`. */
export function newServiceTaskId(service: string): string {
  return `ts_${service}_${crypto.randomUUID()}`;
}

export function newGpuTaskId(): string {
  return `task_${crypto.randomUUID().replaceAll('-', '')}`;
}

/** Whether an id has the form newGpuTaskId gives (a GPU task, not another kind's job). */
export function isGpuTaskId(id: string): boolean {
  return /^task_[0-9a-f]{32}$/.test(id);
}

export function newExecutionId(scheduleTaskId: number): string {
  return `exec-${scheduleTaskId}-${crypto.randomUUID().slice(0, 8)}`;
}

export function newDemoTaskId(): string {
  return `demo_${crypto.randomUUID().replaceAll('-', '')}`;
}
