import { z } from '@hono/zod-openapi';
import { INT32_MAX, INT32_MIN, MAX_PAGE } from '../../domain/bounds.js';
import { boundedFreeForm, freeFormObject } from '../../domain/free-form.js';
import { gpuCreateTaskSchema } from '../../gpu/request.js';

export const envelope = <T extends z.ZodTypeAny>(data: T) => z.object({ code: z.number().int(), message: z.string(), data });
export const ErrorEnvelope = z.object({ code: z.number().int(), message: z.string(), data: z.any().nullable() }).openapi('GpuError');

export const GpuNode = z
  .object({
    gpuId: z.string(),
    hostname: z.string(),
    vastInsId: z.string().nullable(),
    ip: z.string(),
    port: z.number().int(),
    supportedTaskTypes: z.array(z.number().int()),
    supportedTaskPriority: z.enum(['NORMAL', 'VIP']),
    status: z.enum(['ACTIVE', 'OFFLINE', 'FAULTY']),
    lastHeartbeat: z.number().int(),
    failureCount: z.number().int(),
    taskFailureCount: z.number().int(),
    version: z.string(),
    currentTasks: z.number().int(),
    maxConcurrentTasks: z.number().int(),
    metadata: z.record(z.string(), z.any()),
    faultReason: z.string().nullable(),
  })
  .openapi('GpuNodeInfo');

/** A task type: a 32-bit integer in the reference dispatcher (Java `int`). */
export const taskType = z.number().int().min(INT32_MIN).max(INT32_MAX);

export const RegisterBody = z
  .object({
    gpuId: z.string().min(1).max(200),
    hostname: z.string().min(1).max(253),
    vastInsId: z.string().max(200).optional(),
    ip: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    supportedTaskTypes: z.array(taskType).min(1).max(1000),
    supportedTaskPriority: z.enum(['NORMAL', 'VIP']).default('NORMAL'),
    version: z.string().max(200).default(''),
    maxConcurrentTasks: z.number().int().min(1).max(10_000).default(1),
    metadata: freeFormObject('Whatever the node reports about itself').default({}),
  })
  .openapi('GpuRegister');

export const TaskDO = z
  .object({
    taskId: z.string(),
    displayId: z.number().int(),
    taskType: z.number().int(),
    status: z.enum(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'TIMEOUT']),
    userId: z.string().nullable(),
    app: z.string().nullable(),
    priority: z.number().int(),
    gpuId: z.string().nullable(),
    payload: z.string(),
    result: z.string().nullable(),
    errorMessage: z.string().nullable(),
    retryCount: z.number().int(),
    maxRetries: z.number().int(),
    timeout: z.number().int(),
    estimatedWaitTime: z.number().int(),
    createdAt: z.number().int(),
    startedAt: z.number().int().nullable(),
    completedAt: z.number().int().nullable(),
    updatedAt: z.number().int(),
    waitingReason: z.string().nullable().optional().openapi({ description: 'Why a QUEUED task waits (extension)' }),
    queuePosition: z.number().int().optional(),
    workflowId: z.string().optional().openapi({ description: 'The task\'s Temporal workflow id (the task id) (extension)' }),
    temporalUiUrl: z.string().optional().openapi({ description: 'The task\'s workflow in the Temporal UI (extension)' }),
  })
  .openapi('TaskDO');

const jsonText = boundedFreeForm(z.union([z.string(), z.record(z.string(), z.any()), z.array(z.any())]), 'Text, or JSON kept as its text').transform((v) =>
  typeof v === 'string' ? v : JSON.stringify(v),
);

export const CreateTaskBody = gpuCreateTaskSchema.openapi('GpuCreateTask');

export const CreateTaskData = z.object({ taskId: z.string(), displayId: z.number().int(), status: z.literal('QUEUED'), estimatedWaitTime: z.number().int() });

export const Progress = z
  .object({
    taskId: z.string(),
    status: z.string(),
    progress: z.number(),
    estimatedRemainingTime: z.number().int(),
    gpuId: z.string().nullable(),
    startTime: z.number().int().nullable(),
    updateTime: z.number().int(),
    queuePosition: z.number().int(),
    waitingReason: z.string().nullable().optional(),
  })
  .openapi('TaskProgress');

export const TaskResult = z
  .object({ taskId: z.string(), status: z.string(), result: z.any().nullable(), errorMessage: z.string().nullable().optional(), completedAt: z.number().int().nullable() })
  .openapi('TaskResult');

export const StatusBody = z
  .object({
    status: z.enum(['PROCESSING', 'COMPLETED', 'FAILED']),
    gpuId: z.string().optional(),
    message: z.string().optional(),
    progress: z.number().min(0).max(100).optional(),
  })
  .openapi('GpuTaskStatusUpdate');

export const ResultBody = z.object({ result: jsonText, gpuId: z.string().optional() }).openapi('GpuTaskResultUpdate');

export const Alert = z
  .object({
    id: z.string(),
    title: z.string(),
    message: z.string(),
    level: z.enum(['CRITICAL', 'WARNING', 'INFO']),
    status: z.enum(['ACTIVE', 'ACKNOWLEDGED']),
    source: z.string(),
    timestamp: z.number().int(),
    acknowledgedAt: z.number().int().nullable(),
    acknowledgedBy: z.string().nullable(),
  })
  .openapi('AlertInfo');

export const AlertStatsSchema = z.object({
  total_alerts: z.number().int(),
  critical_alerts: z.number().int(),
  warning_alerts: z.number().int(),
  info_alerts: z.number().int(),
  acknowledged_alerts: z.number().int(),
  active_alerts: z.number().int(),
});

export const HealthStatus = z
  .object({
    overall_health: z.string(),
    gpu_health: z.string(),
    queue_health: z.string(),
    active_gpu_count: z.number().int(),
    total_gpu_count: z.number().int(),
    timestamp: z.number().int(),
  })
  .openapi('HealthStatus');

export const Instance = z
  .object({
    instance_id: z.string(),
    status: z.string(),
    role: z.enum(['LEADER', 'FOLLOWER']),
    last_heartbeat: z.number().int(),
    start_time: z.number().int(),
    version: z.string(),
  })
  .openapi('ClusterInstance');

const pageField = (d: number) => z.coerce.number().int().min(1).max(MAX_PAGE).default(d);
export const TaskListQuery = z.object({
  status: z.enum(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'TIMEOUT']).optional(),
  taskType: z.coerce.number().int().min(INT32_MIN).max(INT32_MAX).optional(),
  gpuId: z.string().optional(),
  page: pageField(1),
  size: z.coerce.number().int().min(1).max(500).default(20),
});
export const AlertListQuery = z.object({
  level: z.enum(['CRITICAL', 'WARNING', 'INFO']).optional(),
  status: z.enum(['ACTIVE', 'ACKNOWLEDGED']).optional(),
  page: pageField(1),
  size: z.coerce.number().int().min(1).max(500).default(20),
});
