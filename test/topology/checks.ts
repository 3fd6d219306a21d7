/**
 * The production topology on one machine (issue #18): Temporal's own server on PostgreSQL, FerretDB, Kafka, two
 * `switchyard api` and two `switchyard worker` processes, each worker in a mount namespace of its own with a
 * private tmpfs over its workspace root and temp directory. What is checked here:
 *
 *   - every dialect's flows, requests alternating between the two APIs (`everyDialect`);
 *   - a scheduled execution's logs travel: the worker ships them to MongoDB, and either API reads (`/logs/file`)
 *     and follows (`/logs/stream`) them, though the file the execution wrote exists only in its worker's view;
 *     `cleanup-workspaces` removes the workspace on the worker that holds it (`logsAndCleanup`);
 *   - a rolling restart under load: every API and every worker restarted once, one at a time, SIGTERM and drain,
 *     while all four dialects submit; 0 lost, 0 duplicated, no 5xx but 503 with Retry-After (`rollingRestart`).
 *
 * The short versions run in `npm test` (test/integration/topology.test.ts); `npm run test:topology` runs the full.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { startGpuAgent } from '../../src/gpu-agent/index.js';
import { createLogger } from '../../src/logging.js';
import type { Figures } from '../faults/audit.js';
import type { Deployment } from '../faults/deployment.js';
import { isDialectEnvelope, type JobKind, type Submission } from '../faults/dialects.js';
import { LoadRun, untilProgress, type LoadMix } from '../faults/load.js';
import { audit, type ScenarioContext } from '../faults/scenarios.js';
import type { ServiceProcess } from '../faults/service-process.js';

export interface TopologySize {
  name: 'short' | 'full';
  /** Jobs of each kind in the all-dialects pass. */
  perKind: number;
  /** The load during the rolling restart, and how long it is spread over. */
  rollingMix: LoadMix;
  rollingSpreadMs: number;
}

export const TOPOLOGY_SIZES: Record<'short' | 'full', TopologySize> = {
  short: {
    name: 'short',
    perKind: 1,
    rollingMix: { 'device-fifo': 4, 'device-pinned': 4, scheduler: 4, gpu: 4, 'service-echo': 4, 'service-kafka': 4 },
    rollingSpreadMs: 40_000,
  },
  full: {
    name: 'full',
    perKind: 5,
    rollingMix: { 'device-fifo': 40, 'device-pinned': 40, 'device-config': 4, scheduler: 30, gpu: 40, 'service-echo': 40, 'service-kafka': 30, ingest: 30 },
    rollingSpreadMs: 150_000,
  },
};

/**
 * Settings of every process of the topology runs: after SIGTERM an API keeps serving for 5 s while /readyz
 * answers 503, several times the balancer's probe round (200 ms apart, 2 s timeout), so no request is sent to a
 * port about to close, even when a loaded machine makes a probe slow; then
 * requests in flight get 30 s (a loaded two-core machine makes some take more than the default 10 s).
 */
export const TOPOLOGY_ENV: Record<string, string> = { API_DRAIN_NOTICE_SECONDS: '5', API_DRAIN_SECONDS: '30' };

const ALL_KINDS: JobKind[] = ['device-fifo', 'device-pinned', 'scheduler', 'gpu', 'service-echo', 'service-kafka', 'ingest'];

/** One job of every kind (`perKind` each), alternating between the APIs; judged as the fault suite judges. */
export async function everyDialect(d: Deployment, ctx: ScenarioContext, perKind: number): Promise<Figures> {
  const subs: Submission[] = [];
  for (let i = 0; i < perKind; i++) for (const kind of ALL_KINDS) subs.push(await d.clients.submit(kind, { sleepSeconds: 1 }));
  const apis = new Set(subs.map((s) => s.api).filter(Boolean));
  const f = await audit(d, ctx, 'every dialect on the real server, two APIs, two isolated workers', subs, null, [`requests went to ${apis.size} APIs`]);
  if (d.apis.length > 1 && apis.size < 2) f.problems.push(`requests did not alternate between the APIs: ${[...apis].join(', ')}`);
  return f;
}

/**
 * GPU dispatch through the real node agent (`switchyard gpu-agent`'s code): registered with one API, a task of
 * its own type created through the other; it must end COMPLETED on that agent with the command's answer.
 */
export async function gpuAgentTask(d: Deployment, ctx: ScenarioContext): Promise<string[]> {
  const [a, b] = d.allApiUrls();
  if (!a || !b) throw new Error('gpuAgentTask needs two APIs');
  const taskType = 977;
  const gpuId = `agent-${d.opts.tag}`;
  const agent = await startGpuAgent({
    api: a,
    apiKey: d.config.auth.gpuApiKey,
    gpuId,
    advertiseIp: '127.0.0.1',
    bindHost: '127.0.0.1',
    port: 0,
    taskTypes: [taskType],
    priorityClass: 'NORMAL',
    maxConcurrentTasks: 2,
    command: 'read x; echo "PROGRESS 50"; echo "{\\"echo\\":\\"$x\\"}"',
    heartbeatSeconds: 1,
    version: 'topology',
    logger: createLogger('warn'),
  });
  const problems: string[] = [];
  try {
    const headers = { authorization: `Bearer ${d.config.auth.gpuApiKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${b}/api/v2/tasks`, { method: 'POST', headers, body: JSON.stringify({ taskType, payload: 'over-the-agent', userId: 'topology' }) });
    const id = ((await created.json()) as { data?: { taskId?: string } }).data?.taskId;
    if (!id) return [`GPU task through ${b}: ${created.status}`];
    const done = await until('the agent task to end', 120_000, async () => {
      const r = (await (await fetch(`${a}/api/v2/tasks/${id}`, { headers })).json()) as { data?: { status: string; gpuId?: string; result?: string } };
      return r.data && ['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED'].includes(r.data.status) ? r.data : null;
    });
    const echoed = (() => {
      try {
        return (JSON.parse(done.result ?? '') as { echo?: string }).echo;
      } catch {
        return undefined;
      }
    })();
    if (done.status !== 'COMPLETED' || done.gpuId !== gpuId || echoed !== 'over-the-agent') problems.push(`GPU task on the agent: ${JSON.stringify(done)}`);
    ctx.log(`[${d.opts.tag}] GPU task ${id} through ${b} ran on the agent registered with ${a}: ${done.status}`);
  } finally {
    await agent.stop();
  }
  return problems;
}

// ---- scheduler logs and cleanup across hosts --------------------------------------------------------------------

interface Api {
  url: string;
  token: string;
}

async function call(api: Api, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${api.url}/api/v1/scheduler${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Reads an SSE answer to its `end` event: the `log` lines and the end's data. */
async function readStream(api: Api, executionId: string, type: 'output' | 'error'): Promise<{ lines: string[]; end: unknown; status: number }> {
  const res = await fetch(`${api.url}/api/v1/scheduler/executions/${executionId}/logs/stream?log_type=${type}`, {
    headers: { authorization: `Bearer ${api.token}` },
    signal: AbortSignal.timeout(180_000),
  });
  const lines: string[] = [];
  let end: unknown = null;
  if (!res.ok || !res.body) return { lines, end, status: res.status };
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.replace(/^data: ?/, ''))
        .join('\n');
      if (event === 'log') lines.push(data);
      if (event === 'end') {
        end = JSON.parse(data);
        return { lines, end, status: res.status };
      }
    }
  }
  return { lines, end, status: res.status };
}

/** A path as one process sees it: through /proc/<pid>/root, in that process's own mount namespace. */
function inViewOf(p: ServiceProcess, path: string): string {
  return join(`/proc/${p.pid}/root`, path);
}

async function until<T>(what: string, ms: number, fn: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * A scheduled command that writes to both streams for a few seconds: created through one API, its live stream
 * followed through the other, its log files read through both; its workspace exists only in the view of the
 * worker that ran it; `cleanup-workspaces` (through the other API) removes it there. Answers the problems found.
 */
export async function logsAndCleanup(d: Deployment, ctx: ScenarioContext): Promise<{ problems: string[]; notes: string[] }> {
  const problems: string[] = [];
  const notes: string[] = [];
  const token = await mintSchedulerToken(d.config.auth.schedulerJwtSecret, `topology-${d.opts.tag}`, 'admin', '1h');
  const [a, b] = d.allApiUrls().map((url) => ({ url, token }));
  if (!a || !b) throw new Error('logsAndCleanup needs two APIs');
  const lines = 40;
  const command = `for i in $(seq 1 ${lines}); do echo "out line $i ü"; echo "err line $i" >&2; sleep 0.1; done; echo "workspace $PWD"; echo kept > artefact.txt`;
  const created = await call(a, 'POST', '/tasks', { name: `topology-logs-${d.opts.tag}`, project_id: 1, schedule_type: 'ONCE', timeout_seconds: 300, action: { type: 'command', command } });
  if (created.status !== 200) return { problems: [`create through ${a.url}: ${created.status} ${JSON.stringify(created.json)}`], notes };
  const taskId = (created.json.data as { id: number }).id;
  const executionId = await until('the execution to appear', 120_000, async () => {
    const r = await call(b, 'GET', `/tasks/${taskId}/executions?size=10`);
    return (r.json.items as Array<{ execution_id: string }> | undefined)?.[0]?.execution_id;
  });
  // Followed through the API that did not create it, while the command runs.
  const [streamOut, streamErr] = await Promise.all([readStream(b, executionId, 'output'), readStream(a, executionId, 'error')]);
  const expectedOut = Array.from({ length: lines }, (_, i) => `out line ${i + 1} ü`);
  const expectedErr = Array.from({ length: lines }, (_, i) => `err line ${i + 1}`);
  if (JSON.stringify(streamOut.lines.slice(0, lines)) !== JSON.stringify(expectedOut)) problems.push(`stream (output, via the other API): ${streamOut.status} ${JSON.stringify(streamOut.lines.slice(0, 5))}… (${streamOut.lines.length} lines)`);
  if (JSON.stringify(streamErr.lines) !== JSON.stringify(expectedErr)) problems.push(`stream (error): ${streamErr.status} ${streamErr.lines.length} lines`);
  if ((streamOut.end as { status?: string } | null)?.status !== 'SUCCESS') problems.push(`stream end: ${JSON.stringify(streamOut.end)}`);
  for (const api of [a, b]) {
    const out = await call(api, 'GET', `/executions/${executionId}/logs/file?log_type=output&lines=1000`);
    const content = (out.json.data as { content?: string[] } | undefined)?.content ?? [];
    if (JSON.stringify(content.slice(0, lines)) !== JSON.stringify(expectedOut)) problems.push(`/logs/file through ${api.url}: ${out.status} ${content.length} lines ${JSON.stringify(content.slice(0, 3))}`);
    const err = await call(api, 'GET', `/executions/${executionId}/logs/file?log_type=error&lines=5`);
    const errContent = (err.json.data as { content?: string[] } | undefined)?.content ?? [];
    if (JSON.stringify(errContent) !== JSON.stringify(expectedErr.slice(-5))) problems.push(`/logs/file error through ${api.url}: ${JSON.stringify(errContent)}`);
  }
  notes.push(`execution ${executionId}: ${streamOut.lines.length} output and ${streamErr.lines.length} error lines streamed through the other API; /logs/file identical through both`);

  // The workspace is on the worker that ran it, and only there.
  const detail = await call(a, 'GET', `/executions/${executionId}`);
  const workspace = (detail.json.data as { workspace_path?: string } | undefined)?.workspace_path;
  if (!workspace) return { problems: [...problems, `execution detail has no workspace_path: ${JSON.stringify(detail.json)}`], notes };
  const artefact = join(workspace, 'artefact.txt');
  if (existsSync(artefact)) problems.push(`${artefact} is visible outside the worker: the workers are not isolated`);
  const holders = d.workers.filter((w) => w.running && existsSync(inViewOf(w, artefact)));
  if (holders.length !== 1) problems.push(`the workspace is in the view of ${holders.length} workers, expected 1`);
  const holder = holders[0];
  if (holder) {
    const text = readFileSync(inViewOf(holder, artefact), 'utf8').trim();
    if (text !== 'kept') problems.push(`artefact.txt in ${holder.name}'s view: ${text}`);
    notes.push(`workspace ${workspace} exists only in ${holder.name}'s view`);
  }

  // Cleanup through the other API reaches the worker that holds it.
  const cleaned = await call(b, 'POST', '/cleanup-workspaces?max_age_hours=0');
  const summary = (cleaned.json.data as { cleanup_summary?: { directories_removed: number } } | undefined)?.cleanup_summary;
  if (cleaned.status !== 200 || !summary) problems.push(`cleanup-workspaces: ${cleaned.status} ${JSON.stringify(cleaned.json)}`);
  else {
    notes.push(`cleanup-workspaces removed ${summary.directories_removed} workspace(s) across ${d.workers.length} workers`);
    if (summary.directories_removed < 1) problems.push('cleanup-workspaces removed nothing');
  }
  if (holder && existsSync(inViewOf(holder, workspace))) problems.push(`${workspace} still exists on ${holder.name} after cleanup-workspaces`);
  // The logs are the history's: they outlive the workspace.
  const after = await call(b, 'GET', `/executions/${executionId}/logs/file?log_type=output&lines=3`);
  if (((after.json.data as { content?: string[] } | undefined)?.content ?? []).length !== 3) problems.push(`logs gone after cleanup: ${JSON.stringify(after.json)}`);
  await call(a, 'DELETE', `/tasks/${taskId}`);
  ctx.log(`[${d.opts.tag}] logs and cleanup across hosts: ${problems.length === 0 ? 'ok' : problems.join('; ')}`);
  return { problems, notes };
}

// ---- rolling restart ----------------------------------------------------------------------------------------------

/**
 * What a load balancer does: sends requests only to APIs whose /readyz answered 200 in its latest probe round
 * (rounds 200 ms apart, never overlapping). An API
 * that drains (SIGTERM) answers 503 there for API_DRAIN_NOTICE_SECONDS before it stops accepting, so it leaves the
 * rotation before its port closes.
 */
export class ReadinessBalancer {
  private ready = new Set<string>();
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly d: Deployment) {}

  async start(): Promise<void> {
    await this.probe();
    // One round of probes at a time: an old probe's answer can never overwrite a newer one.
    this.loop = (async () => {
      while (!this.stopped) {
        await new Promise((r) => setTimeout(r, 200));
        await this.probe();
      }
    })();
    // No API ready in the latest round (a slow probe on a loaded machine): the last round that had one.
    let lastGood = this.d.allApiUrls();
    this.d.routeTo = () => {
      const ready = this.d.allApiUrls().filter((u) => this.ready.has(u));
      if (ready.length > 0) lastGood = ready;
      return lastGood;
    };
  }

  private async probe(): Promise<void> {
    await Promise.all(
      this.d.allApiUrls().map(async (u) => {
        const ok = await fetch(`${u}/readyz`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) this.ready.add(u);
        else this.ready.delete(u);
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.d.routeTo = null;
  }
}

async function waitReady(p: ServiceProcess, ms = 120_000): Promise<void> {
  await until(`${p.name} /readyz`, ms, async () => (await fetch(`${p.opts.url}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200);
}

/**
 * While all four dialects submit, every API and every worker is restarted once, one at a time: SIGTERM, its
 * drain, a new process under the same name, and the next one only once the new one is ready. Then every accepted
 * job must end (0 lost, 0 duplicated), and every 5xx must be a 503 with Retry-After in the dialect's envelope.
 */
export async function rollingRestart(d: Deployment, ctx: ScenarioContext, size: TopologySize): Promise<Figures> {
  const balancer = new ReadinessBalancer(d);
  await balancer.start();
  const restarted: string[] = [];
  try {
    const load = new LoadRun(d.clients, { mix: size.rollingMix, spreadMs: size.rollingSpreadMs, sleepSeconds: 2, concurrency: 4 });
    await untilProgress(load, 0.1);
    for (const p of [...d.apis, ...d.workers]) {
      const t0 = Date.now();
      // WORKER_SHUTDOWN_GRACE_SECONDS / API_DRAIN_NOTICE_SECONDS + API_DRAIN_SECONDS bound the drain; SIGKILL only past 60 s.
      await p.stop(60_000);
      await p.start();
      await waitReady(p);
      restarted.push(`${p.name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      ctx.log(`[${d.opts.tag}] rolling restart: ${p.name} back in ${((Date.now() - t0) / 1000).toFixed(1)} s (load ${Math.round(load.progress * 100)} % submitted)`);
    }
    await load.done;
    const fiveHundreds = [...d.clients.http.fiveHundreds, ...d.module!.http.fiveHundreds];
    const f = await audit(d, ctx, 'rolling restart of every API and worker under load', load.subs, null, [`restarted one at a time: ${restarted.join(', ')}`]);
    for (const x of fiveHundreds) {
      const dialect = x.path.startsWith('/device') ? 'device' : x.path.startsWith('/api/v1/scheduler') ? 'scheduler' : x.path.startsWith('/api/v2') ? 'gpu' : 'service';
      let body: unknown = x.body;
      try {
        body = JSON.parse(x.body);
      } catch {
        // not JSON: reported below
      }
      if (x.status !== 503 || !x.retryAfter || !isDialectEnvelope(dialect, body)) f.problems.push(`${x.status} without Retry-After or envelope: ${x.method} ${x.path} ${x.body.slice(0, 120)}`);
    }
    const refused = new Map<string, number>();
    for (const sub of load.subs.filter((x) => !x.accepted)) {
      const key = `${sub.kind} via ${sub.api ?? '?'}: ${sub.status ?? 'no answer'} ${(sub.error ?? '').slice(0, 100)}`;
      refused.set(key, (refused.get(key) ?? 0) + 1);
    }
    for (const [k, n] of refused) f.notes.push(`not accepted ×${n}: ${k}`);
    if (f.noAnswer > 0) f.problems.push(`${f.noAnswer} request(s) got no answer (see the notes)`);
    return f;
  } finally {
    await balancer.stop();
  }
}
