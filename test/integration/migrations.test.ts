import { MongoClient, ObjectId, type Db } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { createApiRuntime } from '../../src/api/server.js';
import { migrateCommand } from '../../src/lifecycle/migrate.js';
import { ensureAllIndexes } from '../../src/store/indexes.js';
import { MIGRATION_CLAIMS_COLLECTION, repairBlockedUniqueIndexes, type RepairChange } from '../../src/store/migrations.js';
import { serviceTaskObjectId } from '../../src/store/service-tasks.js';
import { capturingLogger } from '../support/log-capture.js';
import { testEnv, type TestEnv } from '../support/env.js';

// Data that blocks a required unique index, as a process that served without its indexes leaves it: seeded
// straight into a fresh database (no index yet), then repaired by the real start-up of an API.
const envs: TestEnv[] = [];
const clients: MongoClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const e of envs) await e.cleanup();
});

async function freshDb(name: string, overrides: Record<string, unknown> = {}): Promise<{ env: TestEnv; db: Db }> {
  const env = testEnv(name, overrides);
  envs.push(env);
  const client = await new MongoClient(env.config.mongo.url).connect();
  clients.push(client);
  return { env, db: client.db(env.config.mongo.db) };
}

function task(id: number, owner: string, name: string) {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, id));
  return {
    _id: id,
    id,
    owner,
    name,
    description: null,
    project_id: 1,
    schedule_type: 'CRON',
    schedule_config: '0 2 * * *',
    is_active: false,
    timeout_seconds: 60,
    max_instances: 1,
    retry_count: 0,
    priority: 0,
    action: null,
    spec_anchor: at,
    created_at: at,
    updated_at: at,
  };
}

const LONG = 'x'.repeat(50);

async function names(db: Db): Promise<Record<number, string>> {
  const rows = await db.collection<{ _id: number; name: string }>('schedules').find({}).toArray();
  return Object.fromEntries(rows.map((r) => [r._id, r.name]));
}

describe('the migration step at start-up', () => {
  it('repairs what blocks each unique index, says what it changed, and the duplicate-name 409 works again', async () => {
    const { env, db } = await freshDb('migrate', { boot: { deadlineSeconds: 20 } });
    const { config } = env;
    // Scheduler tasks sharing (owner, name); `nightly (2)` is already taken; bob's `nightly` is his own.
    await db.collection('schedules').insertMany([
      task(101, 'alice', 'nightly'),
      task(102, 'alice', 'nightly'),
      task(103, 'alice', 'nightly'),
      task(104, 'alice', 'nightly (2)'),
      task(105, 'bob', 'nightly'),
      task(106, 'alice', LONG),
      task(107, 'alice', LONG),
    ] as never[]);
    // Two records of one worker name, an alert raised twice for one subject, service-task copies under old ids.
    await db.collection('workers').insertMany([
      { name: 'w_dup', last_heartbeat: new Date(1000), successful_job_count: 3, failed_job_count: 1 },
      { name: 'w_dup', last_heartbeat: new Date(2000), successful_job_count: 5, failed_job_count: 2 },
    ]);
    await db.collection('alerts').insertMany([
      { id: 'alert_a', subject: 'gpu:g1', openKey: 'gpu:g1', timestamp: 1000, resolvedAt: null },
      { id: 'alert_b', subject: 'gpu:g1', openKey: 'gpu:g1', timestamp: 2000, resolvedAt: null },
    ]);
    const coll = config.mongo.serviceTaskCollection;
    const named = db.collection(coll);
    const legacy = [new ObjectId(), new ObjectId(), new ObjectId()];
    await named.insertMany([
      { _id: serviceTaskObjectId('ts_a'), task_id: 'ts_a', status: 'finished', create_time: new Date(2000) },
      { _id: legacy[0], task_id: 'ts_a', status: 'running', create_time: new Date(1000) },
      { _id: legacy[1], task_id: 'ts_b', status: 'ready', create_time: new Date(1000) },
      { _id: legacy[2], task_id: 'ts_b', status: 'waiting', create_time: new Date(3000) },
    ]);

    const { logger, lines } = capturingLogger();
    const api = await createApiRuntime({ config, logger, port: 0, kafka: false });
    try {
      const migrated = lines.map((l) => JSON.parse(l) as { msg: string; migration?: RepairChange }).filter((r) => r.migration);
      expect(migrated.map((r) => r.msg).sort()).toEqual(
        [
          "migration: schedules renamed (owner_name_unique was blocked): task 102 of alice: 'nightly' -> 'nightly (3)'",
          "migration: schedules renamed (owner_name_unique was blocked): task 103 of alice: 'nightly' -> 'nightly (4)'",
          `migration: schedules renamed (owner_name_unique was blocked): task 107 of alice: '${LONG}' -> '${'x'.repeat(46)} (2)'`,
          "migration: workers merged (name_unique was blocked): worker 'w_dup': an older record removed, its 3 + 1 job counts added to the newest",
          "migration: alerts resolved (openKey_unique was blocked): alert alert_b on 'gpu:g1': a second open alert for the subject, resolved",
          `migration: ${coll} removed (task_id_unique was blocked): task ts_a: duplicate copy removed`,
          `migration: ${coll} rekeyed (task_id_unique was blocked): task ts_b: copy ${String(legacy[2])} kept as ${serviceTaskObjectId('ts_b').toHexString()}`,
          `migration: ${coll} removed (task_id_unique was blocked): task ts_b: duplicate copy removed`,
          `migration: ${coll} removed (task_id_unique was blocked): task ts_b: duplicate copy removed`,
        ].sort(),
      );
      expect(await names(db)).toEqual({ 101: 'nightly', 102: 'nightly (3)', 103: 'nightly (4)', 104: 'nightly (2)', 105: 'nightly', 106: LONG, 107: `${'x'.repeat(46)} (2)` });
      expect(await db.collection('workers').find({}, { projection: { _id: 0, name: 1, successful_job_count: 1, failed_job_count: 1 } }).toArray()).toEqual([
        { name: 'w_dup', successful_job_count: 8, failed_job_count: 3 },
      ]);
      expect(await db.collection('alerts').find({ openKey: 'gpu:g1' }).toArray()).toMatchObject([{ id: 'alert_a' }]);
      expect((await named.find({}).sort({ task_id: 1 }).toArray()).map((d) => [d.task_id, String(d._id), d.status])).toEqual([
        ['ts_a', String(serviceTaskObjectId('ts_a')), 'finished'],
        ['ts_b', String(serviceTaskObjectId('ts_b')), 'waiting'],
      ]);
      for (const [collection, index] of [
        ['schedules', 'owner_name_unique'],
        ['workers', 'name_unique'],
        ['alerts', 'openKey_unique'],
        [coll, 'task_id_unique'],
      ]) {
        expect((await db.collection(collection!).indexes()).map((i) => i.name), collection).toContain(index);
      }

      // The contract's 409 again, for the kept name and for a repaired one; another owner may use the name.
      const create = async (who: string, name: string) => {
        const token = await mintSchedulerToken(config.auth.schedulerJwtSecret, who, 'user');
        const res = await fetch(`${api.url}/api/v1/scheduler/tasks`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, project_id: 1, schedule_type: 'CRON', schedule_config: '0 3 * * *', is_active: false }),
        });
        return { status: res.status, body: (await res.json()) as { code: number; message: string; data?: { id: number } }, token };
      };
      for (const name of ['nightly', 'nightly (3)']) expect(await create('alice', name)).toMatchObject({ status: 409, body: { code: 409, message: '任务名称重复' } });
      const fresh = await create('bob', 'nightly (2)');
      expect(fresh.status).toBe(200);
      const del = await fetch(`${api.url}/api/v1/scheduler/tasks/${fresh.body.data!.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${fresh.token}` } });
      expect(del.status).toBe(200);
    } finally {
      await api.shutdown();
    }

    // Idempotent: nothing is left to change.
    expect(await migrateCommand(config, capturingLogger().logger)).toEqual([]);
  });

  it('gives the same result, each change reported once, when several processes migrate at once', async () => {
    const { env, db } = await freshDb('migratepar');
    const seeded = [task(1, 'u', 'a'), task(2, 'u', 'a'), task(3, 'u', 'a'), task(4, 'u', 'a'), task(5, 'u', 'a (2)'), task(6, 'u', 'a (2)'), task(7, 'v', 'a'), task(8, 'v', 'a')];
    await db.collection('schedules').insertMany(seeded as never[]);
    const options = { serviceTaskCollection: env.config.mongo.serviceTaskCollection };
    const runs = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const client = await new MongoClient(env.config.mongo.url).connect();
        clients.push(client);
        return repairBlockedUniqueIndexes(client.db(env.config.mongo.db), options);
      }),
    );
    const all = runs.flat();
    expect(all.map((c) => c._id).sort()).toEqual([2, 3, 4, 6, 8]);
    // One claim per change: the process whose claim went in is the one that reports it, even where two processes'
    // conditional writes both matched (FerretDB reads, then writes).
    expect(await db.collection(MIGRATION_CLAIMS_COLLECTION).countDocuments()).toBe(5);
    expect(await names(db)).toEqual({ 1: 'a', 2: 'a (3)', 3: 'a (4)', 4: 'a (5)', 5: 'a (2)', 6: 'a (2) (2)', 7: 'a', 8: 'a (2)' });
    await ensureAllIndexes(db, options);
    expect(await repairBlockedUniqueIndexes(db, options)).toEqual([]);
  });
});
