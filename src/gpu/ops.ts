import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { isIP } from 'node:net';
import type { Response } from 'undici';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';
import { outboundFor, OutboundRefusedError } from '../net/outbound.js';
import { AlertStore } from '../store/alerts.js';
import { GpuNodeStore, type GpuNodeRecord } from '../store/gpu-nodes.js';
import { TaskStore } from '../store/tasks.js';
import type { SignalDefinition } from '@temporalio/common';
import {
  dispatcherWorkflowId,
  gpuEnqueueSignal,
  gpuNodeLostSignal,
  gpuRemoveSignal,
  gpuWakeSignal,
  GPU_DISPATCHER_WORKFLOW,
  GPU_MONITOR_WORKFLOW,
  monitorWorkflowId,
  type GpuDispatcherWorkflow,
  type GpuMonitorWorkflow,
  type NodeTaskBody,
} from './contract.js';
import type { QueueEntry } from './priority.js';

/**
 * GPU operations with I/O, shared by the API (manual checks, node endpoints) and the worker's activities
 * (dispatch rounds, the monitor's sweep). Workflows never import this.
 */
export interface GpuOps {
  config: Config;
  logger: Logger;
  db: Db;
  client: Client;
  nodes: GpuNodeStore;
  alerts: AlertStore;
  tasks: TaskStore;
}

export function createGpuOps(deps: { config: Config; logger: Logger; db: Db; client: Client }): GpuOps {
  return { ...deps, nodes: new GpuNodeStore(deps.db), alerts: new AlertStore(deps.db), tasks: new TaskStore(deps.db) };
}

export async function ensureGpuIndexes(db: Db): Promise<void> {
  await new GpuNodeStore(db).ensureIndexes();
  await new AlertStore(db).ensureIndexes();
}

/** Adds a task to its type's dispatcher queue, starting the dispatcher if it is not running. */
export async function enqueueTask(ops: GpuOps, taskType: number, entry: QueueEntry): Promise<void> {
  await ops.client.workflow.signalWithStart<GpuDispatcherWorkflow, [QueueEntry]>(GPU_DISPATCHER_WORKFLOW, {
    workflowId: dispatcherWorkflowId(ops.config.temporal.taskQueue, taskType),
    taskQueue: ops.config.temporal.taskQueue,
    args: [{ taskType, queue: [] }],
    signal: gpuEnqueueSignal,
    signalArgs: [entry],
  });
}

async function signalQuietly<Args extends unknown[]>(ops: GpuOps, workflowId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<boolean> {
  try {
    await ops.client.workflow.getHandle(workflowId).signal(signal, ...args);
    return true;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    ops.logger.warn({ workflowId, signal: signal.name, err: (e as Error).message }, 'signal not delivered');
    return false;
  }
}

export async function removeFromQueue(ops: GpuOps, taskType: number, taskId: string): Promise<void> {
  await signalQuietly(ops, dispatcherWorkflowId(ops.config.temporal.taskQueue, taskType), gpuRemoveSignal, taskId);
}

/** Capacity or nodes changed: the dispatchers of these task types look again now. */
export async function wakeDispatchers(ops: GpuOps, taskTypes: readonly number[]): Promise<void> {
  await Promise.all([...new Set(taskTypes)].map((t) => signalQuietly(ops, dispatcherWorkflowId(ops.config.temporal.taskQueue, t), gpuWakeSignal)));
}

/** Starts the health monitor workflow unless it already runs. */
export async function ensureMonitor(ops: GpuOps): Promise<void> {
  const intervalMs = Math.min(10_000, Math.max(500, Math.floor((ops.config.gpu.heartbeatTimeoutSeconds * 1000) / 3)));
  try {
    await ops.client.workflow.start<GpuMonitorWorkflow>(GPU_MONITOR_WORKFLOW, {
      workflowId: monitorWorkflowId(ops.config.temporal.taskQueue),
      taskQueue: ops.config.temporal.taskQueue,
      args: [{ intervalMs }],
    });
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
  }
}

/** Tells every task running on the node that the node is gone; each goes back to the queue or fails. */
export async function notifyNodeLost(ops: GpuOps, gpuId: string, reason: string): Promise<number> {
  const running = await ops.tasks.find({ kind: 'gpu', state: 'running', host: gpuId }, { limit: 10_000 });
  await Promise.all(running.map((t) => signalQuietly(ops, t.task_id, gpuNodeLostSignal, { gpuId, reason })));
  return running.length;
}

/** A node went OFFLINE or FAULTY: one CRITICAL alert for it, and its running tasks go elsewhere. */
export async function markNodeDown(ops: GpuOps, gpuId: string, status: 'OFFLINE' | 'FAULTY', reason: string, onlyFrom?: GpuNodeRecord['status'][]): Promise<GpuNodeRecord | null> {
  const before = await ops.nodes.setStatus(gpuId, status, reason, onlyFrom);
  if (!before) return null;
  if (before.status !== status) {
    await ops.alerts.raise({
      title: status === 'FAULTY' ? 'GPU故障告警' : 'GPU离线告警',
      message: `GPU节点 ${gpuId} ${status === 'FAULTY' ? '检测到故障' : '心跳超时, 已离线'}: ${reason}`,
      level: 'CRITICAL',
      source: 'gpu_monitor',
      subject: `gpu:${gpuId}`,
    });
    await notifyNodeLost(ops, gpuId, `GPU node ${gpuId} went ${status}: ${reason}`);
  }
  return before;
}

/** A node is ACTIVE again: its alert is resolved and its task types' dispatchers look again. */
export async function markNodeUp(ops: GpuOps, node: Pick<GpuNodeRecord, 'gpuId' | 'supportedTaskTypes'>): Promise<void> {
  await ops.alerts.resolve(`gpu:${node.gpuId}`);
  await wakeDispatchers(ops, node.supportedTaskTypes);
}

export async function queueLengths(tasks: TaskStore): Promise<Record<string, number>> {
  const rows = await tasks.collection
    .aggregate<{ _id: string; n: number }>([{ $match: { kind: 'gpu', state: 'queued' } }, { $group: { _id: '$queue', n: { $sum: 1 } } }])
    .toArray();
  const out: Record<string, number> = {};
  for (const r of rows) if (typeof r._id === 'string' && r._id.startsWith('gpu:')) out[r._id.slice(4)] = r.n;
  return out;
}

/** Share of failed or timed-out tasks among the last `window` finished GPU tasks. */
export async function recentFailureRate(tasks: TaskStore, window = 100): Promise<{ rate: number; finished: number }> {
  const rows = await tasks.find({ kind: 'gpu', state: { $in: ['succeeded', 'failed', 'timed_out', 'cancelled'] } }, { sort: { end_time: -1 }, limit: window });
  const failed = rows.filter((r) => r.state !== 'succeeded').length;
  return { rate: rows.length === 0 ? 0 : failed / rows.length, finished: rows.length };
}

export interface SweepReport {
  offline: string[];
  queueAlerts: string[];
  failureRate: number;
}

/** One monitoring round: silent nodes → OFFLINE (+ alert, + failover), queue length and failure-rate alerts. */
export async function runSweep(ops: GpuOps, now = Date.now()): Promise<SweepReport> {
  const cutoff = now - ops.config.gpu.heartbeatTimeoutSeconds * 1000;
  const offline: string[] = [];
  for (const n of await ops.nodes.stale(cutoff)) {
    const before = await markNodeDown(ops, n.gpuId, 'OFFLINE', `no heartbeat for ${ops.config.gpu.heartbeatTimeoutSeconds} s`, ['ACTIVE']);
    if (before?.status === 'ACTIVE') offline.push(n.gpuId);
  }
  const queueAlerts: string[] = [];
  for (const [taskType, n] of Object.entries(await queueLengths(ops.tasks))) {
    if (n > ops.config.gpu.queueAlertThreshold) {
      queueAlerts.push(taskType);
      await ops.alerts.raise({
        title: '队列积压告警',
        message: `任务类型 ${taskType} 的队列长度 ${n} 超过阈值 ${ops.config.gpu.queueAlertThreshold}`,
        level: 'WARNING',
        source: 'queue_monitor',
        subject: `queue:${taskType}`,
      });
    } else {
      await ops.alerts.resolve(`queue:${taskType}`);
    }
  }
  const { rate, finished } = await recentFailureRate(ops.tasks);
  if (finished >= 10 && rate > ops.config.gpu.failureRateAlertThreshold) {
    await ops.alerts.raise({
      title: '任务失败率告警',
      message: `最近 ${finished} 个任务失败率 ${(rate * 100).toFixed(1)}% 超过阈值 ${(ops.config.gpu.failureRateAlertThreshold * 100).toFixed(1)}%`,
      level: 'WARNING',
      source: 'task_monitor',
      subject: 'task_failure_rate',
    });
  } else {
    await ops.alerts.resolve('task_failure_rate');
  }
  return { offline, queueAlerts, failureRate: rate };
}

const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Why a node's registered address may not be called, or null: `ip` must be an IP address or a host name (nothing
 * that could bend the URL built from it), and the outbound policy must not refuse what it shows before it resolves.
 * A host name is checked again on every address it resolves to, at each call.
 */
export function nodeAddressProblem(config: Config, node: { ip: string; port: number }): string | null {
  const bare = node.ip.replace(/^\[(.*)\]$/, '$1');
  if (!isIP(bare) && !HOST_NAME.test(node.ip)) return `ip ${JSON.stringify(node.ip)} is neither an IP address nor a host name`;
  const refusal = outboundFor(config).policy.checkUrl(nodeUrl(node, '/tasks'));
  return refusal ? `the node's address is refused by the outbound policy: ${refusal.reason}` : null;
}

/** The URL of a path on a node: `ip` is an address or a host name (brackets added for IPv6). */
export function nodeUrl(node: { ip: string; port: number }, path: string): URL {
  const host = node.ip.includes(':') && !node.ip.startsWith('[') ? `[${node.ip}]` : node.ip;
  return new URL(`http://${host}:${node.port}${path}`);
}

/**
 * POSTs a task to its node; 2xx = accepted. Throws a NodeCallError with the reason otherwise, or an
 * OutboundRefusedError when the outbound policy refuses the node's address (checked on the address connected to).
 */
export async function sendToNode(config: Config, node: Pick<GpuNodeRecord, 'ip' | 'port' | 'gpuId'>, body: NodeTaskBody, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await outboundFor(config).fetch(nodeUrl(node, '/tasks'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    if (e instanceof OutboundRefusedError) throw new OutboundRefusedError(`GPU node ${node.gpuId}: ${e.message}`);
    throw new NodeCallError(`GPU node ${node.gpuId} did not answer: ${(e as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) throw new NodeCallError(`GPU node ${node.gpuId} refused the task: HTTP ${res.status} ${text.slice(0, 200)}`);
}

/**
 * A node refused a task or did not answer: the claimed slot goes back, the failure is counted, and the node is
 * FAULTY once the failures in a row reach the threshold.
 */
export async function recordRefusal(ops: GpuOps, gpuId: string, claimId: string): Promise<void> {
  await ops.nodes.release(claimId);
  const after = await ops.nodes.recordFailure(gpuId, 'failureCount');
  if (after && after.failureCount >= ops.config.gpu.failureThreshold) {
    await markNodeDown(ops, gpuId, 'FAULTY', `${after.failureCount} failed calls in a row`, ['ACTIVE', 'OFFLINE']);
  }
}

/** Best effort: asks a node to drop a task (DELETE /tasks/{id}). */
export async function cancelOnNode(config: Config, target: { ip: string; port: number; taskId: string }, timeoutMs: number): Promise<void> {
  try {
    const res = await outboundFor(config).fetch(nodeUrl(target, `/tasks/${encodeURIComponent(target.taskId)}`), { method: 'DELETE', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
  } catch {
    // the node may be gone (that is why we cancel), or its address refused by the outbound policy
  }
}

export class NodeCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeCallError';
  }
}
