import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
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
  return inNewSpan(name, kind, attributes, context.active(), fn);
}

/** Kafka message headers as kafkajs gives them: text or bytes, one value or several. */
export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/**
 * Runs `fn` in a CONSUMER span that continues the trace a consumed message names in its W3C `traceparent` header
 * (our producer writes one; an algorithm module may too). Like a request without one, a message without a valid,
 * sampled `traceparent` makes no trace, and with tracing off nothing is read.
 */
export async function withMessageSpan<T>(headers: MessageHeaders | undefined, name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  if (!installedTracing() || !headers) return fn();
  const carrier: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const raw = headers[key];
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first !== undefined) carrier[key] = typeof first === 'string' ? first : first.toString('utf8');
  }
  if (!carrier.traceparent) return fn();
  // The W3C propagator checks the header's form; a malformed one gives no span context, so no trace.
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  if (!trace.getSpanContext(parent)) return fn();
  return inNewSpan(name, SpanKind.CONSUMER, attributes, parent, () => fn());
}

/** A span under `parent`, active while `fn` runs; it ends with fn, as an error if fn throws. */
function inNewSpan<T>(name: string, kind: SpanKind, attributes: Attributes, parent: Context, fn: (span: Span | null) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, { kind, attributes }, parent, async (span) => {
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
