import type { GpuNodeRecord } from '../store/gpu-nodes.js';
import { claimIdOf, type AssignedSignal, type NodeTaskBody } from './contract.js';
import { OutboundRefusedError } from '../net/outbound.js';
import { cancelOnNode, markNodeDown, recordRefusal, sendToNode, type GpuOps } from './ops.js';

/**
 * The placement protocol of one task on one node, the same for the API's direct path (a new task that nothing
 * waits before) and for a dispatcher round:
 *   1. claim a slot of the node under the attempt's claim id (a unique slot document: capacity stays exact);
 *   2. send the task to the node, unless a retried placement finds the claim already `sent`;
 *   3. tell the task's workflow where it runs (a signal, or its start with `assigned`);
 *   4. note the claim as sent and end the node's run of failures.
 * A refusal gives the slot back and counts a node failure (FAULTY at the threshold); a workflow that cannot be
 * told gets the slot back and the task taken off the node. What happens to the task next is the caller's choice.
 */
export type Placement =
  | { kind: 'placed'; claimId: string }
  /** No free slot (the node filled up or left ACTIVE meanwhile), or the claim could not be written: nothing happened. */
  | { kind: 'taken' }
  /** The node refused the task or did not answer. */
  | { kind: 'refused'; reason: string }
  /** The task's workflow could not be told (`error`: why); the node no longer runs the task. */
  | { kind: 'untold'; error: unknown };

export interface PlaceRequest {
  taskId: string;
  /** Dispatch attempts so far: with the task id, the claim id. */
  attempt: number;
  node: Pick<GpuNodeRecord, 'gpuId' | 'ip' | 'port' | 'failureCount'>;
  body: NodeTaskBody;
  /** Waited for before the task is sent (its record must exist when the node reports); a rejection gives the slot back and is thrown. */
  ready?: Promise<unknown>;
  /** Tells the task's workflow it runs on the node. */
  tell(assigned: AssignedSignal): Promise<unknown>;
}

export async function placeTask(ops: GpuOps, req: PlaceRequest): Promise<Placement> {
  const { node } = req;
  const claimId = claimIdOf(req.taskId, req.attempt);
  const claim = await ops.nodes.claimSlot(claimId, req.taskId, node.gpuId).catch((e: unknown) => {
    ops.logger.warn({ taskId: req.taskId, gpuId: node.gpuId, err: (e as Error).message }, 'node slot not claimed');
    return { ok: false, sent: false };
  });
  if (!claim.ok) return { kind: 'taken' };
  if (req.ready) {
    await req.ready.catch(async (e: unknown) => {
      await ops.nodes.unclaim(claimId);
      throw e;
    });
  }
  if (!claim.sent) {
    try {
      await sendToNode(ops.config, node, req.body, ops.config.gpu.nodeCallTimeoutMs);
    } catch (e) {
      if (e instanceof OutboundRefusedError) {
        // The node's address is not one Switchyard may call: no retry can change that, so the node is FAULTY now.
        await ops.nodes.release(claimId);
        await markNodeDown(ops, node.gpuId, 'FAULTY', e.message, ['ACTIVE', 'OFFLINE']);
        return { kind: 'refused', reason: e.message };
      }
      await recordRefusal(ops, node.gpuId, claimId);
      return { kind: 'refused', reason: (e as Error).message };
    }
  }
  const [told, , reset] = await Promise.allSettled([
    req.tell({ gpuId: node.gpuId, claimId, attempt: req.attempt, ip: node.ip, port: node.port }),
    ops.nodes.markSent(claimId),
    // The failure run is reset only when there is one (the node was read just before).
    node.failureCount > 0 ? ops.nodes.recordSuccess(node.gpuId, 'failureCount') : undefined,
  ]);
  if (told.status === 'rejected') {
    await ops.nodes.unclaim(claimId);
    await cancelOnNode(ops.config, { ip: node.ip, port: node.port, taskId: req.taskId }, ops.config.gpu.nodeCallTimeoutMs);
    return { kind: 'untold', error: told.reason };
  }
  if (reset.status === 'rejected') ops.logger.warn({ gpuId: node.gpuId, err: (reset.reason as Error).message }, 'node failure run not reset');
  return { kind: 'placed', claimId };
}
