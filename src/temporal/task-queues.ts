/**
 * Temporal task queue names. The dialect's own queue words (`FifoQ`, `pinned_<host>`) are shown to clients;
 * these are where the work is actually polled.
 */
export function workflowTaskQueue(base: string): string {
  return base;
}

/** Fresh-connection SSH work that any worker may take. */
export function fifoTaskQueue(base: string): string {
  return `${base}.fifo`;
}

/** The worker-specific queue of one worker: pinned hosts it owns are served here. */
export function workerTaskQueue(base: string, workerName: string): string {
  return `${base}.worker.${workerName}`;
}

/** DESIGN.md: a `dispatch: temporal` service runs on `service.<name>`, polled by any worker in any language. */
export function serviceTaskQueue(service: string): string {
  return `service.${service}`;
}

export const DEVICE_FIFO_QUEUE = 'FifoQ';

export function pinnedQueueName(host: string): string {
  return `pinned_${host}`;
}
