import { WorkflowNotFoundError } from '@temporalio/client';
import { gpuAssignedSignal, gpuDispatchFailedSignal, type NodeTaskBody } from '../src/gpu/contract.js';
import { cancelOnNode, createGpuOps, enqueueTask, markNodeDown, removeFromQueue, runSweep, wakeDispatchers, type GpuOps, type SweepReport } from '../src/gpu/ops.js';
import { placeTask } from '../src/gpu/placement.js';
import { compareEntries, planAssignments, priorityClass, type QueueEntry } from '../src/gpu/priority.js';
import { queuedFilter, unplacedQueued } from '../src/gpu/tasks.js';
import type { ActivityDeps } from './deps.js';
import { activityResources } from './resources.js';

export interface DispatchRoundInput {
  taskType: number;
  /** Waiting tasks, already in dispatch order. */
  waiting: QueueEntry[];
}

export interface DispatchRoundOutput {
  /** Sent to a node, and the task workflow told where it runs. */
  placed: string[];
  /** The node refused or did not answer; the task may go elsewhere. */
  failed: { taskId: string; gpuId: string; reason: string }[];
  /** Out of the queue for good (retries exhausted, or the task had already ended). */
  dropped: string[];
  /** Still waiting: place again (nothing counted against the task). */
  retry: string[];
  /** Just created, its record or workflow not there yet: look again shortly. */
  soon: string[];
}

/** Most tasks one dispatcher round sends to nodes. */
const MAX_PLACEMENTS_PER_ROUND = 32;

/** How long after its creation a task whose workflow is not found yet is placed again rather than dropped. */
const TASK_START_GRACE_MS = 30_000;

/**
 * Tasks of the round's type that the API accepted but the round's queue does not have yet: QUEUED records not
 * in the queue, created within the grace (an older one is not waited for: its enqueue failed and it was never
 * accepted, or it is handled elsewhere), and holding no slot (a task placed directly reads QUEUED a moment).
 */
async function unseenAhead(o: GpuOps, input: DispatchRoundInput): Promise<Pick<QueueEntry, 'priority' | 'seq' | 'taskId'>[]> {
  const filter = queuedFilter(input.taskType, {
    create_time: { $gt: new Date(Date.now() - TASK_START_GRACE_MS) },
    task_id: { $nin: input.waiting.map((e) => e.taskId) },
  });
  const rows = await unplacedQueued(o, filter, UNSEEN_LOOKAHEAD);
  return rows.map((r) => ({ taskId: r.task_id, priority: r.priority ?? 0, seq: r.create_time.getTime() }));
}

/** Most accepted-but-not-yet-queued tasks a round looks at. */
const UNSEEN_LOOKAHEAD = 64;

export function createGpuActivities(deps: ActivityDeps) {
  // The shared connections (reopened after a shutdown closed them); the ops objects around them are cheap.
  const ops = async (): Promise<GpuOps> => {
    const r = await activityResources(deps);
    return createGpuOps({ config: deps.config, logger: deps.logger, db: r.db, client: r.client });
  };
  return {
    /**
     * One dispatcher round: plans which waiting tasks go to which node (pure priority logic), claims each slot
     * atomically (findOneAndUpdate with a free-slot guard), sends the task to its node and tells the task
     * workflow. A refused call gives the slot back and counts a node failure (FAULTY at the threshold).
     */
    async gpuDispatchRound(input: DispatchRoundInput): Promise<DispatchRoundOutput> {
      const o = await ops();
      const nodes = (await o.nodes.list({ status: 'ACTIVE', taskType: input.taskType })).filter((n) => n.freeSlots > 0);
      const out: DispatchRoundOutput = { placed: [], failed: [], dropped: [], retry: [], soon: [] };
      if (nodes.length === 0) return out;
      const byId = new Map(nodes.map((n) => [n.gpuId, n]));
      const entries = new Map(input.waiting.map((e) => [e.taskId, e]));
      // A bounded round keeps its workflow task short (a long local activity holds it open); the dispatcher
      // starts the next round at once when this one placed something.
      const planned = planAssignments(input.waiting, nodes).slice(0, MAX_PLACEMENTS_PER_ROUND);
      if (planned.length === 0) return out;
      const [records, unseen] = await Promise.all([o.tasks.getMany(planned.map((p) => p.taskId)), unseenAhead(o, input)]);
      // The round's queue is the one the dispatcher had when it started the round: a task the API accepted since
      // (its signal waits until the round's workflow task ends, or a retried round still carries the old queue)
      // is in MongoDB already. Nothing it goes before is placed now; the next round, soon, has it in its queue.
      const held = planned.filter((p) => unseen.some((u) => compareEntries(u, entries.get(p.taskId)!) < 0));
      out.soon.push(...held.map((p) => p.taskId));
      const plan = planned.filter((p) => !held.includes(p));

      const place = async ({ taskId, gpuId }: { taskId: string; gpuId: string }): Promise<void> => {
        const entry = entries.get(taskId)!;
        const node = byId.get(gpuId)!;
        const rec = records.get(taskId);
        // The API enqueues a task while it writes its record and starts its workflow: a young task's record may
        // not be there yet.
        if (!rec && Date.now() - entry.seq < TASK_START_GRACE_MS) {
          out.soon.push(taskId);
          return;
        }
        if (!rec || rec.state !== 'queued') {
          out.dropped.push(taskId);
          return;
        }
        const details = (rec.details ?? {}) as Record<string, unknown>;
        const body: NodeTaskBody = {
          taskId,
          taskType: input.taskType,
          priority: entry.priority,
          payload: typeof details.payload === 'string' ? details.payload : '',
          timeout: typeof details.timeout === 'number' ? details.timeout : o.config.gpu.defaultTaskTimeoutSeconds * 1000,
        };
        // A round re-run after its workflow task was lost (a worker died, the task timed out) finds the claims
        // it made: a task the node already accepted is not sent again, only its workflow is told.
        const placement = await placeTask(o, {
          taskId,
          attempt: entry.attempt,
          node,
          body,
          tell: (assigned) => o.client.workflow.getHandle(taskId).signal(gpuAssignedSignal, assigned),
        });
        switch (placement.kind) {
          case 'placed':
            out.placed.push(taskId);
            return;
          case 'taken':
            return; // next round
          case 'refused':
            if (entry.attempt + 1 > entry.maxRetries) {
              out.dropped.push(taskId);
              await o.client.workflow
                .getHandle(taskId)
                .signal(gpuDispatchFailedSignal, { reason: `${placement.reason}; no retries left (maxRetries ${entry.maxRetries})`, gpuId })
                .catch(() => undefined);
            } else {
              out.failed.push({ taskId, gpuId, reason: placement.reason });
            }
            return;
          case 'untold': {
            // The task ended meanwhile (timed out), or could not be told. A task that still runs stays queued and
            // is placed again, under the same claim id. The API starts a task's workflow and enqueues it side by
            // side: a young task may not have started yet.
            const young = Date.now() - rec.create_time.getTime() < TASK_START_GRACE_MS;
            if (placement.error instanceof WorkflowNotFoundError) {
              if (young) out.soon.push(taskId);
              else out.dropped.push(taskId);
            } else {
              o.logger.warn({ taskId, err: (placement.error as Error).message }, 'task workflow not told of its node; placing it again');
              out.retry.push(taskId);
            }
          }
        }
      };
      // VIP tasks are sent (side by side) before the round's NORMAL tasks: sent all at once, a NORMAL task given a
      // slot in the same round could reach its node before the VIP task chosen ahead of it.
      const vip = plan.filter((p) => priorityClass(entries.get(p.taskId)!.priority) === 'VIP');
      await Promise.all(vip.map(place));
      await Promise.all(plan.filter((p) => !vip.includes(p)).map(place));
      return out;
    },

    /** Puts a task (back) in its dispatcher's queue, or takes it out. */
    async gpuEnqueue(input: { taskType: number; entry?: QueueEntry; remove?: string }): Promise<void> {
      const o = await ops();
      if (input.entry) await enqueueTask(o, input.taskType, input.entry);
      if (input.remove) await removeFromQueue(o, input.taskType, input.remove);
    },

    /** Gives a task's node slot back (once), optionally cancels it on the node, and wakes the dispatcher. */
    async gpuRelease(input: { claimId: string; taskType: number; cancel?: { ip: string; port: number; taskId: string } }): Promise<void> {
      const o = await ops();
      await o.nodes.release(input.claimId);
      if (input.cancel) await cancelOnNode(deps.config, input.cancel, Math.min(2000, o.config.gpu.nodeCallTimeoutMs));
      await wakeDispatchers(o, [input.taskType]);
    },

    /** A task ended on a node: consecutive task failures over the threshold make the node FAULTY. */
    async gpuNodeOutcome(input: { gpuId: string; ok: boolean }): Promise<void> {
      const o = await ops();
      if (input.ok) {
        await o.nodes.recordSuccess(input.gpuId, 'taskFailureCount');
        return;
      }
      const after = await o.nodes.recordFailure(input.gpuId, 'taskFailureCount');
      if (after && after.taskFailureCount >= o.config.gpu.failureThreshold) {
        await markNodeDown(o, input.gpuId, 'FAULTY', `${after.taskFailureCount} failed tasks in a row`, ['ACTIVE', 'OFFLINE']);
      }
    },

    async gpuSweep(): Promise<SweepReport> {
      return runSweep(await ops());
    },
  };
}
