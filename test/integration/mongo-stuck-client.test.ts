import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { eventually } from '../support/env.js';
import { PrivateStack } from '../faults/private-stack.js';

// A private FerretDB (this test stops it; the shared one is never touched) and a client whose server
// monitoring is stopped by hand: the state the fault suite once found an API process in after an outage.
let stack: PrivateStack;
let mongo: MongoHandle;

beforeAll(async () => {
  stack = await PrivateStack.create({ tag: `stuck${Math.random().toString(16).slice(2, 8)}` });
  await stack.up(['ferretdb']);
  const config = loadConfig({ env: { MONGO_URL: stack.serviceEnv().MONGO_URL!, MONGO_DB: 'stuck', MONGO_TIMEOUT_MS: '2000', LOG_LEVEL: 'silent' } });
  mongo = await connectMongo(config);
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await stack?.destroy();
}, 60_000);

/** The driver's monitor of the one server (internal to the mongodb driver; only this test reaches in). */
function stopServerMonitoring(m: MongoHandle): void {
  const topology = (m.client as unknown as { topology: { s: { servers: Map<string, { monitor?: { monitorId?: { stop(): void } } }> } } }).topology;
  for (const server of topology.s.servers.values()) server.monitor?.monitorId?.stop();
}

describe('a MongoDB client whose server monitoring stopped', () => {
  it('reconnects once the server answers new connections again', async () => {
    const col = mongo.db.collection<{ _id: string; n: number; s?: string }>('x');
    for (let i = 0; i < 200; i++) await col.updateOne({ _id: `d${i}` }, { $set: { n: i, s: 'x'.repeat(500) } }, { upsert: true });
    let unknown = false;
    mongo.client.on('serverDescriptionChanged', (e) => {
      if (e.newDescription.type === 'Unknown') unknown = true;
    });
    stopServerMonitoring(mongo);
    // Operations on open connections while the server stops: one of them failing marks the server unreachable,
    // and with its monitoring stopped the client would never look again on its own.
    let busy = true;
    const load = Array.from({ length: 40 }, async (_, i) => {
      while (busy) await (i % 2 ? col.find({}).sort({ n: -1 }).limit(200).toArray() : col.updateOne({ _id: `d${i}` }, { $set: { n: i } })).catch(() => undefined);
    });
    await stack.stop('ferretdb');
    busy = false;
    await Promise.all(load);
    expect(unknown).toBe(true);
    await stack.start('ferretdb');
    const back = await eventually(async () => col.findOne({ _id: 'd1' }), 'the client to reach MongoDB again', 120_000, 500);
    expect(back?.n).toBe(1);
  });
});
