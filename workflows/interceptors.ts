/**
 * Workflow interceptors bundled with the workflows (`workflowInterceptorModules`): not a workflow, so not exported
 * by workflows/index.ts. They trace a run whose start carried a trace (Temporal's OpenTelemetry interceptors:
 * `RunWorkflow`, `StartActivity`, signals and updates it handles), and pass everything straight through otherwise.
 *
 * Whether a run is traced depends only on its history (the trace header recorded in its start event), never on
 * this worker's configuration: the same history takes the same path on every worker and at every replay, so
 * turning tracing on or off never changes the commands a running workflow issues. A run whose start had no trace
 * behaves exactly as it did before these interceptors existed (the recorded histories replay through them).
 *
 * Long-lived workflows (lanes, the GPU dispatchers and monitor) are never traced: one run serves many requests
 * for hours, and each request's trace belongs to the job workflow it started.
 */
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { LONG_LIVED_WORKFLOW_TYPES } from '../src/temporal/versioning.js';

/** The header Temporal's OpenTelemetry interceptors carry a trace in (their TRACE_HEADER). */
const TRACE_HEADER = '_tracer-data';

const UNTRACED_TYPES: ReadonlySet<string> = new Set(LONG_LIVED_WORKFLOW_TYPES);

interface Tracing {
  inbound: OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryInternalsInterceptor;
}

export const interceptors = (): WorkflowInterceptors => {
  // Per run: set when its start carried a trace. Until then, and for untraced runs, every call passes through.
  let otel: Tracing | null = null;
  return {
    inbound: [
      {
        execute(input, next) {
          if (input.headers[TRACE_HEADER] === undefined || UNTRACED_TYPES.has(workflowInfo().workflowType)) return next(input);
          otel = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor(), internals: new OpenTelemetryInternalsInterceptor() };
          return otel.inbound.execute(input, next);
        },
        handleSignal: (input, next) => (otel ? otel.inbound.handleSignal(input, next) : next(input)),
        handleUpdate: (input, next) => (otel ? otel.inbound.handleUpdate(input, next) : next(input)),
        validateUpdate: (input, next) => (otel ? otel.inbound.validateUpdate(input, next) : next(input)),
        handleQuery: (input, next) => (otel ? otel.inbound.handleQuery(input, next) : next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => (otel ? otel.outbound.scheduleActivity(input, next) : next(input)),
        scheduleLocalActivity: (input, next) => (otel ? otel.outbound.scheduleLocalActivity(input, next) : next(input)),
        startChildWorkflowExecution: (input, next) => (otel ? otel.outbound.startChildWorkflowExecution(input, next) : next(input)),
        continueAsNew: (input, next) => (otel ? otel.outbound.continueAsNew(input, next) : next(input)),
        signalWorkflow: (input, next) => (otel ? otel.outbound.signalWorkflow(input, next) : next(input)),
        getLogAttributes: (input, next) => (otel ? otel.outbound.getLogAttributes(input, next) : next(input)),
      },
    ],
    internals: [{ dispose: (input, next) => (otel ? otel.internals.dispose(input, next) : next(input)) }],
  };
};
