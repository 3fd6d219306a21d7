import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type Logger = PinoLogger;

/** Field paths that may carry a credential anywhere in a log line; pino replaces them before writing. */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'secret', '*.secret', '*.*.secret',
  'private_key', '*.private_key', '*.*.private_key', 'privateKey', '*.privateKey',
  'passphrase', '*.passphrase',
  'token', '*.token',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers["x-api-key"]',
  'headers.authorization', 'headers["x-api-key"]', 'headers.cookie',
  'connection_args.password', 'connection_args.secret', 'connection_args.private_key',
];

/**
 * Where log lines go: JSON lines on stdout, except when stdout is a terminal, where a person reads them: then
 * pino-pretty formats them (colours, local time, the pid and hostname left out). Pretty-printing runs in this
 * process, synchronously, so a crash loses no line; redaction has already happened by then.
 */
function destination(pretty: boolean): DestinationStream | undefined {
  if (!pretty) return undefined;
  return PinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
}

export function createLogger(level: string, base: Record<string, unknown> = {}, opts: { pretty?: boolean } = {}): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...base },
    redact: { paths: REDACT_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const stream = destination(opts.pretty ?? process.stdout.isTTY === true);
  return stream ? pino(options, stream) : pino(options);
}
