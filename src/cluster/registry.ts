import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';
import { InstanceStore, type InstanceRecord } from '../store/instances.js';

export const CLUSTER_VERSION = '2.0.0';

export interface ClusterInstanceView {
  instance_id: string;
  status: 'ACTIVE';
  role: 'LEADER' | 'FOLLOWER';
  last_heartbeat: number;
  start_time: number;
  version: string;
  kind: string;
}

export interface ClusterRegistry {
  instanceId: string;
  isLeader(): boolean;
  /** Live instances (heartbeat within the lease), the leader first. */
  instances(): Promise<ClusterInstanceView[]>;
  leader(): Promise<string | null>;
  /** Beats and re-checks the lease now (tests, manual checks). */
  tick(): Promise<void>;
  /** Leaves the cluster: drops out at once and gives the lease up. `{ crash: true }` just goes silent (tests). */
  stop(opts?: { crash?: boolean }): Promise<void>;
}

/**
 * Every api/worker process records itself in `instances` every `heartbeatSeconds`; a lease document there elects
 * one leader. A process that stops beating drops out of the list after `leaseSeconds`, and its lease expires
 * then too, so another live process takes leadership at its next beat.
 */
export async function startClusterRegistry(opts: { config: Config; logger: Logger; db: Db; kind: 'api' | 'worker'; instanceId?: string }): Promise<ClusterRegistry> {
  const { config, logger, db, kind } = opts;
  const store = new InstanceStore(db);
  await store.ensureIndexes();
  const instanceId = opts.instanceId ?? `${kind}-${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const startTime = Date.now();
  const leaseMs = config.cluster.leaseSeconds * 1000;
  let leader = false;
  let stopped = false;

  const tick = async () => {
    if (stopped) return;
    try {
      await store.beat({ instance_id: instanceId, kind, hostname: hostname(), pid: process.pid, version: CLUSTER_VERSION, start_time: startTime });
      const was = leader;
      leader = await store.acquireLease(instanceId, leaseMs);
      if (leader !== was) logger.info({ instanceId, leader }, leader ? 'cluster: became leader' : 'cluster: lost leadership');
    } catch (e) {
      leader = false;
      logger.warn({ err: (e as Error).message }, 'cluster heartbeat not recorded');
    }
  };
  await tick();
  const timer = setInterval(() => void tick(), config.cluster.heartbeatSeconds * 1000);
  timer.unref();

  const view = (r: InstanceRecord, leaderId: string | null): ClusterInstanceView => ({
    instance_id: r.instance_id,
    status: 'ACTIVE',
    role: r.instance_id === leaderId ? 'LEADER' : 'FOLLOWER',
    last_heartbeat: r.last_heartbeat,
    start_time: r.start_time,
    version: r.version,
    kind: r.kind,
  });

  return {
    instanceId,
    isLeader: () => leader && !stopped,
    leader: () => store.leader(),
    tick,
    async instances() {
      const [rows, leaderId] = await Promise.all([store.live(leaseMs), store.leader()]);
      return rows.map((r) => view(r, leaderId)).sort((a, b) => (a.role === b.role ? a.start_time - b.start_time : a.role === 'LEADER' ? -1 : 1));
    },
    async stop(stopOpts) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (stopOpts?.crash) return;
      await store.markStopped(instanceId).catch(() => undefined);
      await store.releaseLease(instanceId).catch(() => undefined);
    },
  };
}

const byDeps = new WeakMap<object, ClusterRegistry>();

/** The API runtime attaches its registry to its deps so the GPU dialect can answer cluster questions. */
export function attachClusterRegistry(deps: object, registry: ClusterRegistry): void {
  byDeps.set(deps, registry);
}

export function clusterRegistryFor(deps: object): ClusterRegistry | undefined {
  return byDeps.get(deps);
}
