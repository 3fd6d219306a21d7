import { WorkflowIdReusePolicy } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileOnce } from '../../src/reconcile/reconciler.js';
import { serviceTaskInput, readyServiceRecord } from '../../src/service-tasks/ready.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { GpuNodeStore } from '../../src/store/gpu-nodes.js';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { ServiceTaskStore } from '../../src/store/service-tasks.js';
import { TaskStore } from '../../src/store/tasks.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { testEnv, workflowBundle } from '../support/env.js';
import { activityCompleted } from '../support/temporal-history.js';

// The reconciliation pass against the real stack: each case leaves a mirror record that disagrees with
// Temporal the way a fault does, and the pass must repair it from Temporal alone.
const MODULE = `mod_${Math.random().toString(16).slice(2, 8)}`;
const env = testEnv('reconcile', {
  services: {
    maxStatusTask: 10,
    list: [
      { name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 120 },
      { name: MODULE, source_name: 'module', topic_name: `t.${MODULE}`, dispatch: 'kafka', timeout_seconds: 600 },
    ],
  },
});
const { config } = env;
let mongo: MongoHandle;
let temporal: TemporalClientHandle;
let worker: WorkerRuntime;
let done: Promise<void>;
let tasks: TaskStore;
let services: ServiceTaskStore;

const longAgo = () => new Date(Date.now() - 10 * 60_000);

beforeAll(async () => {
  mongo = await connectMongo(config);
  temporal = await connectTemporalClient(config);
  tasks = new TaskStore(mongo.db);
  services = new ServiceTaskStore(mongo.db, config.mongo.serviceTaskCollection);
  await services.ensureIndexes();
  worker = await createWorkerRuntime({ config, logger: env.logger, workflowBundle: await workflowBundle(), plugins: [createServiceTasksPlugin({ ingest: false })] });
  done = worker.run();
}, 180_000);

afterAll(async () => {
  await worker?.shutdown();
  await done;
  await temporal?.close();
  await mongo?.close();
  await env.cleanup();
}, 60_000);

async function startService(service: string, taskId: string): Promise<void> {
  const svc = config.services.list.find((s) => s.name === service)!;
  await services.insertReady(readyServiceRecord(svc, taskId, { n: 1 }));
  await temporal.client.workflow.start('serviceTask', {
    taskQueue: config.temporal.taskQueue,
    workflowId: taskId,
    args: [serviceTaskInput(svc, taskId, { n: 1 })],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
}

const reconcile = () => reconcileOnce({ config, logger: env.logger, temporal: temporal.client, db: mongo.db }, { graceSeconds: 60, orphanSeconds: 300 });

describe('the reconciliation pass', () => {
  it('ends a record that no workflow was ever started for (the API stopped in between)', async () => {
    const id = `job_orphan${env.suffix}`;
    await tasks.apply({ task_id: id, rev: 1, kind: 'device', state: 'queued', status: 'queued', queue: 'FifoQ', create_time: longAgo() }, longAgo());
    const report = await reconcile();
    expect(report.repaired).toContainEqual(expect.objectContaining({ task_id: id, from: 'queued', to: 'failed' }));
    expect(await tasks.get(id)).toMatchObject({ state: 'failed', status: 'failed', error: { type: 'NotStarted' } });
  });

  it('gives back the node slot of a GPU task that never got its workflow (its API died after sending it to a node)', async () => {
    const id = `task_orphan${env.suffix}`;
    const nodes = new GpuNodeStore(mongo.db);
    const gpuId = `gpu_orphan${env.suffix}`;
    await nodes.register({ gpuId, hostname: 'h', ip: '127.0.0.1', port: 9, supportedTaskTypes: [1], supportedTaskPriority: 'NORMAL', version: 't', maxConcurrentTasks: 1, metadata: {} });
    await tasks.apply({ task_id: id, rev: 1, kind: 'gpu', state: 'queued', status: 'QUEUED', queue: 'gpu:1', create_time: longAgo() }, longAgo());
    expect(await nodes.claim(`${id}#0`, id, gpuId)).toBe(true);
    expect((await nodes.get(gpuId))!.freeSlots).toBe(0);
    const report = await reconcile();
    expect(report.repaired).toContainEqual(expect.objectContaining({ task_id: id, from: 'queued', to: 'failed' }));
    expect((await nodes.get(gpuId))!.freeSlots).toBe(1);
    expect(await nodes.holdingSlots([id])).toEqual(new Set());
  });

  it('leaves a record without a workflow alone until the orphan time: its start may still be on its way', async () => {
    const id = `job_young${env.suffix}`;
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await tasks.apply({ task_id: id, rev: 1, kind: 'device', state: 'queued', status: 'queued', queue: 'FifoQ', create_time: twoMinutesAgo }, twoMinutesAgo);
    await reconcile();
    expect((await tasks.get(id))!.state).toBe('queued');
  });

  it('repairs a record whose final write was lost, from the workflow’s own result', async () => {
    const id = `ts_echo_lost${env.suffix}`;
    await startService('echo', id);
    await temporal.client.workflow.getHandle(id).result();
    // As if MongoDB had lost the last write: the record still says running, from long ago.
    await tasks.apply({ task_id: id, rev: Date.now() * 1000 + 999, state: 'running', status: 'running', end_time: null, result: null }, longAgo());
    const report = await reconcile();
    expect(report.repaired.map((r) => r.task_id)).toContain(id);
    expect(await tasks.get(id)).toMatchObject({ state: 'succeeded', status: 'finished', result: { n: 1 } });
    const named = await services.named.findOne({ task_id: id });
    expect(named?.status).toBe('finished');
  });

  it('keeps a write the workflow made after the pass read its page (the pass repairs only what it read)', async () => {
    const id = `ts_echo_late${env.suffix}`;
    await startService('echo', id);
    await temporal.client.workflow.getHandle(id).result();
    // The record as the pass reads it: running, revision 1, from long ago (the mirror's own revisions count up).
    await mongo.db.collection<{ _id: string }>('tasks').deleteOne({ _id: id });
    await tasks.apply({ task_id: id, rev: 1, kind: 'service', state: 'running', status: 'running', queue: 'echo', create_time: longAgo() }, longAgo());
    // The workflow's own end lands while the pass is between its page read and this record's repair.
    const own = { task_id: id, rev: 2, state: 'succeeded' as const, status: 'finished', end_time: new Date(), result: { written: 'by the workflow' } };
    const interleaved = {
      workflow: {
        getHandle: (wid: string) => {
          const h = temporal.client.workflow.getHandle(wid);
          if (wid !== id) return h;
          return { describe: async () => (await tasks.apply(own), h.describe()), result: () => h.result() };
        },
      },
    } as unknown as typeof temporal.client;
    const report = await reconcileOnce({ config, logger: env.logger, temporal: interleaved, db: mongo.db }, { graceSeconds: 60, orphanSeconds: 300 });
    expect(report.repaired.map((r) => r.task_id)).not.toContain(id);
    expect(await tasks.get(id)).toMatchObject({ rev: 2, state: 'succeeded', result: { written: 'by the workflow' } });
  });

  it('ends the job of a workflow terminated from outside (an operator in the Temporal UI)', async () => {
    const id = `ts_${MODULE}_term${env.suffix}`;
    await startService(MODULE, id);
    // The record says `waiting` from its insert on, before the workflow's own first write. Terminating then left
    // that write (a local activity already running) to land after the aging below, newer, so the pass saw a
    // record inside its grace time and repaired nothing. The hand-off's completion in Temporal's history comes
    // after the workflow's last write before it waits for its module.
    await activityCompleted(temporal.client, id, 'publishServiceTask');
    await temporal.client.workflow.getHandle(id).terminate('operator says stop');
    // The workflow's last write was seconds ago: age the record past the grace time, as the next passes would see it.
    const r = (await tasks.get(id))!;
    expect(r.status).toBe('waiting');
    expect(await tasks.apply({ task_id: id, rev: r.rev + 1, status_message: r.status_message ?? {} }, longAgo())).toBe('applied');
    const report = await reconcile();
    expect(report.repaired).toContainEqual(expect.objectContaining({ task_id: id, from: 'queued', to: 'failed' }));
    expect(await tasks.get(id)).toMatchObject({ state: 'failed', status: 'failed', error: { type: 'WorkflowTerminated', message: 'its workflow was terminated: operator says stop' } });
    expect((await services.named.findOne({ task_id: id }))?.status).toBe('failed');
  });
});
