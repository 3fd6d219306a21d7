import { z } from '@hono/zod-openapi';
import { MAX_PAGE } from '../../domain/bounds.js';
import { boundedFreeForm, freeFormObject } from '../../domain/free-form.js';

/** Request and response bodies of the long-task document (section 1), used to validate and to document. */

const taskId = z.string().min(1).max(200).openapi({ example: 'ts_echo_0b7d3c1e-1111-4c5e-9a1b-2f3c4d5e6f70' });
const condition = freeFormObject('The task condition, handed to the service as sent').openapi({ example: { x: 'x' } });
const time = z.string().nullable().openapi({ description: 'UTC, `YYYY-MM-DD HH:MM:SS`', example: '2026-01-02 03:04:05' });
const recordStatus = z.enum(['ready', 'waiting', 'running', 'finished', 'failed']);

/**
 * `service` is documented as the configured services' names (a client, and a fuzzer, learns them from the
 * document); any other string is still read and answered with the contract's own `service not support`.
 */
export function createTaskBodyFor(services: readonly string[]) {
  const service = z.string().min(1).max(200);
  return z
    .object({ data: z.object({ service: services.length > 0 ? service.openapi({ enum: [...services], example: services[0] }) : service, condition }) })
    .openapi('CreateTaskRequest');
}

export const statusTaskBody = z.object({ data: z.array(z.object({ task_id: taskId })).min(1) }).openapi('StatusTaskRequest');

export const updateStatusBody = z
  .object({
    data: z.object({
      task_id: taskId,
      status: z.enum(['running', 'finished', 'failed']),
      message: z.string().nullable().optional(),
      data: boundedFreeForm(z.unknown(), 'The result shown by result_task (Switchyard extension)').optional(),
    }),
  })
  .openapi('UpdateStatusTaskRequest');

export const resultTaskBody = z.object({ data: z.object({ task_id: taskId }) }).openapi('ResultTaskRequest');

export const tasksBody = z
  .object({
    p_size: z.number().int().min(1).max(1000).optional().openapi({ description: 'page size, default 10' }),
    page: z.number().int().min(1).max(MAX_PAGE).optional().openapi({ description: 'page number from 1, default 1' }),
    service: z.string().max(200).optional(),
    status: recordStatus.optional(),
  })
  .openapi('TaskListRequest');

export const startTaskBody = z.object({ task_id: taskId }).openapi('StartTaskRequest');
export const updateTaskBody = z.object({ task_id: taskId, condition }).openapi('UpdateTaskRequest');

export const exceptionResponse = z
  .object({ result: z.literal('exception'), message: z.string().openapi({ example: 'service not support' }) })
  .openapi('Exception');

export const createTaskResponse = z.object({ result: z.literal('ok'), task_id: taskId });
export const statusTaskResponse = z.object({
  result: z.literal('ok'),
  status: z.array(
    z.object({
      task_id: z.string(),
      status: z.enum(['ready', 'waiting', 'running', 'finished', 'failed', 'Invalid']),
      message: z.string().nullable(),
      start_time: time,
      end_time: time,
    }),
  ),
});
export const updateStatusResponse = z.object({
  result: z.literal('ok'),
  status: z.object({ task_id: z.string(), status: z.enum(['running', 'finished', 'failed']) }),
});
export const resultTaskResponse = z.object({
  result: z.literal('ok'),
  data: z.unknown().openapi({ description: 'the result reported with the final status (null until then)' }),
  start_time: time,
  end_time: time,
  spend_time: z.number().nullable().openapi({ description: 'seconds from start_time to end_time' }),
});
export const tasksResponse = z.object({
  result: z.literal('ok'),
  total: z.number().int(),
  count: z.number().int(),
  data: z.array(z.object({ task_id: z.string(), service: z.string(), status: recordStatus, condition: z.unknown(), create_time: time })),
});
export const taskIdResponse = z.object({ result: z.literal('ok'), task_id: z.string() });
export const serviceTaskResponse = z.object({ result: z.literal('ok'), count: z.number().int(), data: z.array(z.string()) });
