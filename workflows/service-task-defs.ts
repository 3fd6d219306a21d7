import { defineUpdate } from '@temporalio/workflow';

/** What the long-task dialect hands the `serviceTask` workflow (also what an ingest message turns into). */
export interface ServiceTaskInput {
  taskId: string;
  service: string;
  sourceName: string;
  condition: unknown;
  dispatch: 'kafka' | 'temporal';
  /** Kafka topic of the algorithm module (dispatch kafka). */
  topic?: string;
  timeoutSeconds: number;
  /**
   * Seconds a `dispatch: temporal` attempt may go without a heartbeat before its worker counts as lost and the
   * attempt runs again elsewhere. Absent: no heartbeat is asked for (a service worker that does not heartbeat).
   */
  heartbeatSeconds?: number;
}

/** The word a status update may carry (the document's `update_status_task`). */
export type ReportedStatus = 'running' | 'finished' | 'failed';

export interface StatusChange {
  status: ReportedStatus;
  message?: string | null;
  /** The result `result_task` shows (DESIGN.md "Contract extensions"). */
  data?: unknown;
}

export interface StatusChangeReply {
  task_id: string;
  status: ReportedStatus;
}

/** The message sent to an algorithm module, and the payload a `dispatch: temporal` activity receives. */
export interface ServiceTaskMessage {
  task_id: string;
  service: string;
  source_name: string;
  condition: unknown;
}

export const SERVICE_STATUS_UPDATE = 'serviceStatus';
export const serviceStatusUpdate = defineUpdate<StatusChangeReply, [StatusChange]>(SERVICE_STATUS_UPDATE);

/** Activity type a `dispatch: temporal` service implements on task queue `service.<name>` (any SDK language). */
export const RUN_SERVICE_ACTIVITY = 'runServiceTask';

/** Error types an update validator raises; the API maps them to its answers. */
export const TRANSITION_REFUSED = 'TransitionRefused';
