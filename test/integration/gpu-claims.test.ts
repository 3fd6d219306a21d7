import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { GpuNodeStore } from '../../src/store/gpu-nodes.js';
import { testEnv } from '../support/env.js';

// A dispatch round that sent a task to a node but could not tell the task's workflow (not started yet, or
// Temporal away) takes its claim back and places the task again later under the same claim id (task + attempt).
// The fault suite found such a task QUEUED for good after a Temporal restart: its claim id stayed refused.
const env = testEnv('gpuclaims');
let mongo: MongoHandle;
let nodes: GpuNodeStore;

beforeAll(async () => {
  mongo = await connectMongo(env.config);
  nodes = new GpuNodeStore(mongo.db);
  await nodes.ensureIndexes();
});

afterAll(async () => {
  await mongo?.close();
  await env.cleanup();
});

it('claims again under the same id after an unclaim, never after a release', async () => {
  const gpuId = `gpu-cl-${env.suffix}`;
  await nodes.register({ gpuId, hostname: 'h', ip: '127.0.0.1', port: 1, supportedTaskTypes: [1], supportedTaskPriority: 'NORMAL', version: '1', maxConcurrentTasks: 1, metadata: {} });
  expect(await nodes.claim('t1#0', 't1', gpuId)).toBe(true);
  expect(await nodes.claim('t2#0', 't2', gpuId)).toBe(false); // capacity 1
  await nodes.unclaim('t1#0');
  expect(await nodes.claim('t1#0', 't1', gpuId)).toBe(true);
  expect(await nodes.release('t1#0')).toBe(true);
  // A released claim is done for good: a late retry of the same claim must not take a slot again.
  expect(await nodes.claim('t1#0', 't1', gpuId)).toBe(false);
  expect(await nodes.claim('t2#0', 't2', gpuId)).toBe(true);
});
