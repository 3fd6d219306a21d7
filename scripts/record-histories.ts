/**
 * Records real workflow histories into test/fixtures/histories/ for the replay gate (test/unit/workflows/replay.test.ts).
 *
 *   npm run histories:record                 run the integration tests that drive every workflow type against the
 *                                            local stack, then record histories of the runs they started
 *   npm run histories:record -- --drivers test/integration/gpu-api.test.ts
 *                                            the same with only the test files named (comma-separated)
 *   npm run histories:record -- --since ISO --tag TAG
 *                                            record only: runs started since ISO whose task queue holds TAG (the
 *                                            run tag a recording's tests put in their queue names)
 *
 * Per workflow type it keeps a few runs, preferring variety: every close status seen (a lane or dispatcher run
 * that continued as new, a failed, a timed-out, a completed and a still-running one), then the longest
 * histories; a dispatcher run whose round failed a task over to another node is always kept. Each history must replay against the current code before it is written, and no payload may be
 * plaintext (the stack's codec encrypts them; the script refuses a history with a readable payload or a known
 * secret in it). Existing fixtures are kept: a refresh adds histories, it never drops what older code produced.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
// A CommonJS package: Node's ESM loader cannot see its named exports.
import proto from '@temporalio/proto';
import { loadConfig } from '../src/config/index.js';
import { DEV_DEFAULTS } from '../src/config/schema.js';
import { ENCRYPTED_ENCODING } from '../src/temporal/codec.js';
import { LONG_LIVED_WORKFLOW_TYPES, moveToNewCodeSignal } from '../src/temporal/versioning.js';
import { historyFileName, historyTraits, HISTORIES_DIR, replayHistories, type RecordedHistory } from '../test/support/replay.js';
import * as workflows from '../workflows/index.js';

/** Every workflow type the worker bundle exports (a new one without a recorded history fails the replay gate). */
const WORKFLOW_TYPES = Object.keys(workflows);
const PER_TYPE = 5;
/**
 * Integration tests that between them start every workflow type (lanes with failover, a dispatcher round failing
 * over from a refusing node, every scheduled action, the workspace cleanup). `--drivers a.test.ts,b.test.ts` runs
 * only those (to add the histories of a new type or case without re-running everything).
 */
const DRIVERS = [
  'test/integration/device-queue.test.ts',
  'test/integration/device-failover.test.ts',
  'test/integration/gpu-api.test.ts',
  'test/integration/scheduler-api.test.ts',
  'test/integration/scheduler-jobs.test.ts',
  'test/integration/service-tasks.test.ts',
];
/** Plaintext that must never be in a history: the stack's own secrets and the passwords the tests send. */
const FORBIDDEN: string[] = [...Object.values(DEV_DEFAULTS).filter((v) => v.length >= 8), "queue-test-pw"];

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const ENCRYPTED_B64 = Buffer.from(ENCRYPTED_ENCODING).toString('base64');

/** Every payload in the history is the codec's, and no known secret is readable anywhere in it. */
function plaintextProblems(json: string): string[] {
  const problems: string[] = [];
  for (const secret of FORBIDDEN) if (json.includes(secret) || json.includes(Buffer.from(secret).toString('base64'))) problems.push(`holds a secret (${secret.slice(0, 3)}…)`);
  const encodings = [...json.matchAll(/"encoding":\s*"([^"]+)"/g)].map((m) => m[1]!);
  const plain = encodings.filter((e) => e !== ENCRYPTED_B64);
  // Search attributes and header fields are not run through the codec; they hold no request data.
  const saLike = [...json.matchAll(/"(indexedFields|searchAttributes|header)"/g)].length;
  if (plain.length > 0 && saLike === 0) problems.push(`${plain.length} payload(s) not encrypted`);
  return problems;
}

function pick(infos: WorkflowExecutionInfo[]): WorkflowExecutionInfo[] {
  const chosen: WorkflowExecutionInfo[] = [];
  const byStatus = new Map<string, WorkflowExecutionInfo[]>();
  for (const i of infos) byStatus.set(i.status.name, [...(byStatus.get(i.status.name) ?? []), i]);
  // One of each close status first (longest history of that status), then the longest of the rest.
  for (const list of byStatus.values()) chosen.push(list.sort((a, b) => (b.historyLength ?? 0) - (a.historyLength ?? 0))[0]!);
  const rest = infos.filter((i) => !chosen.includes(i)).sort((a, b) => (b.historyLength ?? 0) - (a.historyLength ?? 0));
  return [...chosen, ...rest].slice(0, PER_TYPE);
}

/** Whether one of these dispatcher runs failed a task over from a refusing node to another in one run. */
async function anyFailover(client: Client, infos: WorkflowExecutionInfo[]): Promise<boolean> {
  for (const info of infos) {
    const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    if ((await historyTraits({ file: '', workflowId: info.workflowId, workflowType: 'gpuDispatcher', history })).dispatcherFailover) return true;
  }
  return false;
}

/**
 * While the tests run: every few seconds, every running lane, dispatcher and monitor they started is asked to
 * move to new code, so the recording holds runs that continued as new with their queues (and the tests check
 * that nothing queued was lost on the way).
 */
function keepMovingOn(client: Client, since: string, tag: string): () => Promise<number> {
  let stop = false;
  let signals = 0;
  // Once per workflow: a run that then keeps going records what it does on new code (a dispatcher's failover
  // in one run, say) instead of being cut every few seconds.
  const moved = new Set<string>();
  const types = LONG_LIVED_WORKFLOW_TYPES.map((t) => `'${t}'`).join(', ');
  const loop = (async () => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 4000));
      try {
        for await (const wf of client.workflow.list({ query: `WorkflowType IN (${types}) AND ExecutionStatus = 'Running' AND StartTime > '${since}'` })) {
          if (!wf.taskQueue.includes(tag) || moved.has(wf.workflowId)) continue;
          await client.workflow.getHandle(wf.workflowId).signal(moveToNewCodeSignal).then(
            () => {
              signals += 1;
              moved.add(wf.workflowId);
            },
            () => undefined,
          );
        }
      } catch {
        // the next round
      }
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return signals;
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  let since = argValue('--since');
  let tag = argValue('--tag') ?? '';
  if (!since) {
    since = new Date().toISOString();
    tag = `rec${randomBytes(2).toString('hex')}`;
    const drivers = argValue('--drivers')?.split(',') ?? DRIVERS;
    console.log(`running ${drivers.length} integration test files against the local stack (minutes); run tag ${tag}`);
    const stopMoving = keepMovingOn(client, since, tag);
    const r = spawnSync('npx', ['vitest', 'run', '--project', 'integration', ...drivers], { stdio: 'inherit', env: { ...process.env, SWITCHYARD_RUN_TAG: tag } });
    console.log(`moveToNewCode sent ${await stopMoving()} times while the tests ran`);
    if (r.status !== 0) console.warn('some driving tests failed: their runs are recorded all the same when they replay');
  }
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const recorded: RecordedHistory[] = [];
  const bytesOf = new Map<string, Uint8Array>();
  try {
    for (const type of WORKFLOW_TYPES) {
      const infos: WorkflowExecutionInfo[] = [];
      for await (const i of client.workflow.list({ query: `WorkflowType = '${type}' AND StartTime > '${since}'` })) {
        // Only what this recording drove (other runs on a shared server may come from other code).
        if (!i.taskQueue.includes(tag)) continue;
        infos.push(i);
        if (infos.length >= 500) break;
      }
      const chosen = pick(infos);
      if (type === 'gpuDispatcher' && !(await anyFailover(client, chosen))) {
        for (const i of infos.filter((x) => !chosen.includes(x))) {
          if (!(await anyFailover(client, [i]))) continue;
          chosen.splice(PER_TYPE - 1, 1, i);
          break;
        }
      }
      console.log(`${type}: ${infos.length} runs since ${since}; recording ${chosen.map((c) => `${c.status.name}/${c.historyLength}`).join(', ') || 'none'}`);
      for (const info of chosen) {
        const History = proto.temporal.api.history.v1.History;
        const bytes = History.encode(await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory()).finish();
        const history = History.decode(bytes);
        // Readable form for the plaintext check only (bytes as base64, as in the protobuf JSON form).
        const json = JSON.stringify(History.toObject(history, { bytes: String, longs: String, enums: String }));
        const problems = plaintextProblems(json);
        if (problems.length > 0) throw new Error(`${type} ${info.workflowId}: ${problems.join('; ')}`);
        const file = historyFileName(type, info.workflowId, info.runId);
        recorded.push({ file, workflowId: file.replace(/\.binpb$/, ''), workflowType: type, history });
        bytesOf.set(file, bytes);
      }
    }
  } finally {
    await connection.close();
  }
  const failures = await replayHistories(recorded);
  for (const f of failures) console.error(`does not replay, not written: ${f.file}: ${f.message}`);
  const bad = new Set(failures.map((f) => f.file));
  let written = 0;
  for (const [file, bytes] of bytesOf) {
    if (bad.has(file)) continue;
    writeFileSync(join(HISTORIES_DIR, file), bytes);
    written += 1;
  }
  console.log(`wrote ${written} histories to ${HISTORIES_DIR}`);
  const kept = readdirSync(HISTORIES_DIR);
  const missing = WORKFLOW_TYPES.filter((t) => !kept.some((f) => f.startsWith(`${t}--`)));
  if (missing.length > 0) {
    console.error(`the fixtures hold no history of: ${missing.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
