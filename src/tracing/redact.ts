import type { Attributes, Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * The only span attributes that leave the process: ids, names of things, the job's kind, dialect and queue
 * strategy, HTTP method, route and status, Kafka topic. Never a credential, a request body, a job's input or a
 * URL's query (NetPulse clients put API keys there). Anything else a library adds (Temporal's terminate reason,
 * a future instrumentation's attributes) is dropped here, whatever set it.
 */
export const ALLOWED_SPAN_ATTRIBUTES: ReadonlySet<string> = new Set([
  // Temporal's interceptors
  'temporalWorkflowId',
  'run_id',
  'temporalActivityId',
  'temporalUpdateId',
  // what the worker adds to workflow spans (src/tracing/temporal.ts)
  'workflowId',
  'runId',
  'workflowType',
  'taskQueue',
  // HTTP server spans (src/api/tracing.ts)
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'switchyard.request_id',
  'switchyard.dialect',
  // the job (set by the service that accepts it)
  'switchyard.job.id',
  'switchyard.job.kind',
  'switchyard.queue_strategy',
  // Kafka producer spans (src/kafka/producer.ts)
  'messaging.system',
  'messaging.operation.type',
  'messaging.destination.name',
  'messaging.batch.message_count',
]);

/** Longest error text kept in a span's status or exception event: enough to say what went wrong. */
export const MAX_ERROR_TEXT = 300;

function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= MAX_ERROR_TEXT ? text : `${text.slice(0, MAX_ERROR_TEXT)}…`;
}

function allowed(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attributes)) if (ALLOWED_SPAN_ATTRIBUTES.has(k)) out[k] = v;
  return out;
}

/** Exception events keep their type and a clipped message (no stack trace); other events keep only their name. */
function events(list: TimedEvent[]): TimedEvent[] {
  return list.map((e) => {
    if (e.name !== 'exception') return { name: e.name, time: e.time };
    const type = e.attributes?.['exception.type'];
    const message = e.attributes?.['exception.message'];
    return {
      name: e.name,
      time: e.time,
      attributes: {
        ...(type !== undefined && { 'exception.type': String(type) }),
        ...(message !== undefined && { 'exception.message': clip(String(message)) }),
      },
    };
  });
}

/** A copy of the span holding only what may leave the process. */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  const kept = allowed(span.attributes);
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanId: span.parentSpanId,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code, ...(span.status.message !== undefined && { message: clip(span.status.message) }) },
    attributes: kept,
    links: span.links.map((l) => ({ context: l.context })),
    events: events(span.events),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount + Object.keys(span.attributes).length - Object.keys(kept).length,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Puts the allow-list in front of the processor that exports: every span, from any library, passes it. */
export class AllowListSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.next.onEnd(redactSpan(span));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
