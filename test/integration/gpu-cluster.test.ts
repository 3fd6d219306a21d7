import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterRegistry, type ClusterRegistry } from '../../src/cluster/registry.js';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { eventually, testEnv } from '../support/env.js';

const env = testEnv('gpucluster', { cluster: { id: 'c', heartbeatSeconds: 1, leaseSeconds: 3 } });
let mongo: MongoHandle;
const regs: ClusterRegistry[] = [];

beforeAll(async () => {
  mongo = await connectMongo(env.config);
});

afterAll(async () => {
  for (const r of regs) await r.stop().catch(() => undefined);
  await mongo?.close();
  await env.cleanup();
});

const start = async (id: string) => {
  const r = await startClusterRegistry({ config: env.config, logger: env.logger, db: mongo.db, kind: 'api', instanceId: id });
  regs.push(r);
  return r;
};
const leaders = () => regs.filter((r) => r.isLeader());

describe('cluster registry and leader lease', () => {
  it('elects one leader among live instances, and leadership moves when the leader stops or goes silent', async () => {
    const a = await start('inst-a');
    const b = await start('inst-b');
    const c = await start('inst-c');
    await eventually(async () => {
      await Promise.all([a, b, c].map((r) => r.tick()));
      return leaders().length === 1;
    }, 'one leader');
    expect(leaders()).toHaveLength(1);
    expect((await a.instances()).map((i) => i.instance_id).sort()).toEqual(['inst-a', 'inst-b', 'inst-c']);
    const first = leaders()[0]!;
    expect(await a.leader()).toBe(first.instanceId);

    // A clean stop drops out at once and hands the lease over at the next beat of another instance.
    await first.stop();
    const second = await eventually(async () => {
      const live = regs.filter((r) => r !== first && r.isLeader());
      return live.length === 1 && (await live[0]!.leader()) === live[0]!.instanceId ? live[0] : null;
    }, 'a new leader after a clean stop', 20_000);
    expect(second.instanceId).not.toBe(first.instanceId);
    expect((await second.instances()).map((i) => i.instance_id)).not.toContain(first.instanceId);

    // A crashed leader (silent, lease not released) is replaced once its lease expires.
    await second.stop({ crash: true });
    const third = await eventually(async () => {
      const live = regs.filter((r) => r !== first && r !== second && r.isLeader());
      return live.length === 1 ? live[0] : null;
    }, 'a new leader after the lease of a silent one expired', 30_000);
    expect([first.instanceId, second.instanceId]).not.toContain(third.instanceId);
    const remaining = await eventually(async () => {
      const ids = (await third.instances()).map((i) => i.instance_id);
      return ids.length === 1 ? ids : null;
    }, 'the silent instance dropped out', 20_000);
    expect(remaining).toEqual([third.instanceId]);
    const view = await third.instances();
    expect(view[0]).toMatchObject({ instance_id: third.instanceId, role: 'LEADER', status: 'ACTIVE', version: '2.0.0' });
  });
});
