import { z } from 'zod';

/**
 * The `POST /api/v2/tasks` body (gpu-scheduler-api.md): what the GPU dialect validates and what a scheduled `gpu`
 * action carries into its runs. Pure code.
 */

const jsonText = z.union([z.string(), z.record(z.string(), z.any()), z.array(z.any())]).transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

export const gpuCreateTaskSchema = z.object({
  taskType: z.number().int(),
  userId: z.string().optional(),
  app: z.string().optional(),
  priority: z.number().int().min(0).max(1000).default(0),
  payload: jsonText.default(''),
  env: z.string().optional(),
  timeout: z.number().int().positive().optional().describe('ms; default GPU_DEFAULT_TASK_TIMEOUT_SECONDS'),
  maxRetries: z.number().int().min(0).max(100).optional(),
});
export type GpuCreateTask = z.output<typeof gpuCreateTaskSchema>;
