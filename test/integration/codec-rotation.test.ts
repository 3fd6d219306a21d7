import { randomBytes } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { serviceStatusUpdate } from '../../src/service-tasks/contract.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { readyServiceRecord, serviceTaskInput } from '../../src/service-tasks/ready.js';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { ServiceTaskStore } from '../../src/store/service-tasks.js';
import { AesGcmCodec, CodecKeyError } from '../../src/temporal/codec.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { testEnv, workflowBundle } from '../support/env.js';
import { activityCompleted } from '../support/temporal-history.js';

// Key rotation as README documents it: CODEC_KEY and CODEC_KEY_ID change, and the retired key stays in
// CODEC_PREVIOUS_KEYS, so a workflow whose input was written before the rotation still runs after it.
const MODULE = `rot_${randomBytes(3).toString('hex')}`;
const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32).toString('base64');
const env = testEnv('codecrot', {
  codec: { key: oldKey, keyId: 'k-old', previousKeys: {} },
  // A module service of this file's own (Kafka hand-off on the file's own task queue): the built-in `echo` runs on
  // `service.echo`, a queue every test worker in the namespace polls, some with another key.
  services: { maxStatusTask: 10, list: [{ name: MODULE, source_name: 'module', topic_name: `t.${MODULE}`, dispatch: 'kafka', timeout_seconds: 120 }] },
});
const before: Config = env.config;
const after: Config = { ...before, codec: { key: newKey, keyId: 'k-new', previousKeys: { 'k-old': oldKey } } };
let mongo: MongoHandle;
let oldClient: TemporalClientHandle;
let newClient: TemporalClientHandle;
let worker: WorkerRuntime | undefined;
let done: Promise<void> | undefined;

beforeAll(async () => {
  mongo = await connectMongo(before);
  oldClient = await connectTemporalClient(before);
  newClient = await connectTemporalClient(after);
}, 60_000);

afterAll(async () => {
  await worker?.shutdown();
  await done;
  await oldClient?.close();
  await newClient?.close();
  await mongo?.close();
  await env.cleanup();
}, 60_000);

const keyIdOf = (p: { metadata?: Record<string, Uint8Array> | null } | null | undefined) => Buffer.from(p?.metadata?.['encryption-key-id'] ?? new Uint8Array()).toString();

describe('codec key rotation', () => {
  it('runs a workflow started under the old key on a worker rotated to a new one, which decodes it with the previous key', async () => {
    const svc = before.services.list[0]!;
    const id = `ts_${MODULE}_${env.suffix}`;
    const store = new ServiceTaskStore(mongo.db, before.mongo.serviceTaskCollection);
    // The record's condition is replaced by the one the workflow decodes from its input (its first mirror write).
    await store.insertReady(readyServiceRecord(svc, id, { placeholder: true }));
    // Started before the rotation: its input is encrypted with the old key.
    await oldClient.client.workflow.start('serviceTask', {
      taskQueue: before.temporal.taskQueue,
      workflowId: id,
      args: [serviceTaskInput(svc, id, { written: 'before the rotation' })],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    // Rotated: the only worker knows the new key, and the old one only as a previous key.
    worker = await createWorkerRuntime({ config: after, logger: env.logger, workflowBundle: await workflowBundle(), plugins: [createServiceTasksPlugin({ ingest: false })] });
    done = worker.run();
    // The worker read the old input (it handed the task off under its id), and takes a report made after the rotation.
    await activityCompleted(newClient.client, id, 'publishServiceTask');
    const handle = newClient.client.workflow.getHandle(id);
    await handle.executeUpdate(serviceStatusUpdate, { args: [{ status: 'finished', data: { read: 'after the rotation' } }] });
    const result = await handle.result();
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'finished', data: { read: 'after the rotation' } });
    expect((await store.get(id))?.condition).toEqual({ written: 'before the rotation' });

    // Temporal's history holds both: the input under the old key id, the result under the new one.
    const history = await newClient.client.workflow.getHandle(id).fetchHistory();
    const events = history.events ?? [];
    const input = events.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!.input!.payloads![0];
    const output = events.find((e) => e.workflowExecutionCompletedEventAttributes)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0];
    expect(keyIdOf(input)).toBe('k-old');
    expect(keyIdOf(output)).toBe('k-new');
    // Without the previous key the old input cannot be read: the setting is what made the run possible.
    await expect(new AesGcmCodec('k-new', Buffer.from(newKey, 'base64')).decode([input!])).rejects.toBeInstanceOf(CodecKeyError);
  });
});
