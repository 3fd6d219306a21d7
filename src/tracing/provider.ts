import { context, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';
import { AllowListSpanProcessor } from './redact.js';

/** The name every Switchyard span (API, Kafka) is created under; Temporal's interceptors use their own. */
export const TRACER_NAME = 'switchyard';

/** This process's tracing, once installed: a provider registered as OpenTelemetry's global one. */
export interface InstalledTracing {
  provider: BasicTracerProvider;
  /** What every span ends in (the allow-list in front of the exporter): the worker hands workflow spans to it too. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends what is buffered (API and worker shutdown). */
  flush(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** Share of root traces kept; a request carrying a caller's sampled flag follows it. */
  sampleRatio: number;
  /** Where spans go: an OTLP exporter behind a batch processor in production, an in-memory one in tests. */
  spanProcessor: SpanProcessor;
  /** Extra resource attributes (`switchyard.process`: api or worker). */
  attributes?: Attributes;
}

let installed: InstalledTracing | null = null;

/**
 * Installs tracing for this process: a tracer provider (parent-based ratio sampler), AsyncLocalStorage context
 * propagation and the W3C trace-context propagator, all as OpenTelemetry's globals. Once per process: a later
 * call (the worker of a process that also runs the API, in tests) gets the first one. Every span passes the
 * attribute allow-list (redact.ts) before `spanProcessor` sees it.
 */
export function installTracing(opts: TracingOptions): InstalledTracing {
  if (installed) return installed;
  const resource = new Resource({ 'service.name': opts.serviceName, ...opts.attributes });
  const spanProcessor = new AllowListSpanProcessor(opts.spanProcessor);
  const provider = new BasicTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
    spanProcessors: [spanProcessor],
  });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
  installed = { provider, spanProcessor, resource, flush: () => provider.forceFlush() };
  return installed;
}

/** The installed tracing, or null: then nothing in this process creates a span or adds a trace header. */
export function installedTracing(): InstalledTracing | null {
  return installed;
}

/**
 * Tracing as configured: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans go to `<endpoint>/v1/traces` as OTLP
 * protobuf over HTTP in batches; unset, nothing is installed (unless a test installed its own first).
 */
export function startConfiguredTracing(config: Config, logger: Logger, role: 'api' | 'worker'): InstalledTracing | null {
  if (installed) return installed;
  const endpoint = config.tracing.otlpEndpoint;
  if (!endpoint) return null;
  const url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  const tracing = installTracing({
    serviceName: config.tracing.serviceName,
    sampleRatio: config.tracing.sampleRatio,
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url })),
    attributes: { 'switchyard.process': role },
  });
  logger.info({ url, sampleRatio: config.tracing.sampleRatio }, 'tracing: spans exported over OTLP');
  return tracing;
}

/** Test support: forget the installed provider and OpenTelemetry's globals, so another test may install its own. */
export async function uninstallTracing(): Promise<void> {
  const t = installed;
  installed = null;
  trace.disable();
  context.disable();
  propagation.disable();
  await t?.provider.shutdown();
}
