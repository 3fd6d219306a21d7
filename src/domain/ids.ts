/** Ids are Temporal workflow ids too, so they must be unique across kinds and safe in URLs and log lines. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;

export function isValidTaskId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/*
 * Each kind's id form, from a UUID: the API draws it with `crypto.randomUUID()`, a workflow with `uuid4()` (which
 * replays). Pure, so workflows use the same forms.
 */

/** `job_<32 hex>`: a device job. */
export function deviceJobId(uuid: string): string {
  return `job_${uuid.replaceAll('-', '')}`;
}

/** The long-task document's form: `ts_<service>_<uuid>`. */
export function serviceTaskId(service: string, uuid: string): string {
  return `ts_${service}_${uuid}`;
}

/** `task_<32 hex>`: a GPU task. */
export function gpuTaskId(uuid: string): string {
  return `task_${uuid.replaceAll('-', '')}`;
}

export function newDeviceJobId(): string {
  return deviceJobId(crypto.randomUUID());
}

export function newServiceTaskId(service: string): string {
  return serviceTaskId(service, crypto.randomUUID());
}

export function newGpuTaskId(): string {
  return gpuTaskId(crypto.randomUUID());
}

/** Whether an id has the form newGpuTaskId gives (a GPU task, not another kind's job). */
export function isGpuTaskId(id: string): boolean {
  return /^task_[0-9a-f]{32}$/.test(id);
}
