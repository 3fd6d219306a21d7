import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { GpuNodeStore } from '../../src/store/gpu-nodes.js';
import { testEnv } from '../support/env.js';

// Failure counts decide when a node turns FAULTY, and several dispatchers record failures of one node at once:
// on the real MongoDB-wire server, every concurrent failure must count, and a success must start the count over.
const env = testEnv('gpufailcount');
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

it('counts 40 concurrent failures of one node exactly, and restarts the count after a success', async () => {
  const gpuId = `gpu-fc-${env.suffix}`;
  await nodes.register({ gpuId, hostname: 'h', ip: '127.0.0.1', port: 1, supportedTaskTypes: [1], supportedTaskPriority: 'NORMAL', version: '1', maxConcurrentTasks: 1, metadata: {} });
  const seen = await Promise.all(Array.from({ length: 40 }, () => nodes.recordFailure(gpuId, 'failureCount')));
  expect(Math.max(...seen.map((n) => n!.failureCount))).toBe(40);
  expect((await nodes.recordFailure(gpuId, 'failureCount'))!.failureCount).toBe(41);
  expect((await nodes.get(gpuId))!.failureCount).toBe(41);
  await nodes.recordSuccess(gpuId, 'failureCount');
  expect((await nodes.get(gpuId))!.failureCount).toBe(0);
  expect((await nodes.recordFailure(gpuId, 'failureCount'))!.failureCount).toBe(1);
  // The other kind is counted apart.
  expect((await nodes.recordFailure(gpuId, 'taskFailureCount'))!.taskFailureCount).toBe(1);
  expect((await nodes.get(gpuId))!.failureCount).toBe(1);
});
