import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../logging.js';

let installed = false;

/**
 * Routes the Temporal SDK's own logs (worker, core) into pino. Runtime.install may run once per process, before
 * the first NativeConnection; later calls are ignored.
 */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const log = logger.child({ component: 'temporal-sdk' });
  const sdkLogger = new DefaultLogger('INFO', ({ level, message, meta }: { level: LogLevel; message: string; meta?: LogMetadata }) => {
    const fields = meta ?? {};
    if (level === 'ERROR') log.error(fields, message);
    else if (level === 'WARN') log.warn(fields, message);
    else if (level === 'INFO') log.debug(fields, message);
  });
  try {
    Runtime.install({ logger: sdkLogger });
  } catch {
    // Already installed by someone else in this process (a test harness): keep theirs.
  }
}
