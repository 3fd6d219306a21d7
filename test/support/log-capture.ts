import { Writable } from 'node:stream';
import { pino } from 'pino';
import { REDACT_PATHS, type Logger } from '../../src/logging.js';

/** A debug-level logger with the service's own redaction that keeps every line, for tests that grep the logs. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug', redact: { paths: REDACT_PATHS, censor: '***' } },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  return { logger, lines };
}
