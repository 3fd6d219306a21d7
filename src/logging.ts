import { pino, type Logger as PinoLogger } from 'pino';

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

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...base },
    redact: { paths: REDACT_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
