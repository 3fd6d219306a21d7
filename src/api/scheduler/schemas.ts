import { z } from '@hono/zod-openapi';
import { INT32_MAX, INT32_MIN, MAX_PAGE } from '../../domain/bounds.js';
import { freeFormObject } from '../../domain/free-form.js';
import { MAX_DATE_YEAR, MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS } from '../../scheduler/spec.js';

/** Request and response bodies of scheduler-api.md, used to validate requests and to document every endpoint. */

const time = z.string().nullable().openapi({ description: 'UTC ISO 8601', example: '2024-01-01T02:00:00Z' });
const scheduleType = z.enum(['ONCE', 'CRON', 'INTERVAL', 'DATE']);
const status = z.enum(['PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED']);

/**
 * What a run does. Only `type` is checked here; the rest is checked for its type (src/scheduler/actions.ts): `command`, `service`
 * against the configured services, `device` with the device dialect's `/device/exec` parser, `gpu` with the GPU
 * dialect's `/api/v2/tasks` schema. Each problem names its field as `action.<field>`.
 */
export const actionSchema = z
  .object({
    type: z.string().openapi({
      description:
        '`command`: a shell command (admins and SCHEDULER_COMMAND_USERS only). `service`: each run creates a task of a configured long-task service. `device`: each run submits a device job; the other fields are a `POST /device/exec` body (admins and SCHEDULER_COMMAND_USERS only; credentials are kept only in the encrypted Temporal Schedule and shown as `***`). `gpu`: each run creates a GPU task; the other fields are a `POST /api/v2/tasks` body. Each run ends with its job’s outcome.',
      example: 'command',
    }),
    command: z.unknown().optional().openapi({ description: 'type `command`: the shell command (1-10000 characters); type `device`: the command(s) as `/device/exec` takes them', example: 'echo hello' }),
    env: z.unknown().optional().openapi({ description: 'type `command`: extra environment variables (an object of strings); nothing of the service environment is passed on. Type `gpu`: the task’s `env` text' }),
    service: z.string().optional().openapi({ description: 'type `service`: a service named in the long-task configuration', example: 'echo' }),
    condition: freeFormObject('type `service`: the task condition').optional(),
    driver: z.string().optional().openapi({ description: 'type `device`: `netmiko` | `paramiko` | `ssh`', example: 'ssh' }),
    connection_args: z.record(z.string(), z.unknown()).optional().openapi({ description: 'type `device`: host, port, username, password or private key, device_type, secret, …' }),
    taskType: z.number().int().min(INT32_MIN).max(INT32_MAX).optional().openapi({ description: 'type `gpu`: the GPU task type', example: 7 }),
    payload: z.unknown().optional().openapi({ description: 'type `gpu`: the task payload (text or JSON)' }),
  })
  .passthrough()
  .openapi('SchedulerAction');

const scheduleConfig = z
  .union([z.string().max(200), z.number().int().min(MIN_INTERVAL_SECONDS).max(MAX_INTERVAL_SECONDS)])
  .transform((v) => String(v))
  .openapi({
    description: `CRON expression (5 fields, UTC), interval seconds (${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS}, as text or a number) or ISO 8601 date with zone (in the future, before ${MAX_DATE_YEAR + 1})`,
    example: '0 */2 * * *',
  });

const nameSchema = z.string().trim().min(3, '任务名称长度必须为3-50个字符').max(50, '任务名称长度必须为3-50个字符');
const intIn = (min: number, max: number) => z.number().int().min(min).max(max);
/** A project id: a 32-bit integer, as the reference scheduler's database keeps it. */
const projectId = intIn(INT32_MIN, INT32_MAX);

export const createTaskBody = z
  .object({
    name: nameSchema.openapi({ example: '数据同步任务' }),
    description: z.string().max(1000).nullable().optional(),
    project_id: projectId.openapi({ example: 1 }),
    schedule_type: scheduleType,
    schedule_config: scheduleConfig.optional(),
    is_active: z.boolean().default(true),
    timeout_seconds: intIn(1, 7 * 86400).default(3600),
    max_instances: intIn(1, 100).default(1),
    retry_count: intIn(0, 10).default(0),
    priority: intIn(-1000, 1000).default(0),
    action: actionSchema.nullable().optional(),
  })
  .openapi('SchedulerCreateTaskRequest');

export const updateTaskBody = z
  .object({
    name: nameSchema.optional(),
    description: z.string().max(1000).nullable().optional(),
    project_id: projectId.optional(),
    schedule_type: scheduleType.optional(),
    schedule_config: scheduleConfig.optional(),
    is_active: z.boolean().optional(),
    timeout_seconds: intIn(1, 7 * 86400).optional(),
    max_instances: intIn(1, 100).optional(),
    retry_count: intIn(0, 10).optional(),
    priority: intIn(-1000, 1000).optional(),
    action: actionSchema.nullable().optional(),
  })
  .openapi('SchedulerUpdateTaskRequest');

const lastExecution = z
  .object({ execution_id: z.string(), status, start_time: time, duration_seconds: z.number().nullable() })
  .nullable()
  .openapi('SchedulerLastExecution');

export const taskSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    project_id: z.number().int(),
    project_name: z.string().optional(),
    schedule_type: scheduleType,
    schedule_config: z.string(),
    is_active: z.boolean(),
    status,
    timeout_seconds: z.number().int(),
    max_instances: z.number().int(),
    retry_count: z.number().int(),
    priority: z.number().int(),
    action: actionSchema.nullable(),
    next_run_time: time,
    created_at: time,
    updated_at: time,
    execution_summary: z
      .object({
        total_executions: z.number().int(),
        success_count: z.number().int(),
        failed_count: z.number().int(),
        last_success: time,
        last_failure: time,
      })
      .optional(),
  })
  .openapi('SchedulerTask');

export const taskListItem = taskSchema
  .pick({ id: true, name: true, description: true, project_id: true, schedule_type: true, schedule_config: true, is_active: true, status: true, next_run_time: true, created_at: true })
  .extend({ last_execution: lastExecution })
  .openapi('SchedulerTaskListItem');

export const executionSchema = z
  .object({
    execution_id: z.string(),
    task_id: z.number().int(),
    task_name: z.string().nullable().optional(),
    status,
    start_time: time,
    end_time: time,
    duration_seconds: z.number().nullable(),
    exit_code: z.number().int().nullable(),
    output_summary: z.string().nullable(),
    error_message: z.string().nullable(),
    log_file_path: z.string().nullable(),
    error_log_path: z.string().nullable(),
    job_id: z.string().nullable().openapi({ description: 'Extension: the service task, device job or GPU task this run created (null for commands)', example: 'job_0123456789abcdef0123456789abcdef' }),
    job_kind: z.enum(['service', 'device', 'gpu']).nullable().openapi({ description: 'Extension: the kind of `job_id`' }),
    workspace_path: z.string().nullable().optional(),
    resource_usage: z.object({ max_memory_mb: z.number().nullable(), avg_cpu_percent: z.number().nullable() }).optional(),
    created_at: time,
  })
  .openapi('SchedulerExecution');

export const logsSchema = z
  .object({
    execution_id: z.string(),
    log_type: z.enum(['output', 'error']),
    content: z.array(z.string()),
    file_path: z.string(),
    file_size: z.number().int(),
    lines_count: z.number().int(),
    last_modified: time,
  })
  .openapi('SchedulerExecutionLogs');

export const statsSchema = z
  .object({
    total_executions: z.number().int(),
    success_count: z.number().int(),
    failed_count: z.number().int(),
    success_rate: z.number(),
    average_duration: z.number().nullable(),
    last_execution: lastExecution,
    execution_trends: z.object({ daily_counts: z.array(z.object({ date: z.string(), success: z.number().int(), failed: z.number().int() })) }),
  })
  .openapi('SchedulerTaskStats');

export const metricsSchema = z
  .object({
    cpu_percent: z.number(),
    memory_percent: z.number(),
    disk_usage: z.number(),
    active_tasks: z.number().int(),
    scheduler_status: z.string(),
    queue_status: z.object({ pending_tasks: z.number().int(), running_tasks: z.number().int(), completed_today: z.number().int() }),
    database_status: z.string(),
    redis_status: z.string().openapi({ description: 'No Redis here: the status of the Kafka broker (see kafka_status)' }),
    kafka_status: z.string(),
    temporal_status: z.string(),
    last_updated: time,
  })
  .openapi('SchedulerMetrics');

export const runningSchema = z
  .array(
    z.object({
      task_id: z.number().int(),
      task_name: z.string(),
      execution_id: z.string(),
      start_time: time,
      running_time: z.number().int(),
      status,
      progress: z.object({ current_step: z.string(), progress_percent: z.number().int() }),
    }),
  )
  .openapi('SchedulerRunning');

export const cleanupSchema = z
  .object({
    cleanup_summary: z.object({
      directories_removed: z.number().int(),
      space_freed_mb: z.number(),
      oldest_removed: time,
      cleanup_time: time,
    }),
  })
  .openapi('SchedulerCleanup');

export const errorSchema = z
  .object({
    success: z.literal(false),
    code: z.number().int(),
    message: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })),
    timestamp: z.string(),
  })
  .openapi('SchedulerError');

export function envelope<T extends z.ZodType>(data: T, name: string) {
  return z.object({ success: z.literal(true), code: z.literal(200), message: z.string(), data }).openapi(name);
}

export function page<T extends z.ZodType>(item: T, name: string) {
  return z.object({ total: z.number().int(), page: z.number().int(), size: z.number().int(), items: z.array(item) }).openapi(name);
}

export const nullData = z.null();

// ---- path and query parameters: validated (and turned into numbers and dates) before a handler runs -----------

/** An integer query parameter: absent or empty gives `def`; anything but an integer in [min, max] is refused. */
function intQuery(name: string, def: number, min: number, max: number, description: string) {
  return z
    .string()
    .optional()
    // Documented as the integer it is read as, with its bounds (a query parameter travels as text either way).
    .openapi({ description, example: String(def), type: 'integer', minimum: min, maximum: max } as never)
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return def;
      if (!/^-?\d+$/.test(raw)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer` });
        return z.NEVER;
      }
      const n = Number(raw);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });
}

/** A date or datetime query parameter (a bare date is midnight UTC); absent or empty gives null. */
function dateQuery(name: string, description: string) {
  return z
    .string()
    .optional()
    .openapi({ description })
    .transform((raw, ctx) => {
      if (!raw) return null;
      const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
      if (Number.isNaN(d.getTime())) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an ISO 8601 date or datetime` });
        return z.NEVER;
      }
      return d;
    });
}

const statusWords = status.options.join(', ');
const statusQuery = z.enum(status.options, { error: `status must be one of ${statusWords}` }).optional();
const logTypeQuery = z.enum(['output', 'error'], { error: 'log_type must be output or error' }).default('output');

export const taskIdParams = z.object({
  task_id: z
    .string()
    .openapi({ param: { name: 'task_id', in: 'path' }, example: '1' })
    .regex(/^0*[1-9]\d*$/, 'task_id must be a positive integer')
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), 'task_id is larger than any task id'),
});
export const executionIdParams = z.object({
  execution_id: z.string().openapi({ param: { name: 'execution_id', in: 'path' }, example: 'exec-switchyard-1-2024-01-01T02:00:00Z' }),
});

const pageQuery = {
  page: intQuery('page', 1, 1, MAX_PAGE, 'page number, default 1'),
  size: intQuery('size', 20, 1, 100, 'page size, default 20, at most 100'),
};

export const listTasksQuery = z.object({
  ...pageQuery,
  status: statusQuery,
  is_active: z.enum(['true', 'false'], { error: 'is_active must be true or false' }).optional(),
});

export const executionsQuery = z.object({
  ...pageQuery,
  status: statusQuery,
  start_date: dateQuery('start_date', 'executions created at or after (ISO 8601)'),
  end_date: dateQuery('end_date', 'executions created at or before (ISO 8601)'),
});

export const logsQuery = z.object({
  log_type: logTypeQuery,
  lines: intQuery('lines', 10_000, 1, 10_000, 'last N lines, 1..10000 (default all, at most 10000)'),
});

export const streamQuery = z.object({ log_type: logTypeQuery });

export const cleanupQuery = z.object({ max_age_hours: intQuery('max_age_hours', 24, 0, 100_000, 'default 24') });

export const sseSchema = z.string().openapi({ description: '`event: log` / `data: <line>` per line; finally `event: end` / `data: {"status": …, "exit_code": …}`' });
