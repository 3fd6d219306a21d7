import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { mintSchedulerToken } from '../src/api/scheduler/auth.js';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { ScheduleStore, type ScheduleDoc } from '../src/store/schedules.js';
import { httpClosedLoop, interleaved, loadAverage, printComparison } from './lib/harness.js';
import { formatLoad, runLoad, type LoadSpec } from './lib/load.js';
import { argNumber } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/scheduler-api.ts [--tasks 10000] [--creates 400] [--connections 10] [--rate 200] [--seconds 10]
// With `tasks` tasks of one owner in MongoDB (inserted straight into `schedules`: their Temporal Schedules would
// only slow the set-up):
//   creates: closed loop, `connections` clients, `creates` requests a side, over HTTP from the load generator's
//            own process, against a bare Hono app in this process whose POST calls schedule.create for the same
//            paused CRON schedule (no auth, no validation, no MongoDB): same transport, same count, same
//            concurrency, interleaved A B B A. Latency at the client.
//   list/get:  latency at a fixed rate (open loop; bench/lib/paced-load.ts). No engine-shaped baseline: Temporal
//            has no list of our tasks to compare with; these show what the API adds at a load it keeps up with.
// Every created schedule is deleted afterwards.
const total = argNumber('tasks', 10_000);
const creates = argNumber('creates', 400);
const connections = argNumber('connections', 10);
const rate = argNumber('rate', 200);
const seconds = argNumber('seconds', 10);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({ overrides: { mongo: { db: `bench_schedapi_${tag}` }, temporal: { taskQueue: `bench-schedapi-${tag}` } } });
const logger = createLogger('warn');
const api = await createApiRuntime({ config, logger, port: 0, kafka: false });
const token = await mintSchedulerToken(config.auth.schedulerJwtSecret, 'bench', 'admin');
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const store = new ScheduleStore(api.deps.db);
await store.ensureIndexes();

try {
  const now = new Date();
  // Stored as ScheduleStore stores them: `_id` is the task id.
  const docs: (ScheduleDoc & { _id: number })[] = [];
  for (let i = 0; i < total; i++) {
    docs.push({
      _id: 1_000_000 + i,
      id: 1_000_000 + i,
      owner: 'bench',
      name: `seed-${i}`,
      description: null,
      project_id: 1,
      schedule_type: 'CRON',
      schedule_config: '0 2 * * *',
      is_active: true,
      timeout_seconds: 3600,
      max_instances: 1,
      retry_count: 0,
      priority: 0,
      action: null,
      spec_anchor: now,
      created_at: now,
      updated_at: now,
    });
  }
  for (let i = 0; i < docs.length; i += 1000) await store.collection.db.collection<ScheduleDoc & { _id: number }>(store.collection.collectionName).insertMany(docs.slice(i, i + 1000));
  console.log(`seeded ${total} tasks`);

  const run = async (label: string, opts: Pick<LoadSpec, 'method' | 'paths' | 'bodyTemplate'>) => {
    const result = await runLoad({ url: api.url, connections: 20, overallRate: rate, duration: seconds, timeout: 30, headers, ...opts });
    console.log(formatLoad(label, result, rate));
    return result;
  };

  // The bare side: the same schedule.create behind a bare Hono route, in this process like our API.
  const barePrefix = `bench-bare-create-${tag}`;
  const bareIds: string[] = [];
  let bareN = 0;
  const bareApp = new Hono().post('/schedules', async (c) => {
    await c.req.text();
    const scheduleId = `${barePrefix}-${++bareN}`;
    await api.deps.temporal.schedule.create({
      scheduleId,
      spec: { cronExpressions: ['0 3 * * *'], timezone: 'UTC' },
      action: { type: 'startWorkflow', workflowType: 'baselineWorkflow', workflowId: scheduleId, taskQueue: barePrefix, args: [0] },
      state: { paused: true },
    });
    bareIds.push(scheduleId);
    return c.json({ id: scheduleId });
  });
  const bareServer = serve({ fetch: bareApp.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => bareServer.once('listening', r));
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`;
  console.log(`scheduler-api: ${creates} creates a side, ${connections} connections, load average ${await loadAverage()}`);
  const createBody = JSON.stringify({ name: `bench-${tag}-{{n}}`, project_id: 1, schedule_type: 'CRON', schedule_config: '0 3 * * *', is_active: false });
  let half = 0;
  const { ours, baseline } = await interleaved(
    creates,
    // A name per half: the second half's running numbers start again at 1.
    (n) => httpClosedLoop('create (POST /tasks, paused CRON)', { url: api.url, connections, amount: n, duration: 0, timeout: 30, headers, method: 'POST', paths: ['/api/v1/scheduler/tasks'], bodyTemplate: createBody.replace('{{n}}', `${++half}-{{n}}`) }),
    (n) => httpClosedLoop('bare Hono + schedule.create (paused CRON)', { url: bareUrl, connections, amount: n, duration: 0, timeout: 30, headers, method: 'POST', paths: ['/schedules'], bodyTemplate: createBody }),
  );
  printComparison(ours, baseline, 'create', `${creates} each, ${connections} in flight, HTTP from another process, same run`);
  bareServer.close();
  for (let i = 0; i < bareIds.length; i += 20) await Promise.all(bareIds.slice(i, i + 20).map((id) => api.deps.temporal.schedule.getHandle(id).delete().catch(() => undefined)));
  await run('list (GET /tasks?page=k&size=20)', { paths: Array.from({ length: 400 }, (_, k) => `/api/v1/scheduler/tasks?page=${k + 1}&size=20`) });
  // Creates answered after the load generator gave up are in MongoDB too: wait for the server to settle before reading them.
  await new Promise((r) => setTimeout(r, 5000));
  const created = await store.collection.find({ owner: 'bench', id: { $lt: 1_000_000 } }, { projection: { id: 1 } }).toArray();
  const ids = created.map((d) => d.id);
  await run(`get (GET /tasks/{id} of ${ids.length} real schedules)`, { paths: ids.map((id) => `/api/v1/scheduler/tasks/${id}`) });

  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(ids.slice(i, i + 20).map((id) => api.deps.temporal.schedule.getHandle(`sched-${config.mongo.db}-${id}`).delete().catch(() => undefined)));
  }
  console.log(`deleted ${ids.length} schedules`);
  console.log(`load average at the end ${await loadAverage()}`);
} finally {
  await api.shutdown();
  await endBenchRun(config);
}
