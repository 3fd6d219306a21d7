import type { ServiceConfig } from '../config/index.js';
import { emptyTaskFields, type TaskRecord } from '../domain/task.js';
import { emptyStatusMessage } from '../store/service-tasks.js';
import { serviceTaskQueue } from '../temporal/task-queues.js';
import { BUILTIN_HEARTBEAT_TIMEOUT_SECONDS, BUILTIN_SERVICE_NAMES, type ServiceTaskInput } from './contract.js';

/** A new service task's first record (`ready`, the document's initial status), as create_task writes it. */
export function readyServiceRecord(svc: ServiceConfig, taskId: string, condition: unknown, now = new Date()): Omit<TaskRecord, 'rev' | 'updated_at'> {
  return {
    task_id: taskId,
    kind: 'service',
    state: 'ready',
    status: 'ready',
    queue: serviceQueueOf(svc),
    service: svc.name,
    source_name: svc.source_name,
    condition,
    ...emptyTaskFields(now),
    status_message: emptyStatusMessage(),
  };
}

/** The `serviceTask` workflow's input for a task of this service. */
export function serviceTaskInput(svc: ServiceConfig, taskId: string, condition: unknown): ServiceTaskInput {
  return {
    taskId,
    service: svc.name,
    sourceName: svc.source_name,
    condition,
    dispatch: svc.dispatch,
    topic: svc.topic_name,
    timeoutSeconds: svc.timeout_seconds,
    ...(svc.dispatch === 'temporal' ? withHeartbeat(svc) : {}),
    ...(svc.dispatch === 'temporal' && svc.task_queue ? { taskQueue: svc.task_queue } : {}),
  };
}

/** The task queue a service's activity runs on: its configured `task_queue`, or `service.<name>`. */
export function serviceQueueOf(svc: ServiceConfig): string {
  return svc.task_queue ?? serviceTaskQueue(svc.name);
}

/** Built-in services heartbeat (src/service-tasks/plugin.ts); any other service only when configured to. */
function withHeartbeat(svc: ServiceConfig): { heartbeatSeconds?: number } {
  const seconds = svc.heartbeat_seconds ?? ((BUILTIN_SERVICE_NAMES as readonly string[]).includes(svc.name) ? BUILTIN_HEARTBEAT_TIMEOUT_SECONDS : undefined);
  return seconds ? { heartbeatSeconds: seconds } : {};
}
