import type { SpanKind} from '@opentelemetry/api';
import { context, propagation, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { installedTracing, TRACER_NAME } from './provider.js';

/**
 * True while a sampled span is active here: only then does Switchyard add spans or trace headers of its own. Work
 * that no traced request started (a monitor's sweep, a reconcile pass, a batch of task events) makes no trace.
 */
export function inTrace(): boolean {
  if (!installedTracing()) return false;
  return trace.getActiveSpan()?.isRecording() ?? false;
}

/** Adds attributes to the active span, if any (the job's id, kind and queue strategy when a service accepts it). */
export function annotateActiveSpan(attributes: Attributes): void {
  if (inTrace()) trace.getActiveSpan()!.setAttributes(attributes);
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`), or undefined outside a trace. */
export function traceHeaders(): Record<string, string> | undefined {
  if (!inTrace()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs `fn` inside a span of its own when a trace is active (a child of the active span), else just runs it.
 * `fn` receives the span (or null) so it can add what it learns; the span ends with fn, as an error if fn throws.
 */
export async function withSpan<T>(name: string, kind: SpanKind, attributes: Attributes, fn: (span: Span | null) => Promise<T>): Promise<T> {
  if (!inTrace()) return fn(null);
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      const result = await fn(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message ?? String(e) });
      span.recordException(e as Error);
      throw e;
    } finally {
      span.end();
    }
  });
}
