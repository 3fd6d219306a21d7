import { z } from 'zod';
import { INT32_MAX, INT32_MIN } from '../domain/bounds.js';
import { boundedFreeForm } from '../domain/free-form.js';

/**
 * The `POST /api/v2/tasks` body (gpu-scheduler-api.md): what the GPU dialect validates and what a scheduled `gpu`
 * action carries into its runs. Pure code.
 */

const jsonText = boundedFreeForm(z.union([z.string(), z.record(z.string(), z.any()), z.array(z.any())]), 'Text, or JSON kept as its text').transform((v) =>
  typeof v === 'string' ? v : JSON.stringify(v),
);

/** The longest task timeout: a week, as the scheduler's; as milliseconds still a timer a node's runtime can hold. */
export const GPU_MAX_TIMEOUT_MS = 7 * 86_400_000;

export const gpuCreateTaskSchema = z.object({
  taskType: z.number().int().min(INT32_MIN).max(INT32_MAX),
  userId: z.string().max(200).optional(),
  app: z.string().max(200).optional(),
  priority: z.number().int().min(0).max(1000).default(0),
  payload: jsonText.default(''),
  env: z.string().max(64 * 1024).optional(),
  timeout: z.number().int().positive().max(GPU_MAX_TIMEOUT_MS).optional().describe('ms (at most a week); default GPU_DEFAULT_TASK_TIMEOUT_SECONDS'),
  maxRetries: z.number().int().min(0).max(100).optional(),
});
export type GpuCreateTask = z.output<typeof gpuCreateTaskSchema>;
