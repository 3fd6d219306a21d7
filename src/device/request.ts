import { z } from 'zod';
import { MAX_CALL_TIMEOUT_SECONDS } from '../domain/bounds.js';
import { freeFormObject } from '../domain/free-form.js';
import { headersProblem } from '../domain/http-headers.js';
import { DEVICE_DRIVERS, deviceDriverOf, driverImplementation, type DeviceDriver, type DriverName } from '../domain/drivers.js';
import { AUTODETECT, resolveDeviceType, SUPPORTED_DEVICE_TYPES } from '../ssh/platforms/index.js';
import { DriverArgsError, validateDriverArgs } from './driver-args.js';

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
    /** Default 22, or 23 for a `*_telnet` device_type (set by `normalizeExecRequest`). */
    port: z.number().int().min(1).max(65535).optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    private_key: z.string().optional(),
    pkey: z.string().optional(),
    passphrase: z.string().optional(),
    device_type: z.string().optional(),
    // Seconds; bounded so no timer built from them overflows Node's 2^31-1 ms.
    timeout: z.number().positive().max(MAX_CALL_TIMEOUT_SECONDS).optional(),
    conn_timeout: z.number().positive().max(MAX_CALL_TIMEOUT_SECONDS).optional(),
    secret: z.string().optional(),
    keepalive: z.number().int().min(0).max(MAX_CALL_TIMEOUT_SECONDS).optional(),
  })
  .passthrough();
export type DeviceConnectionArgs = z.infer<typeof connectionArgsSchema>;

const commandValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1), z.record(z.string(), z.unknown())]);

export const webhookSchema = z.object({
  url: z.string().url(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  /** No CR/LF/NUL, token names, no framing headers (src/domain/http-headers.ts): no header injection. */
  headers: z
    .record(z.string(), z.string())
    .superRefine((headers, ctx) => {
      const problem = headersProblem(headers);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  timeout: z.number().positive().max(300).default(10),
});

/**
 * `parsing`: a template in the request, or (textfsm only) none: `template: null` or NetPulse's
 * `use_ntc_template: true`, optionally with `ntc_template_args: {platform, command}`, picks the ntc-templates template
 * by platform (default: the device_type's) and command (default: each command of the job).
 */
/** Longest `parsing.template` accepted (characters). */
export const MAX_PARSING_TEMPLATE_CHARS = 262_144;

export const parsingSchema = z.object({
  name: z.enum(['textfsm', 'regex']),
  // The largest of ntc-templates' own templates is about 20 KB; compiling is linear at some µs a character.
  template: z.string().min(1).max(MAX_PARSING_TEMPLATE_CHARS).nullable().optional(),
  use_ntc_template: z.boolean().optional(),
  ntc_template_args: z
    .object({ platform: z.string().min(1).max(100).optional(), command: z.string().min(1).max(1000).optional() })
    .strict()
    .optional(),
});

export const renderingSchema = z.object({
  name: z.literal('jinja2'),
  template: z.string().min(1),
  context: freeFormObject('Variables of the template').optional(),
});

export const execBodySchema = z
  .object({
    driver: z.string().min(1),
    connection_args: connectionArgsSchema,
    command: commandValue.optional(),
    config: commandValue.optional(),
    driver_args: freeFormObject('Per-driver options (netmiko send_command / send_config_set arguments); numbers are at most 86400').optional(),
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
  parsing?: JobParsing;
  safeToRetry: boolean;
  save: boolean;
}

/**
 * How a job's output is parsed: with the template the request carried, or with the ntc-templates template the index
 * picks for `platform` (absent: the session's, known once `autodetect` has run) and `command` (absent: each command
 * of the job).
 */
export type JobParsing = { name: 'textfsm' | 'regex'; template: string } | { name: 'textfsm'; ntc: { platform?: string; command?: string } };

export interface RequestDefaults {
  ttlSeconds: number;
  executionTimeoutSeconds: number;
}

/** Renders a Jinja2 template; rejects with an error whose message says what is wrong (syntax, a limit). */
export type Renderer = (template: string, context: Record<string, unknown>) => Promise<string>;

function toLines(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (Array.isArray(value)) return value.map(String);
  return [];
}

/**
 * Compiles a request's own parsing template without running it; throws `DeviceRequestError` (on `parsing.template`)
 * when the template cannot compile (src/device/parsing-check.ts).
 */
export type ParsingCheck = (parsing: { name: 'textfsm' | 'regex'; template: string }) => Promise<void>;

/**
 * Validates the parts zod cannot express and returns the job request. Throws `DeviceRequestError`. With
 * `checkParsing`, a parsing template of the request is compiled too.
 */
export async function normalizeExecRequest(body: ExecBody, defaults: RequestDefaults, render?: Renderer, checkParsing?: ParsingCheck): Promise<DeviceJobRequest> {
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
      text = await render(body.rendering.template, { ...(body.rendering.context ?? {}), ...vars });
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
  const connection = withDefaultPort(driver, conn);
  let driverArgs: Record<string, unknown>;
  try {
    driverArgs = validateDriverArgs(driver, mode, body.driver_args ?? {});
  } catch (e) {
    if (e instanceof DriverArgsError) throw new DeviceRequestError(e.message, `driver_args.${e.key}`);
    throw e;
  }
  if (body.save && driver === 'netmiko') {
    const resolved = resolveDeviceType(connection.device_type ?? '');
    if (resolved && !resolved.profile.save) {
      throw new DeviceRequestError(`device_type '${connection.device_type}' has nothing to save: the device applies changes at once`, 'save');
    }
  }
  const req: DeviceJobRequest = {
    driver,
    driverName,
    connection,
    mode,
    lines,
    driverArgs,
    queueStrategy: body.queue_strategy ?? (driver === 'netmiko' ? 'pinned' : 'fifo'),
    ttlSeconds: body.ttl ?? defaults.ttlSeconds,
    executionTimeoutSeconds: body.execution_timeout ?? defaults.executionTimeoutSeconds,
    safeToRetry: body.safe_to_retry ?? false,
    save: body.save ?? false,
  };
  if (body.webhook) req.webhook = body.webhook;
  const parsing = normalizeParsing(body.parsing, driverArgs.use_textfsm === true, driver, connection);
  if (parsing) req.parsing = parsing;
  if (parsing && 'template' in parsing && checkParsing) await checkParsing(parsing);
  return req;
}

/**
 * The device_type a driver needs: netmiko requires one it serves (a 400 names them all); the generic driver has no
 * use for one. The port defaults to 22, or 23 for telnet.
 */
export function checkConnectionForDriver(driver: DriverName, conn: DeviceConnectionArgs): void {
  if (driver !== 'netmiko') return;
  const dt = conn.device_type;
  if (dt === undefined || dt.trim() === '') {
    throw new DeviceRequestError(`connection_args.device_type is required for the netmiko driver; supported: ${SUPPORTED_DEVICE_TYPES.join(', ')}`, 'connection_args.device_type');
  }
  if (dt.trim().toLowerCase() !== AUTODETECT && !resolveDeviceType(dt)) {
    throw new DeviceRequestError(`unsupported device_type '${dt}'; supported: ${SUPPORTED_DEVICE_TYPES.join(', ')}`, 'connection_args.device_type');
  }
}

function withDefaultPort(driver: DriverName, conn: DeviceConnectionArgs): DeviceConnectionArgs {
  checkConnectionForDriver(driver, conn);
  if (conn.port !== undefined) return conn;
  const telnet = driver === 'netmiko' && resolveDeviceType(conn.device_type ?? '')?.transport === 'telnet';
  return { ...conn, port: telnet ? 23 : 22 };
}

function normalizeParsing(
  parsing: z.infer<typeof parsingSchema> | undefined,
  useTextfsm: boolean,
  driver: DriverName,
  conn: DeviceConnectionArgs,
): JobParsing | undefined {
  if (useTextfsm && parsing) throw new DeviceRequestError('give either driver_args.use_textfsm or parsing, not both', 'driver_args.use_textfsm');
  if (!parsing && !useTextfsm) return undefined;
  const ntcWanted = useTextfsm || parsing?.use_ntc_template === true || parsing?.template == null;
  if (!ntcWanted && parsing?.template != null) return { name: parsing.name, template: parsing.template };
  if (parsing && parsing.name !== 'textfsm') throw new DeviceRequestError('parsing.template is required for regex parsing', 'parsing.template');
  const args = parsing?.ntc_template_args;
  let platform = args?.platform;
  if (!platform && driver === 'netmiko') {
    // With autodetect the platform is the detected one, known when the job runs.
    platform = resolveDeviceType(conn.device_type ?? '')?.platform;
  } else if (!platform) {
    throw new DeviceRequestError('parsing without a template needs a platform with the generic driver: give parsing.ntc_template_args.platform', 'parsing.ntc_template_args.platform');
  }
  return { name: 'textfsm', ntc: { ...(platform ? { platform } : {}), ...(args?.command ? { command: args.command } : {}) } };
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
  if (req.parsing) out.parsing = 'ntc' in req.parsing ? { name: req.parsing.name, use_ntc_template: true, ntc_template_args: req.parsing.ntc } : { name: req.parsing.name };
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
