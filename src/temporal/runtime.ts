import { createServer } from 'node:net';
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../logging.js';

let installed = false;
/** Where this process's SDK Prometheus exporter listens, when this module installed the runtime with one. */
let sdkMetricsUrl: string | null = null;

/** A free port on 127.0.0.1, for the SDK's exporter (it cannot be told port 0 and then asked which it took). */
async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * What the SDK says, as a warning, for every worker created without workflows. Switchyard's activity-only workers
 * are built that way on purpose (the FIFO SSH queue, each worker's own queue, `service.<name>`): one worker per
 * task queue is how Temporal routes activities, and only the main queue runs workflows. The line is expected on
 * every healthy start, so it is logged at debug; every other SDK warning stays a warning.
 */
export const NO_WORKFLOWS_WARNING = 'No workflows registered, not polling for workflow tasks';

/**
 * Installs the Temporal SDK runtime: its own logs (worker, core) into pino and, for a worker, its Prometheus
 * metrics (`temporal_*`: poll and task latencies, slots, sticky cache, activity and workflow outcomes) on
 * 127.0.0.1:<metricsPort>, which the worker's /metrics serves too (sdkMetricsText). Runtime.install may run once
 * per process, before the first NativeConnection; later calls are ignored.
 */
export async function installTemporalRuntime(logger: Logger, opts: { metricsPort?: number } = {}): Promise<void> {
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
  const port = opts.metricsPort === undefined ? null : opts.metricsPort || (await freeLoopbackPort());
  try {
    Runtime.install({
      logger: sdkLogger,
      ...(port !== null && {
        telemetryOptions: {
          metrics: { metricPrefix: 'temporal_', prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
        },
      }),
    });
    if (port !== null) {
      sdkMetricsUrl = `http://127.0.0.1:${port}/metrics`;
      log.info({ url: sdkMetricsUrl }, 'Temporal SDK metrics exported (also served on the worker\'s /metrics)');
    }
  } catch {
    // Already installed by someone else in this process (a test harness): keep theirs.
  }
}

/** The SDK's Prometheus text, or '' when this process exports none (or the exporter does not answer). */
export async function sdkMetricsText(): Promise<string> {
  if (!sdkMetricsUrl) return '';
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}
