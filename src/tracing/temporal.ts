import type { ClientInterceptors, WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import { installedTracing } from './provider.js';
import { inTrace } from './spans.js';

export { TRACE_HEADER };

/**
 * Temporal's client interceptor, called only inside a trace: a workflow started, signalled or updated by a traced
 * request gets a span and the trace in its headers; a call no trace led to (a reconcile pass, a monitor's own
 * start) makes no span and adds no header, so its workflow runs untraced.
 */
function onlyInTrace(inner: WorkflowClientInterceptor): WorkflowClientInterceptor {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (input: unknown, next: (input: unknown) => unknown) => (inTrace() ? (value as (i: unknown, n: unknown) => unknown).call(target, input, next) : next(input));
    },
  });
}

/** The Temporal client's interceptors: tracing's when it is installed, none otherwise. */
export function tracingClientInterceptors(): ClientInterceptors | undefined {
  if (!installedTracing()) return undefined;
  return { workflow: [onlyInTrace(new OpenTelemetryWorkflowClientInterceptor())] };
}

/**
 * Activity spans (`RunActivity:<type>`), a child of the workflow's `StartActivity` span, for activities whose
 * workflow is traced (the trace came in its headers); other activities run as they would without tracing.
 */
function activityInterceptors(): ActivityInterceptorsFactory {
  return (ctx) => {
    const otel = new OpenTelemetryActivityInboundInterceptor(ctx);
    return {
      inbound: { execute: (input, next) => (input.headers[TRACE_HEADER] ? otel.execute(input, next) : next(input)) },
      // Log lines of a traced activity carry its trace and span ids.
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    };
  };
}

/**
 * Where a traced workflow's spans go: the workflow sandbox builds them and hands them out through this sink, which
 * adds the workflow's ids and type (not the rest of its info: memo, search attributes) and passes them to the
 * process's span processor. Without tracing the sink is still there, doing nothing: a workflow started traced
 * (by a traced API) may run on an untraced worker.
 */
export function tracingSinks(): InjectedSinks<OpenTelemetrySinks> {
  const tracing = installedTracing();
  if (!tracing) return { exporter: { export: { fn: () => undefined } } };
  const exporter = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  return {
    exporter: {
      export: {
        fn: (info, spans) => {
          const ids = { workflowId: info.workflowId, runId: info.runId, workflowType: info.workflowType, taskQueue: info.taskQueue };
          exporter.export.fn(ids as unknown as WorkflowInfo, spans);
        },
      },
    },
  };
}

/** What every Temporal worker of this process adds to its options for tracing. */
export function tracingWorkerOptions(): { interceptors?: { activity: ActivityInterceptorsFactory[] }; sinks: InjectedSinks<OpenTelemetrySinks> } {
  return {
    ...(installedTracing() && { interceptors: { activity: [activityInterceptors()] } }),
    sinks: tracingSinks(),
  };
}
