import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../logging.js';

let installed = false;

/**
 * What the SDK says, as a warning, for every worker created without workflows. Switchyard's activity-only workers
 * are built that way on purpose (the FIFO SSH queue, each worker's own queue, `service.<name>`): one worker per
 * task queue is how Temporal routes activities, and only the main queue runs workflows. The line is expected on
 * every healthy start, so it is logged at debug; every other SDK warning stays a warning.
 */
export const NO_WORKFLOWS_WARNING = 'No workflows registered, not polling for workflow tasks';

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
    else if (level === 'WARN' && message === NO_WORKFLOWS_WARNING) log.debug(fields, message);
    else if (level === 'WARN') log.warn(fields, message);
    else if (level === 'INFO') log.debug(fields, message);
  });
  try {
    Runtime.install({ logger: sdkLogger });
  } catch {
    // Already installed by someone else in this process (a test harness): keep theirs.
  }
}
