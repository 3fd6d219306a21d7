import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startBanner } from '../../src/cli/banner.js';
import { loadConfig } from '../../src/config/index.js';
import { EventPublisher } from '../../src/kafka/event-publisher.js';
import type { JsonProducer, OutgoingMessage } from '../../src/kafka/producer.js';
import { createLogger } from '../../src/logging.js';
import { installedTracing, installTracing, startConfiguredTracing, uninstallTracing } from '../../src/tracing/provider.js';
import { MAX_ERROR_TEXT } from '../../src/tracing/redact.js';
import { inTrace, traceHeaders, withSpan } from '../../src/tracing/spans.js';
import { tracingClientInterceptors, tracingSinks, tracingWorkerOptions } from '../../src/tracing/temporal.js';

afterEach(() => uninstallTracing());

describe('tracing configuration', () => {
  it('is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; takes only an http(s) URL without credentials', () => {
    const off = loadConfig({ env: {} }).tracing;
    expect(off).toEqual({ serviceName: 'switchyard', sampleRatio: 1 });
    expect(loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: '' } }).tracing.otlpEndpoint).toBeUndefined();
    const on = loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'sy', TRACING_SAMPLE_RATIO: '0.25' } }).tracing;
    expect(on).toEqual({ otlpEndpoint: 'http://127.0.0.1:4318', serviceName: 'sy', sampleRatio: 0.25 });
    expect(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' } })).toThrowError(/OTEL_EXPORTER_OTLP_ENDPOINT .*http/);
    expect(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:pw@collector:4318' } })).toThrowError(/OTEL_EXPORTER_OTLP_ENDPOINT .*credentials/);
    expect(() => loadConfig({ env: { TRACING_SAMPLE_RATIO: '2' } })).toThrowError(/TRACING_SAMPLE_RATIO/);
  });
});

describe('without tracing installed', () => {
  it('adds no span, header, client or activity interceptor; the workflow sink is a no-op', async () => {
    expect(inTrace()).toBe(false);
    expect(traceHeaders()).toBeUndefined();
    expect(await withSpan('x', SpanKind.INTERNAL, {}, async (span) => span)).toBeNull();
    expect(tracingClientInterceptors()).toBeUndefined();
    const options = tracingWorkerOptions();
    expect(options.interceptors).toBeUndefined();
    expect(() => tracingSinks().exporter.export.fn({} as never, [])).not.toThrow();
  });
});

describe('with tracing installed', () => {
  it('keeps only allowed attributes, clips error text and drops stack traces', async () => {
    const exporter = new InMemorySpanExporter();
    installTracing({ serviceName: 't', sampleRatio: 1, spanProcessor: new SimpleSpanProcessor(exporter) });
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('root', async (root) => {
      expect(inTrace()).toBe(true);
      await withSpan('child', SpanKind.PRODUCER, { 'messaging.destination.name': 'topic', password: 'hunter2', 'http.request.body': '{"password":"x"}' }, async (span) => {
        span!.setAttribute('switchyard.job.id', 'job_1');
        span!.recordException(new Error(`boom ${'y'.repeat(1000)}`));
      });
      root.setStatus({ code: SpanStatusCode.ERROR, message: 'z'.repeat(1000) });
      root.end();
    });
    const [child, root] = exporter.getFinishedSpans();
    expect(child!.attributes).toEqual({ 'messaging.destination.name': 'topic', 'switchyard.job.id': 'job_1' });
    const exception = child!.events.find((e) => e.name === 'exception')!;
    expect(Object.keys(exception.attributes!).sort()).toEqual(['exception.message', 'exception.type']);
    expect(String(exception.attributes!['exception.message']).length).toBeLessThanOrEqual(MAX_ERROR_TEXT + 1);
    expect(root!.status.message!.length).toBeLessThanOrEqual(MAX_ERROR_TEXT + 1);
    expect(child!.parentSpanId).toBe(root!.spanContext().spanId);
  });

  it('task events carry the trace of the work that queued them, and only then', async () => {
    installTracing({ serviceName: 't', sampleRatio: 1, spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()) });
    const sent: OutgoingMessage[] = [];
    const producer = { send: async (_topic: string, messages: OutgoingMessage[]) => void sent.push(...messages) } as unknown as JsonProducer;
    const events = new EventPublisher(producer, createLogger('silent'), { flushIntervalMs: 60_000 });
    events.publish('t', { key: 'a', value: 1 });
    let traceId = '';
    trace.getTracer('test').startActiveSpan('work', (span) => {
      traceId = span.spanContext().traceId;
      events.publish('t', { key: 'b', value: 2, headers: { own: 'kept' } });
      span.end();
    });
    await events.flush();
    await events.close(0);
    expect(sent[0]).toEqual({ key: 'a', value: 1 });
    expect(sent[1]!.headers).toEqual({ own: 'kept', traceparent: expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`)) });
  });
});

describe('the configured exporter', () => {
  it('posts spans as OTLP protobuf to <endpoint>/v1/traces', async () => {
    const got: { url?: string; type?: string; body: Buffer }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ url: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
      const config = loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
      expect(startConfiguredTracing(config, createLogger('silent'), 'api')).toBe(installedTracing());
      trace.getTracer('test').startSpan('exported-span-name').end();
      await installedTracing()!.flush();
      expect(got).toHaveLength(1);
      expect(got[0]!.url).toBe('/v1/traces');
      expect(got[0]!.type).toBe('application/x-protobuf');
      expect(got[0]!.body.includes(Buffer.from('exported-span-name'))).toBe(true);
    } finally {
      collector.close();
    }
  });

  it('is not installed at all without an endpoint', () => {
    expect(startConfiguredTracing(loadConfig({ env: {} }), createLogger('silent'), 'api')).toBeNull();
    expect(installedTracing()).toBeNull();
  });
});

describe('the start banner', () => {
  it('prints the codec sign-in steps, naming the token variable and never its value', () => {
    const config = loadConfig({ env: {} });
    const banner = startBanner(config);
    expect(banner).toContain('Switchyard is running');
    expect(banner).toContain('http://127.0.0.1:9000/codec/session');
    expect(banner).toContain('set http://127.0.0.1:9000/codec');
    expect(banner).toContain('Include cross-origin credentials');
    expect(banner).toContain('CODEC_OPERATOR_TOKEN');
    expect(banner).not.toContain(config.auth.codecOperatorToken);
    expect(banner).not.toContain('Traces');
    expect(startBanner(loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } }))).toContain('Traces       http://127.0.0.1:4318');
  });
});
