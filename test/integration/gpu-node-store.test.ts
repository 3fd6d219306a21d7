import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { GpuNodeStore } from '../../src/store/gpu-nodes.js';
import { testEnv } from '../support/env.js';

// GpuNodeStore on the real MongoDB-wire server.
const env = testEnv('gpunodes');
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

// Failure counts decide when a node turns FAULTY, and several dispatchers record failures of one node at once:
// on the real MongoDB-wire server, every concurrent failure must count, and a success must start the count over.
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

// A dispatch round that sent a task to a node but could not tell the task's workflow (not started yet, or
// Temporal away) takes its claim back and places the task again later under the same claim id (task + attempt).
// The fault suite found such a task QUEUED for good after a Temporal restart: its claim id stayed refused.
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

// A dispatch round re-run after its workflow task was lost finds its own claims: what the node accepted under a
// claim is not sent again, while a claim taken back (unclaim: the task was cancelled on the node) starts afresh.
it('remembers that a claim was sent, until the claim is taken back', async () => {
  const gpuId = `gpu-sent-${env.suffix}`;
  await nodes.register({ gpuId, hostname: 'h', ip: '127.0.0.1', port: 1, supportedTaskTypes: [1], supportedTaskPriority: 'NORMAL', version: '1', maxConcurrentTasks: 2, metadata: {} });
  expect(await nodes.claimSlot('s1#0', 's1', gpuId)).toEqual({ ok: true, sent: false });
  expect(await nodes.claimSlot('s1#0', 's1', gpuId)).toEqual({ ok: true, sent: false });
  await nodes.markSent('s1#0');
  expect(await nodes.claimSlot('s1#0', 's1', gpuId)).toEqual({ ok: true, sent: true });
  expect((await nodes.get(gpuId))!.currentTasks).toBe(1);
  await nodes.unclaim('s1#0');
  expect(await nodes.claimSlot('s1#0', 's1', gpuId)).toEqual({ ok: true, sent: false });
});
