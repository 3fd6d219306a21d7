import { z } from 'zod';
import { DEVICE_DRIVERS, deviceDriverOf, driverImplementation, type DeviceDriver, type DriverName } from '../domain/drivers.js';

/**
 * The `/device/exec` request model (DESIGN.md "The device API", shaped after NetPulse's own model). Pure code:
 * the API validates with it, the workflow and activities receive the normalised form.
 */

/**
 * A device address: a DNS name, an IPv4 or an IPv6 address. Anything else (spaces, `;`, `$(`, quotes) cannot
 * name a host, and the host also names its pinned queue and lane, so it is refused here.
 */
const hostField = z
  .string()
  .min(1, 'host is required')
  .max(253, 'host is longer than a DNS name can be')
  .regex(/^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[?[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?\]?)$/, 'host must be a DNS name or an IP address');

export const connectionArgsSchema = z
  .object({
    host: hostField,
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    private_key: z.string().optional(),
    pkey: z.string().optional(),
    passphrase: z.string().optional(),
    device_type: z.string().optional(),
    timeout: z.number().positive().optional(),
    conn_timeout: z.number().positive().optional(),
    secret: z.string().optional(),
    keepalive: z.number().int().min(0).optional(),
  })
  .passthrough();
export type DeviceConnectionArgs = z.infer<typeof connectionArgsSchema>;

const commandValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1), z.record(z.string(), z.unknown())]);

export const webhookSchema = z.object({
  url: z.string().url(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: z.record(z.string(), z.string()).optional(),
  timeout: z.number().positive().max(300).default(10),
});

export const parsingSchema = z.object({
  name: z.enum(['textfsm', 'regex']),
  template: z.string().min(1),
});

export const renderingSchema = z.object({
  name: z.literal('jinja2'),
  template: z.string().min(1),
  context: z.record(z.string(), z.unknown()).optional(),
});

export const execBodySchema = z
  .object({
    driver: z.string().min(1),
    connection_args: connectionArgsSchema,
    command: commandValue.optional(),
    config: commandValue.optional(),
    driver_args: z.record(z.string(), z.unknown()).optional(),
    queue_strategy: z.enum(['pinned', 'fifo']).optional(),
    ttl: z.number().int().min(1).max(86400).optional(),
    execution_timeout: z.number().int().min(1).max(86400).optional(),
    webhook: webhookSchema.optional(),
    parsing: parsingSchema.optional(),
    rendering: renderingSchema.optional(),
    /** A `config` job re-runs after its worker was lost only when the client says repeating it is harmless. */
    safe_to_retry: z.boolean().optional(),
    save: z.boolean().optional(),
  })
  .passthrough();
export type ExecBody = z.infer<typeof execBodySchema>;

export const bulkBodySchema = execBodySchema.extend({
  // Each entry is checked on its own (merged with connection_args), so one bad device does not reject the rest.
  devices: z.array(z.object({ host: hostField }).passthrough()).min(1),
  connection_args: z.record(z.string(), z.unknown()).optional(),
});
export type BulkBody = z.infer<typeof bulkBodySchema>;

export class DeviceRequestError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'DeviceRequestError';
  }
}

/** What a job carries into Temporal (encrypted there by the codec): the validated, rendered request. */
export interface DeviceJobRequest {
  driver: DriverName;
  /** The driver word the client sent (`ssh` stays `ssh` in the job view). */
  driverName: DeviceDriver;
  connection: DeviceConnectionArgs;
  mode: 'command' | 'config';
  lines: string[];
  driverArgs: Record<string, unknown>;
  queueStrategy: 'pinned' | 'fifo';
  ttlSeconds: number;
  executionTimeoutSeconds: number;
  webhook?: z.infer<typeof webhookSchema>;
  parsing?: z.infer<typeof parsingSchema>;
  safeToRetry: boolean;
  save: boolean;
}

export interface RequestDefaults {
  ttlSeconds: number;
  executionTimeoutSeconds: number;
}

export type Renderer = (template: string, context: Record<string, unknown>) => string;

function toLines(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (Array.isArray(value)) return value.map(String);
  return [];
}

/** Validates the parts zod cannot express and returns the job request. Throws `DeviceRequestError`. */
export function normalizeExecRequest(body: ExecBody, defaults: RequestDefaults, render?: Renderer): DeviceJobRequest {
  const driverName = deviceDriverOf(body.driver);
  if (!driverName) throw new DeviceRequestError(`unsupported driver '${body.driver}'; supported: ${DEVICE_DRIVERS.join(', ')}`, 'driver');
  const hasCommand = body.command !== undefined;
  const hasConfig = body.config !== undefined;
  if (hasCommand === hasConfig) throw new DeviceRequestError('give exactly one of command or config', hasCommand ? 'config' : 'command');
  const mode = hasCommand ? 'command' : 'config';
  const raw = hasCommand ? body.command : body.config;
  let lines: string[];
  if (body.rendering) {
    if (!render) throw new DeviceRequestError('rendering is not available', 'rendering');
    const vars = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    let text: string;
    try {
      text = render(body.rendering.template, { ...(body.rendering.context ?? {}), ...vars });
    } catch (e) {
      throw new DeviceRequestError(`template error: ${(e as Error).message}`, 'rendering.template');
    }
    lines = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? toLines(text) : toLines(text);
  } else {
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      throw new DeviceRequestError(`${mode} may be a dict of variables only together with rendering`, mode);
    }
    lines = toLines(raw);
  }
  if (lines.length === 0) throw new DeviceRequestError(`${mode} is empty`, mode);
  const conn = body.connection_args;
  if (!conn.username) throw new DeviceRequestError('connection_args.username is required', 'connection_args.username');
  if (conn.password === undefined && conn.private_key === undefined && conn.pkey === undefined) {
    throw new DeviceRequestError('connection_args needs a password or a private key', 'connection_args.password');
  }
  const driver = driverImplementation(driverName);
  const req: DeviceJobRequest = {
    driver,
    driverName,
    connection: conn,
    mode,
    lines,
    driverArgs: body.driver_args ?? {},
    queueStrategy: body.queue_strategy ?? (driver === 'netmiko' ? 'pinned' : 'fifo'),
    ttlSeconds: body.ttl ?? defaults.ttlSeconds,
    executionTimeoutSeconds: body.execution_timeout ?? defaults.executionTimeoutSeconds,
    safeToRetry: body.safe_to_retry ?? false,
    save: body.save ?? false,
  };
  if (body.webhook) req.webhook = body.webhook;
  if (body.parsing) req.parsing = body.parsing;
  return req;
}

/** Every connection_args key that holds a credential. */
export const SECRET_KEYS = ['password', 'private_key', 'pkey', 'passphrase', 'secret'] as const;

/** The request as MongoDB, logs and responses may hold it: credentials replaced, webhook headers dropped. */
export function redactRequest(req: DeviceJobRequest): Record<string, unknown> {
  const connection: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req.connection)) {
    connection[k] = (SECRET_KEYS as readonly string[]).includes(k) || /pass|secret|key|token/i.test(k) ? '***' : v;
  }
  const out: Record<string, unknown> = {
    driver: req.driverName,
    connection_args: connection,
    [req.mode]: req.lines,
    queue_strategy: req.queueStrategy,
    ttl: req.ttlSeconds,
    execution_timeout: req.executionTimeoutSeconds,
  };
  if (Object.keys(req.driverArgs).length > 0) out.driver_args = req.driverArgs;
  if (req.webhook) out.webhook = { url: redactUrl(req.webhook.url), method: req.webhook.method };
  if (req.parsing) out.parsing = { name: req.parsing.name };
  return out;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '***';
  }
}

/** Every credential value of a request, for output redaction. */
export function secretsOfRequest(req: DeviceJobRequest): string[] {
  const out: string[] = [];
  for (const k of SECRET_KEYS) {
    const v = req.connection[k];
    if (typeof v === 'string' && v.length > 0) out.push(v);
  }
  return out;
}
