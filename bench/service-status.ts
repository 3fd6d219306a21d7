import { randomBytes } from 'node:crypto';
import { createApiRuntime } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { createServiceTasksPlugin } from '../src/service-tasks/plugin.js';
import { connectMongo } from '../src/store/mongo.js';
import { createWorkerRuntime } from '../src/worker.js';
import { formatLoad, runLoad } from './lib/load.js';
import { argNumber } from './lib/stats.js';
import { endBenchRun } from './lib/leftovers.js';

// npx tsx bench/service-status.ts [--rate 200] [--seconds 20] [--ids 10] [--background 1000]
// POST /api/status_task with `--ids` task ids at a fixed `--rate` (requests/s, from a second process) against the
// real API, MongoDB and Temporal; `--background` more service tasks sit in the collection so the lookup is not
// trivially small.

const rate = argNumber('rate', 200);
const seconds = argNumber('seconds', 20);
const idCount = argNumber('ids', 10);
const background = argNumber('background', 1000);
const tag = randomBytes(4).toString('hex');
const config = loadConfig({
  env: { LOG_LEVEL: 'warn' },
  overrides: {
    mongo: { db: `bench_status_${tag}` },
    temporal: { taskQueue: `bench-status-${tag}` },
    kafka: { eventsTopic: `bench.status.${tag}.events`, ingestTopics: [] },
    worker: { name: `bench_status_${tag}`, httpPort: 0 },
    services: { maxStatusTask: Math.max(10, idCount), list: [{ name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 600 }] },
  },
});
const logger = createLogger('warn');
const worker = await createWorkerRuntime({ config, logger, plugins: [createServiceTasksPlugin({ ingest: false })] });
const done = worker.run();
const api = await createApiRuntime({ config, logger, port: 0 });
const headers = { authorization: config.auth.serviceAuthToken, 'content-type': 'application/json' };
const mongo = await connectMongo(config);

try {
  const ids: string[] = [];
  for (let i = 0; i < idCount; i++) {
    const res = await fetch(`${api.url}/api/create_task`, { method: 'POST', headers, body: JSON.stringify({ data: { service: 'echo', condition: { i } } }) });
    ids.push(((await res.json()) as { task_id: string }).task_id);
  }
  // Background records, written straight to the collection (the lookup cost depends on its size, not on how they came).
  const now = new Date();
  const filler = Array.from({ length: background }, (_, i) => ({
    task_id: `ts_echo_fill_${tag}_${i}`,
    kind: 'service',
    state: 'succeeded',
    status: 'finished',
    queue: 'service.echo',
    service: 'echo',
    source_name: 'builtin',
    condition: { i },
    create_time: now,
    start_time: now,
    end_time: now,
    updated_at: now,
    rev: 1,
    status_message: { failed: null, running: null, finished: null },
  }));
  for (let i = 0; i < filler.length; i += 500) await mongo.db.collection('tasks').insertMany(filler.slice(i, i + 500));
  const body = JSON.stringify({ data: ids.map((task_id) => ({ task_id })) });
  // Settle: every task finished.
  for (let t = 0; t < 120; t++) {
    const res = await fetch(`${api.url}/api/status_task`, { method: 'POST', headers, body });
    const st = (await res.json()) as { status: { status: string }[] };
    if (st.status.every((s) => s.status === 'finished')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const result = await runLoad({ url: api.url, method: 'POST', paths: ['/api/status_task'], headers, bodyTemplate: body, connections: 20, overallRate: rate, duration: seconds });
  console.log(formatLoad(`status_task (${idCount} ids, ${background + idCount} service tasks in the collection) for ${seconds} s`, result, rate));
  console.log(`no ratio: service-status has no engine-shaped baseline. status_task answers from MongoDB (one read of the ids' task records), not from Temporal, so it is measured against the target rate (${rate} req/s): the achieved rate and the latency from each request's due time.`);
} finally {
  await api.shutdown();
  await worker.shutdown();
  await done;
  await endBenchRun(config);
  await mongo.close();
}
