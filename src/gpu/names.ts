/** Names shared by the GPU API, activities and workflows (pure: workflows import it). */

/** Workflow id of a task type's dispatcher (one arbiter per task type and task queue). */
export function dispatcherWorkflowId(taskQueue: string, taskType: number): string {
  return `gpu-dispatcher-${taskQueue}-${taskType}`;
}

/** Workflow id of the GPU health monitor (one per task queue). */
export function monitorWorkflowId(taskQueue: string): string {
  return `gpu-monitor-${taskQueue}`;
}

export function gpuQueueName(taskType: number): string {
  return `gpu:${taskType}`;
}

export const GPU_SIGNALS = {
  enqueue: 'gpuEnqueue',
  wake: 'gpuWake',
  remove: 'gpuRemove',
  assigned: 'gpuAssigned',
  dispatchFailed: 'gpuDispatchFailed',
  nodeStatus: 'gpuNodeStatus',
  nodeResult: 'gpuNodeResult',
  nodeLost: 'gpuNodeLost',
} as const;

export interface AssignedSignal {
  gpuId: string;
  claimId: string;
  attempt: number;
  ip: string;
  port: number;
}

export interface NodeStatusSignal {
  status: 'PROCESSING' | 'COMPLETED' | 'FAILED';
  gpuId?: string;
  progress?: number;
  message?: string;
  at: number;
}

export interface NodeResultSignal {
  result: string;
  gpuId?: string;
  at: number;
}

/** The body a node receives (DESIGN.md "How a GPU node receives work"). */
export interface NodeTaskBody {
  taskId: string;
  taskType: number;
  priority: number;
  payload: string;
  timeout: number;
}

export interface GpuTaskInput {
  taskId: string;
  displayId: number;
  taskType: number;
  priority: number;
  userId: string | null;
  app: string | null;
  env: string | null;
  payload: string;
  /** ms */
  timeout: number;
  maxRetries: number;
  createdAt: number;
  estimatedWaitTime: number;
  /** Set when the API sent the task to its node itself (nothing waited before it): the task starts running there. */
  assigned?: AssignedSignal;
}
