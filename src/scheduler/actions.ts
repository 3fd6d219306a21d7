import { z } from 'zod';
import type { Config } from '../config/index.js';
import { DeviceRequestError, execBodySchema, normalizeExecRequest, redactRequest, type DeviceJobRequest } from '../device/request.js';
import { parsingChecker } from '../device/parsing-check.js';
import { deviceRequestDefaults, jinja2Renderer } from '../device/service.js';
import { assertWebhookAllowed } from '../device/webhook-target.js';
import { HttpConditionError, isHttpBuiltin, parseHttpCondition } from '../service-tasks/http-condition.js';
import { fieldProblemsFromZod, type FieldProblem } from '../domain/field-problems.js';
import { gpuCreateTaskSchema } from '../gpu/request.js';
import type { ScheduleAction } from '../store/schedules.js';
import type { RunSecrets } from './temporal.js';

/**
 * What a scheduled task runs (DESIGN.md "Contract extensions"): each `action` type checked by its own kind's
 * rules (the device dialect's `/device/exec` parser, the GPU dialect's `/api/v2/tasks` schema, the configured
 * services), and who may run what.
 */

export const ACTION_TYPES = ['command', 'service', 'device', 'gpu'] as const;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names hold letters, digits and _');

/** A `command` action's fields. */
export const commandActionSchema = z.object({
  command: z.string().min(1).max(10_000),
  env: z.record(envName, z.string()).optional(),
});

/** Who is asking: the scheduler dialect's authenticated user. */
export interface SchedulerActor {
  sub: string;
  role: 'admin' | 'user';
}

/** Why the scheduler refused a request; the dialect turns `kind` into its status and words. */
export type SchedulerRefusal = 'invalid' | 'invalid_schedule' | 'forbidden' | 'task_not_found' | 'execution_not_found' | 'duplicate_name' | 'conflict';

export class SchedulerError extends Error {
  constructor(
    readonly kind: SchedulerRefusal,
    readonly problems: FieldProblem[],
  ) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'SchedulerError';
  }
}

export const refuse = (kind: SchedulerRefusal, field: string, message: string) => new SchedulerError(kind, [{ field, message }]);

/** What a task's `action` becomes: the stored (redacted) form, and what only its Temporal Schedule may hold. */
export interface CheckedAction {
  doc: ScheduleAction | null;
  secrets: RunSecrets;
}

/** Zod problems of an action body, each named `action.<field>`. */
const actionProblems = (error: z.ZodError): FieldProblem[] => fieldProblemsFromZod(error).map((f) => ({ ...f, field: f.field === '(body)' ? 'action' : `action.${f.field}` }));

/** Shell commands and device jobs (which change network devices) are for admins and `scheduler.commandUsers`. */
function checkCommandPermission(config: Config, user: SchedulerActor, what: string): void {
  if (user.role !== 'admin' && !config.scheduler.commandUsers.includes(user.sub)) {
    throw refuse('forbidden', 'action', `user ${user.sub} may not run ${what} (admins and scheduler.commandUsers only)`);
  }
}

/** Checks an action for its type and the user's permission; throws SchedulerError naming `action.<field>`. */
export async function checkAction(config: Config, user: SchedulerActor, action: ({ type: string } & Record<string, unknown>) | null | undefined): Promise<CheckedAction> {
  if (!action) return { doc: null, secrets: {} };
  const { type, ...body } = action;
  if (type === 'service') {
    const service = typeof action.service === 'string' ? action.service : '';
    const known = config.services.list.map((svc) => svc.name);
    if (!known.includes(service)) throw refuse('invalid', 'action.service', `unknown service '${service}' (configured: ${known.join(', ')})`);
    const condition = action.condition ?? {};
    if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
      throw refuse('invalid', 'action.condition', 'action.condition must be a JSON object');
    }
    if (isHttpBuiltin(config.services.list.find((svc) => svc.name === service))) {
      try {
        parseHttpCondition(config, condition);
      } catch (e) {
        if (e instanceof HttpConditionError) throw refuse('invalid', `action.${e.field}`, e.message);
        throw e;
      }
    }
    return { doc: { type: 'service', service, condition: condition as Record<string, unknown> }, secrets: {} };
  }
  if (type === 'device') {
    // The device dialect's own parser: the `/device/exec` schema, then its normalisation (driver, command or
    // config, credentials, rendering) with the same defaults `POST /device/exec` applies.
    const parsed = execBodySchema.safeParse(body);
    if (!parsed.success) throw new SchedulerError('invalid', actionProblems(parsed.error));
    let request: DeviceJobRequest;
    try {
      request = await normalizeExecRequest(parsed.data, deviceRequestDefaults(config), jinja2Renderer(config), parsingChecker(config));
      assertWebhookAllowed(config, request);
    } catch (e) {
      if (e instanceof DeviceRequestError) throw refuse('invalid', `action.${e.field}`, e.message);
      throw e;
    }
    checkCommandPermission(config, user, 'device jobs');
    return { doc: { type: 'device', ...redactRequest(request) }, secrets: { deviceRequest: request } };
  }
  if (type === 'gpu') {
    const parsed = gpuCreateTaskSchema.safeParse(body);
    if (!parsed.success) throw new SchedulerError('invalid', actionProblems(parsed.error));
    return { doc: { type: 'gpu', ...parsed.data }, secrets: {} };
  }
  if (type !== 'command') throw refuse('invalid', 'action.type', `unsupported action type '${type}' (supported: ${ACTION_TYPES.join(', ')})`);
  if (action.command === undefined || action.command === '') throw refuse('invalid', 'action.command', 'action.command is required for action type command');
  const parsed = commandActionSchema.safeParse(body);
  if (!parsed.success) throw new SchedulerError('invalid', actionProblems(parsed.error));
  checkCommandPermission(config, user, 'shell commands');
  return { doc: { type: 'command', command: parsed.data.command, ...(parsed.data.env ? { env: parsed.data.env } : {}) }, secrets: {} };
}
