import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createDeviceWorkerPlugin } from '../../src/device/worker-plugin.js';
import { createKafka } from '../../src/kafka/client.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { createDataConverter } from '../../src/temporal/connection.js';
import { installTracing, uninstallTracing } from '../../src/tracing/provider.js';
import { ALLOWED_SPAN_ATTRIBUTES } from '../../src/tracing/redact.js';
import { tracingSinks } from '../../src/tracing/temporal.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { kcatConsumeAll, kcatProduce, type KcatMessage } from '../support/kcat.js';
import { startSshd, type SshdHandle } from '../support/sshd.js';

// One device job through the real API and worker (in this process, with tracing installed and an in-memory
// exporter), the real Temporal dev server, FerretDB and OpenSSH: one connected trace. Then a long-task service
// task handed off through Kafka: the producer span in the same trace, its context in the message's headers. Then
// ingest messages (kcat as the module's producer): one with a `traceparent` continues that trace, one without makes none.
const suffix = Math.random().toString(16).slice(2, 10);
const ALGO = `algo_${suffix}`;
const ALGO_TOPIC = `t.trace_${suffix}.algo`;
const env = testEnv('tracing', {
  services: { maxStatusTask: 10, list: [{ name: ALGO, source_name: 'mongo', topic_name: ALGO_TOPIC, consumer_id: 'c_algo', dispatch: 'kafka', timeout_seconds: 600 }] },
});
const { config } = env;
const exporter = new InMemorySpanExporter();

let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let sshd: SshdHandle;

beforeAll(async () => {
  // Before the runtimes: their Temporal clients and workers take their interceptors from it.
  installTracing({ serviceName: 'switchyard-test', sampleRatio: 1, spanProcessor: new SimpleSpanProcessor(exporter) });
  sshd = await startSshd();
  await ensureTopics(createKafka(config), [ALGO_TOPIC, config.kafka.eventsTopic, ...config.kafka.ingestTopics, config.kafka.deadLetterTopic], 1);
  worker = await createWorkerRuntime({
    config,
    logger: env.logger,
    workflowBundle: await workflowBundle(),
    // The ingest consumer too, on this test's own ingest topic (testEnv), created up front like the others.
    plugins: [createDeviceWorkerPlugin(), createServiceTasksPlugin({ ingest: true })],
  });
  workerDone = worker.run();
  api = await createApiRuntime({ config, logger: env.logger, port: 0 });
}, 120_000);

afterAll(async () => {
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await sshd?.close();
  await uninstallTracing();
  await env.cleanup();
}, 60_000);

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

/** The one span of the trace with this name. */
function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name), `spans named ${name} in ${spans.map((s) => s.name).join(', ')}`).toEqual([name]);
  return found[0]!;
}

function parentName(spans: ReadableSpan[], span: ReadableSpan): string | undefined {
  return spans.find((s) => idOf(s) === span.parentSpanId)?.name;
}

/**
 * Every span but the root has its parent in the trace: one tree, nothing dangling. The root's parent is
 * `rootParent` (none, or a span of another process). Nothing but allowed attributes, no secret.
 */
function expectConnected(spans: ReadableSpan[], root: ReadableSpan, secrets: string[], rootParent?: string): void {
  const ids = new Set(spans.map(idOf));
  expect(root.parentSpanId).toBe(rootParent);
  for (const s of spans) {
    if (s !== root) expect(ids.has(s.parentSpanId ?? ''), `${s.name} has its parent in the trace`).toBe(true);
    for (const key of Object.keys(s.attributes)) expect(ALLOWED_SPAN_ATTRIBUTES.has(key), `${s.name}: attribute ${key}`).toBe(true);
    const text = JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status });
    for (const secret of secrets) expect(text, s.name).not.toContain(secret);
  }
}

/** The algorithm module's side: the task is running, then finished, so its run ends, and with it the run's span. */
async function reportDone(taskId: string): Promise<void> {
  for (const status of ['running', 'finished']) {
    const report = await fetch(`${api.url}/api/update_status_task`, {
      method: 'POST',
      headers: { Authorization: config.auth.serviceAuthToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { task_id: taskId, status, message: status } }),
    });
    expect(report.status).toBe(200);
  }
}

/** Waits until the task's workflow exists (an ingested task is started by the worker's consumer). */
function taskStarted(taskId: string): Promise<unknown> {
  return eventually(async () => (await api.deps.temporal.workflow.getHandle(taskId).describe().catch(() => null)) ?? null, `task ${taskId} started`, 60_000, 200);
}

describe('tracing', () => {
  it('one device job yields one connected trace: HTTP → workflow start → workflow run → activities', async () => {
    const res = await fetch(`${api.url}/device/exec`, {
      method: 'POST',
      headers: { 'X-API-KEY': config.auth.deviceApiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ driver: 'paramiko', connection_args: { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password }, command: 'echo traced' }),
    });
    expect(res.status).toBe(200);
    const jobId = ((await res.json()) as { data: { id: string } }).data.id;

    // The workflow's spans leave its sandbox when its run ends: wait for the run's span.
    const http = await eventually(async () => exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['switchyard.job.id'] === jobId), 'the request span');
    const traceId = http.spanContext().traceId;
    const spans = await eventually(async () => {
      const all = spansOf(traceId);
      return all.some((s) => s.name === 'RunWorkflow:deviceJob') && all.some((s) => s.name === 'RunActivity:deviceRunFifo') ? all : null;
    }, 'the workflow run and its SSH activity in the trace', 60_000, 200);

    expect(http.name).toBe('POST /device/exec');
    expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/device/exec', 'http.response.status_code': 200, 'switchyard.job.kind': 'device', 'switchyard.queue_strategy': 'fifo' });
    const start = only(spans, 'StartWorkflow:deviceJob');
    const run = only(spans, 'RunWorkflow:deviceJob');
    const schedule = only(spans, 'StartActivity:deviceRunFifo');
    const activity = only(spans, 'RunActivity:deviceRunFifo');
    expect(start.parentSpanId).toBe(idOf(http));
    expect(run.parentSpanId).toBe(idOf(start));
    expect(schedule.parentSpanId).toBe(idOf(run));
    expect(activity.parentSpanId).toBe(idOf(schedule));
    expect(activity.attributes).toMatchObject({ temporalWorkflowId: jobId });
    expect(run.attributes).toMatchObject({ workflowId: jobId, workflowType: 'deviceJob' });
    // Every activity span hangs under the workflow's schedule span (the fifo run records its outcome itself: no
    // mirror write of the workflow's here).
    for (const s of spans.filter((x) => x.name.startsWith('RunActivity:'))) expect(parentName(spans, s), s.name).toBe(s.name.replace('Run', 'Start'));
    expectConnected(spans, http, [sshd.password, config.auth.deviceApiKey, 'echo traced']);
    // One trace: no span about this job anywhere else.
    const aboutJob = exporter.getFinishedSpans().filter((s) => [s.attributes.temporalWorkflowId, s.attributes.workflowId, s.attributes['switchyard.job.id']].includes(jobId));
    expect(new Set(aboutJob.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));

    // A traced run replays deterministically against the same bundle (its history carries the trace header).
    const history = await api.deps.temporal.workflow.getHandle(jobId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter: createDataConverter(config), sinks: tracingSinks() }, history, jobId);
  });

  it('a service task handed off through Kafka: the producer span is in the request\'s trace, its context in the message headers', async () => {
    const res = await fetch(`${api.url}/api/create_task`, {
      method: 'POST',
      headers: { Authorization: config.auth.serviceAuthToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { service: ALGO, condition: { secret_input: 'condition-value-5521' } } }),
    });
    expect(res.status).toBe(200);
    const taskId = ((await res.json()) as { task_id: string }).task_id;

    const send = await eventually(async () => exporter.getFinishedSpans().find((s) => s.name === `send ${ALGO_TOPIC}`), 'the producer span', 60_000, 200);
    // The module reports the task done: its run ends, and with it the run's span (spans leave the sandbox when they end).
    await reportDone(taskId);
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': ALGO_TOPIC });
    const traceId = send.spanContext().traceId;
    const spans = await eventually(async () => {
      const all = spansOf(traceId);
      return all.some((s) => s.name === 'RunWorkflow:serviceTask') ? all : null;
    }, 'the service task\'s run in the trace', 60_000, 200);
    const http = only(spans, 'POST /api/create_task');
    expect(http.attributes).toMatchObject({ 'switchyard.job.id': taskId, 'switchyard.job.kind': 'service', 'switchyard.dialect': expect.any(String) });
    const chain: string[] = [];
    for (let s: ReadableSpan | undefined = send; s; s = spans.find((p) => idOf(p) === s!.parentSpanId)) chain.unshift(s.name);
    expect(chain).toEqual(['POST /api/create_task', 'StartWorkflow:serviceTask', 'RunWorkflow:serviceTask', 'StartActivity:publishServiceTask', 'RunActivity:publishServiceTask', `send ${ALGO_TOPIC}`]);
    expectConnected(spans, http, [config.auth.serviceAuthToken, 'condition-value-5521']);

    // The message on the topic (read by kcat, an independent client) carries the producer span's context.
    const message = (kcatConsumeAll(config.kafka.brokers.join(','), ALGO_TOPIC) as (KcatMessage & { headers?: string[] })[]).find((m) => m.key === taskId);
    expect(message?.headers).toEqual(['traceparent', `00-${traceId}-${idOf(send)}-01`]);
  });

  it('an ingest message with a traceparent is handled in that trace; one without makes no trace', async () => {
    const brokers = config.kafka.brokers.join(',');
    const topic = config.kafka.ingestTopics[0]!;
    // The context an algorithm module's own span would send: a trace and span id of its own, sampled.
    const traceId = `${suffix}${'a'.repeat(24)}`;
    const moduleSpanId = 'b'.repeat(16);
    const traced = `ts_traced_${suffix}`;
    const untraced = `ts_untraced_${suffix}`;
    const message = (taskId: string) => JSON.stringify({ Task: { task_id: taskId, service: ALGO, source_name: 'mongo', condition: { secret_input: 'ingest-value-7734' } } });
    kcatProduce(brokers, topic, [{ key: traced, value: message(traced) }], { traceparent: `00-${traceId}-${moduleSpanId}-01` });
    kcatProduce(brokers, topic, [{ key: untraced, value: message(untraced) }]);
    // The module reports the traced task done once it exists: its run ends, and with it the run's span.
    await taskStarted(traced);
    await reportDone(traced);

    const spans = await eventually(async () => {
      const all = spansOf(traceId);
      return all.some((s) => s.name === 'RunWorkflow:serviceTask') ? all : null;
    }, 'the ingested task\'s run in the module\'s trace', 60_000, 200);
    const process = only(spans, `process ${topic}`);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.parentSpanId).toBe(moduleSpanId);
    expect(process.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'switchyard.job.id': traced });
    const start = only(spans, 'StartWorkflow:serviceTask');
    expect(start.parentSpanId).toBe(idOf(process));
    expect(only(spans, 'RunWorkflow:serviceTask').parentSpanId).toBe(idOf(start));
    expectConnected(spans, process, [config.auth.serviceAuthToken, 'ingest-value-7734'], moduleSpanId);

    // The untraced message started its task too, and no span anywhere is about it.
    await taskStarted(untraced);
    const aboutUntraced = exporter.getFinishedSpans().filter((s) => [s.attributes.temporalWorkflowId, s.attributes.workflowId, s.attributes['switchyard.job.id']].includes(untraced));
    expect(aboutUntraced.map((s) => s.name)).toEqual([]);
  });
});
