import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DEV_DEFAULTS } from '../config/index.js';
import { ApiClient, ApiError, JOB_END_WORDS, type JobView, type WorkerView } from './http.js';
import { ProgressBar, seconds, table, type Column } from './render.js';
import { UsageError } from './usage.js';

/**
 * Client commands against a running API: device jobs (`jobs submit|get|list|cancel|watch`), `workers`, the
 * long-task dialect's `tasks` (`gpu tasks` and `scheduler tasks`: dialect-task-commands.ts). Human-readable by
 * default, `--json` for scripts. The API address and credentials
 * come from flags or the environment (SWITCHYARD_API_URL, SWITCHYARD_API_KEY, SWITCHYARD_AUTH_TOKEN), then from
 * the service's own variables (DEVICE_API_KEY, AUTH_TOKEN), then the development defaults of the local stack.
 *
 * Slightly over 400 lines: one command tree registered in one place, so `--help` and the commands stay in step.
 */

export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

interface GlobalOptions {
  api?: string;
  key?: string;
  token?: string;
  gpuKey?: string;
  json?: boolean;
}

const POLL_MS = 500;

export function clientOf(cmd: Command, io: Io): { api: ApiClient; json: boolean } {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const url = o.api ?? io.env.SWITCHYARD_API_URL ?? 'http://127.0.0.1:9000';
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--api must be a URL such as http://127.0.0.1:9000, got "${url}"`);
  }
  return {
    api: new ApiClient({
      url,
      deviceKey: o.key ?? io.env.SWITCHYARD_API_KEY ?? io.env.DEVICE_API_KEY ?? DEV_DEFAULTS.deviceApiKey,
      serviceToken: o.token ?? io.env.SWITCHYARD_AUTH_TOKEN ?? io.env.AUTH_TOKEN ?? DEV_DEFAULTS.serviceAuthToken,
      gpuKey: o.gpuKey ?? io.env.SWITCHYARD_GPU_API_KEY ?? io.env.GPU_API_KEY ?? DEV_DEFAULTS.gpuApiKey,
    }),
    json: o.json === true,
  };
}

export const printJson = (io: Io, value: unknown) => io.out.write(`${JSON.stringify(value, null, 2)}\n`);

function errorOf(job: JobView): string {
  if (job.result?.error) return `${job.result.error.type}: ${job.result.error.message}`;
  return job.waiting_reason ?? '';
}

const JOB_COLUMNS: Column<JobView>[] = [
  { title: 'id', value: (j) => j.id },
  { title: 'status', value: (j) => j.status },
  { title: 'kind', value: (j) => j.kind },
  { title: 'queue', value: (j) => j.queue },
  { title: 'host', value: (j) => j.host ?? '-' },
  { title: 'created', value: (j) => j.created_at ?? '-' },
  { title: 'took', value: (j) => seconds(j.duration) },
  { title: 'error / waiting', value: errorOf },
];

function describeJob(job: JobView): string {
  const lines = [
    ['id', job.id],
    ['status', job.status],
    ['kind', job.kind],
    ['queue', job.queue],
    ['host', job.host ?? '-'],
    ['worker', job.worker ?? '-'],
    ['created', job.created_at ?? '-'],
    ['started', job.started_at ?? '-'],
    ['ended', job.ended_at ?? '-'],
    ['queue time', seconds(job.queue_time)],
    ['duration', seconds(job.duration)],
  ];
  if (job.waiting_reason) lines.push(['waiting', job.waiting_reason]);
  if (job.result?.error) lines.push(['error', `${job.result.error.type}: ${job.result.error.message}`]);
  let text = lines.map(([k, v]) => `${k!.padEnd(11)} ${v}`).join('\n') + '\n';
  if (job.result && job.result.retval !== null && job.result.retval !== undefined) {
    text += '\nresult:\n';
    const retval = job.result.retval;
    if (typeof retval === 'object' && !Array.isArray(retval)) {
      for (const [command, output] of Object.entries(retval as Record<string, unknown>)) {
        text += `--- ${command}\n${typeof output === 'string' ? output.replace(/\n?$/, '\n') : `${JSON.stringify(output, null, 2)}\n`}`;
      }
    } else {
      text += `${JSON.stringify(retval, null, 2)}\n`;
    }
  }
  return text;
}

/** Runs `fn` over `items` with at most `limit` at once, in order of start. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(runners);
}

/** The request bodies of a file: a JSON array of /device/exec bodies, one JSON object, or one object per line. */
export function readJobFile(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const trimmed = text.trim();
  let bodies: unknown[];
  try {
    if (trimmed.startsWith('[')) bodies = JSON.parse(trimmed) as unknown[];
    else if (trimmed.startsWith('{') && !trimmed.includes('\n')) bodies = [JSON.parse(trimmed)];
    else bodies = trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    throw new UsageError(`--file ${path} must hold a JSON array of /device/exec bodies or one JSON object per line (${(e as Error).message})`);
  }
  const bad = bodies.findIndex((b) => typeof b !== 'object' || b === null || Array.isArray(b));
  if (bad >= 0) throw new UsageError(`--file ${path}: entry ${bad} is not a JSON object`);
  if (bodies.length === 0) throw new UsageError(`--file ${path} holds no jobs`);
  return bodies as Record<string, unknown>[];
}

interface SubmitOptions {
  file?: string;
  driver: string;
  host?: string;
  port?: string;
  username?: string;
  password?: string;
  deviceType?: string;
  command?: string[];
  config?: string[];
  queueStrategy?: string;
  wait: boolean;
  concurrency: string;
}

function bodiesOf(o: SubmitOptions, io: Io): Record<string, unknown>[] {
  if (o.file) {
    if (o.host || o.command || o.config) throw new UsageError('give either --file or --host with --command/--config, not both');
    return readJobFile(o.file);
  }
  if (!o.host) throw new UsageError('give --host (one job) or --file (many jobs)');
  if (!o.command && !o.config) throw new UsageError('give --command or --config (each may repeat)');
  if (o.command && o.config) throw new UsageError('give --command or --config, not both');
  const port = o.port === undefined ? undefined : Number(o.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new UsageError(`--port must be 1-65535, got "${o.port}"`);
  const password = o.password ?? io.env.SWITCHYARD_DEVICE_PASSWORD;
  return [
    {
      driver: o.driver,
      connection_args: {
        host: o.host,
        ...(port ? { port } : {}),
        ...(o.username ? { username: o.username } : {}),
        ...(password ? { password } : {}),
        ...(o.deviceType ? { device_type: o.deviceType } : {}),
      },
      ...(o.command ? { command: o.command } : { config: o.config }),
      ...(o.queueStrategy ? { queue_strategy: o.queueStrategy } : {}),
    },
  ];
}

interface Outcome {
  index: number;
  host: string;
  id: string | null;
  job: JobView | null;
  error: string | null;
}

async function submitJobs(cmd: Command, o: SubmitOptions, io: Io): Promise<void> {
  const { api, json } = clientOf(cmd, io);
  const bodies = bodiesOf(o, io);
  const concurrency = Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 200) throw new UsageError(`--concurrency must be 1-200, got "${o.concurrency}"`);
  const outcomes: Outcome[] = bodies.map((b, index) => ({
    index,
    host: String((b.connection_args as Record<string, unknown> | undefined)?.host ?? '-'),
    id: null,
    job: null,
    error: null,
  }));
  const bar = json ? null : new ProgressBar(io.err, bodies.length);
  const counts = () => {
    const ended = outcomes.filter((x) => x.error !== null || (x.job && JOB_END_WORDS.has(x.job.status)));
    const by = (w: string) => outcomes.filter((x) => x.job?.status === w).length;
    const refused = outcomes.filter((x) => x.error !== null).length;
    const submitted = outcomes.filter((x) => x.id !== null).length;
    const detail = o.wait
      ? `ended · finished ${by('finished')}, failed ${by('failed')}, cancelled ${by('cancelled')}, refused ${refused}`
      : `submitted · refused ${refused}`;
    return { done: o.wait ? ended.length : submitted + refused, detail };
  };
  const draw = (force = false) => {
    if (!bar) return;
    const c = counts();
    bar.update(c.done, c.detail, force);
  };
  draw(true);
  const ticker = bar ? setInterval(() => draw(), 200) : null;
  try {
    await eachLimit(outcomes, concurrency, async (x) => {
      try {
        const r = await api.device<{ id: string }>('POST', '/device/exec', bodies[x.index]);
        x.id = r.id;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status === null) throw e;
        x.error = e.message;
        return;
      }
      draw();
      if (!o.wait) return;
      for (;;) {
        x.job = await api.job(x.id);
        if (JOB_END_WORDS.has(x.job.status)) break;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      draw();
    });
  } finally {
    if (ticker) clearInterval(ticker);
  }
  draw(true);
  bar?.done();

  if (json) {
    printJson(
      io,
      outcomes.map((x) => (x.error !== null ? { index: x.index, host: x.host, error: x.error } : o.wait ? { index: x.index, ...x.job } : { index: x.index, id: x.id })),
    );
  } else {
    io.out.write(
      table(outcomes, [
        { title: '#', value: (x) => String(x.index + 1) },
        { title: 'id', value: (x) => x.id ?? '-' },
        { title: 'host', value: (x) => x.host },
        { title: 'status', value: (x) => (x.error !== null ? 'refused' : (x.job?.status ?? 'queued')) },
        { title: 'took', value: (x) => seconds(x.job?.duration) },
        { title: 'error', value: (x) => x.error ?? (x.job ? errorOf(x.job) : '') },
      ]),
    );
    if (o.wait) {
      const by = (w: string) => outcomes.filter((x) => x.job?.status === w).length;
      io.out.write(`\n${outcomes.length} job(s): ${by('finished')} finished, ${by('failed')} failed, ${by('cancelled')} cancelled, ${outcomes.filter((x) => x.error !== null).length} refused\n`);
    }
  }
  // A script can tell from the exit code whether everything went through.
  if (outcomes.some((x) => x.error !== null || (o.wait && x.job?.status !== 'finished'))) process.exitCode = 1;
}

async function watchJob(cmd: Command, id: string, io: Io, intervalMs: number): Promise<void> {
  const { api, json } = clientOf(cmd, io);
  let last = '';
  for (;;) {
    const job = await api.job(id);
    const state = job.status;
    if (state !== last) {
      last = state;
      if (json) io.out.write(`${JSON.stringify({ at: new Date().toISOString(), ...job })}\n`);
      else {
        const extra = [job.worker ? `worker ${job.worker}` : '', job.waiting_reason ?? '', job.result?.error ? `${job.result.error.type}: ${job.result.error.message}` : ''].filter(Boolean).join(' · ');
        io.out.write(`${new Date().toISOString()}  ${job.id}  ${job.status}${extra ? `  ${extra}` : ''}\n`);
      }
    }
    if (JOB_END_WORDS.has(job.status)) {
      if (job.status !== 'finished') process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const WORKER_COLUMNS: Column<WorkerView>[] = [
  { title: 'name', value: (w) => w.name },
  { title: 'status', value: (w) => w.status },
  { title: 'host', value: (w) => `${w.hostname}:${w.pid}` },
  { title: 'jobs ok', value: (w) => String(w.successful_job_count) },
  { title: 'failed', value: (w) => String(w.failed_job_count) },
  { title: 'last heartbeat', value: (w) => w.last_heartbeat ?? '-' },
  { title: 'queues', value: (w) => w.queues.join(', ') },
];

interface TaskRow {
  task_id: string;
  service: string;
  status: string;
  create_time: string;
  condition: unknown;
}

/** The options every client command shares: the API's address, the device key, --json. */
export const client = (c: Command) =>
  c
    .addOption(new Option('--api <url>', 'Switchyard API base URL').env('SWITCHYARD_API_URL').default('http://127.0.0.1:9000'))
    .addOption(new Option('--key <key>', 'device dialect API key (X-API-KEY); else DEVICE_API_KEY, else the development key').env('SWITCHYARD_API_KEY'))
    .option('--json', 'print JSON for scripts instead of tables');

/** Adds the client commands to the program. */
export function addClientCommands(program: Command, io: Io): void {

  const jobs = program.command('jobs').description('device jobs on a running API: submit, get, list, cancel, watch');

  client(jobs.command('submit'))
    .description('submit a device job (--host …) or many (--file jobs.json), wait for them with a progress bar, print a summary table')
    .option('-f, --file <path>', 'a JSON array of /device/exec bodies, or one JSON object per line')
    .option('--driver <driver>', 'netmiko, paramiko or ssh', 'ssh')
    .option('--host <host>', 'device address (one job)')
    .option('--port <port>', 'SSH port')
    .option('--username <user>', 'login user')
    .option('--password <password>', 'login password (else SWITCHYARD_DEVICE_PASSWORD)')
    .option('--device-type <type>', 'netmiko device_type, e.g. cisco_ios')
    .option('-c, --command <cmd...>', 'command(s) to run')
    .option('--config <line...>', 'configuration line(s) to apply')
    .addOption(new Option('--queue-strategy <strategy>', 'pinned or fifo').choices(['pinned', 'fifo']))
    .option('--no-wait', 'only submit; print the ids')
    .option('--concurrency <n>', 'requests in flight at once', '8')
    .addHelpText('after', '\nExit code 0 when every job finished, 1 when any failed, was cancelled or refused.')
    .action((o: SubmitOptions, cmd: Command) => submitJobs(cmd, o, io));

  client(jobs.command('get'))
    .description('show one job of any kind, with its result')
    .argument('<id>', 'job id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const job = await api.job(id);
      if (json) printJson(io, job);
      else io.out.write(describeJob(job));
    });

  client(jobs.command('list'))
    .description('list jobs of every kind, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this state').choices(['queued', 'started', 'finished', 'failed', 'cancelled']))
    .option('--queue <queue>', 'only jobs of this queue (FifoQ, pinned_<host>, …)')
    .option('--host <host>', 'only jobs for this device')
    .option('--limit <n>', 'at most this many (1-1000)', '20')
    .action(async (o: { status?: string; queue?: string; host?: string; limit: string }, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be 1-1000, got "${o.limit}"`);
      const q = new URLSearchParams({ limit: String(limit) });
      for (const k of ['status', 'queue', 'host'] as const) if (o[k]) q.set(k, o[k]);
      const list = await api.device<JobView[]>('GET', `/job?${q}`);
      if (json) printJson(io, list);
      else io.out.write(list.length === 0 ? 'no jobs\n' : table(list, JOB_COLUMNS));
    });

  client(jobs.command('cancel'))
    .description('cancel jobs that have not started: one by id, or every one of a queue or host')
    .argument('[id]', 'job id')
    .option('--queue <queue>', 'every waiting job of this queue')
    .option('--host <host>', 'every waiting job for this device')
    .action(async (id: string | undefined, o: { queue?: string; host?: string }, cmd: Command) => {
      if (!id && !o.queue && !o.host) throw new UsageError('give a job id, --queue or --host');
      const { api, json } = clientOf(cmd, io);
      const q = new URLSearchParams();
      if (id) q.set('id', id);
      if (o.queue) q.set('queue', o.queue);
      if (o.host) q.set('host', o.host);
      const r = await api.device<{ cancelled_count: number; cancelled_jobs: string[] }>('DELETE', `/job?${q}`);
      if (json) printJson(io, r);
      else io.out.write(r.cancelled_count === 0 ? 'nothing cancelled (no such job waiting)\n' : `cancelled ${r.cancelled_count}: ${r.cancelled_jobs.join(', ')}\n`);
      if (id && r.cancelled_count === 0) process.exitCode = 1;
    });

  client(jobs.command('watch'))
    .description('follow one job live: a line per state change, until it ends (exit 1 unless it finished)')
    .argument('<id>', 'job id')
    .option('--interval <ms>', 'how often to look', String(POLL_MS))
    .action(async (id: string, o: { interval: string }, cmd: Command) => {
      const ms = Number(o.interval);
      if (!Number.isInteger(ms) || ms < 50) throw new UsageError(`--interval must be a whole number of milliseconds ≥ 50, got "${o.interval}"`);
      await watchJob(cmd, id, io, ms);
    });

  client(program.command('workers'))
    .description('list workers with their status from heartbeats')
    .option('--queue <queue>', 'only workers serving this queue')
    .action(async (o: { queue?: string }, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const list = await api.device<WorkerView[]>('GET', `/worker${o.queue ? `?queue=${encodeURIComponent(o.queue)}` : ''}`);
      if (json) printJson(io, list);
      else io.out.write(list.length === 0 ? 'no workers\n' : table(list, WORKER_COLUMNS));
    });

  const serviceClient = (c: Command) =>
    client(c).addOption(new Option('--token <token>', 'long-task dialect token (Authorization); else AUTH_TOKEN, else the development token').env('SWITCHYARD_AUTH_TOKEN'));
  const tasks = program.command('tasks').description('long-running service tasks (the long-task dialect): list, get');

  serviceClient(tasks.command('list'))
    .description('list service tasks, newest first')
    .option('--service <name>', 'only tasks of this service')
    .addOption(new Option('--status <status>', 'only tasks in this status').choices(['ready', 'waiting', 'running', 'finished', 'failed']))
    .option('--limit <n>', 'page size', '20')
    .action(async (o: { service?: string; status?: string; limit: string }, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const size = Number(o.limit);
      if (!Number.isInteger(size) || size < 1 || size > 1000) throw new UsageError(`--limit must be 1-1000, got "${o.limit}"`);
      const r = await api.service<{ total: number; data: TaskRow[] }>('/api/tasks', { p_size: size, page: 1, ...(o.service ? { service: o.service } : {}), ...(o.status ? { status: o.status } : {}) });
      if (json) printJson(io, r.data);
      else {
        io.out.write(
          r.data.length === 0
            ? 'no tasks\n'
            : table(r.data, [
                { title: 'task id', value: (t) => t.task_id },
                { title: 'service', value: (t) => t.service },
                { title: 'status', value: (t) => t.status },
                { title: 'created', value: (t) => t.create_time },
                { title: 'condition', value: (t) => JSON.stringify(t.condition) },
              ]) + `${r.data.length} of ${r.total}\n`,
        );
      }
    });

  serviceClient(tasks.command('get'))
    .description('show one service task: its status, message, times and result')
    .argument('<task_id>', 'task id')
    .action(async (taskId: string, _o: unknown, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const st = await api.service<{ status: Record<string, unknown>[] }>('/api/status_task', { data: [{ task_id: taskId }] });
      const entry = st.status[0]!;
      if (entry.status === 'Invalid') throw new ApiError(`task ${taskId} not found`, 404);
      let result: unknown = null;
      if (entry.status === 'finished' || entry.status === 'failed') result = (await api.service<{ data: unknown }>('/api/result_task', { data: { task_id: taskId } })).data;
      if (json) printJson(io, { ...entry, result });
      else {
        const rows = [['task id', taskId], ['status', String(entry.status)], ['message', String(entry.message ?? '-')], ['started', String(entry.start_time ?? '-')], ['ended', String(entry.end_time ?? '-')]];
        io.out.write(rows.map(([k, v]) => `${k!.padEnd(8)} ${v}`).join('\n') + '\n');
        if (result !== null) io.out.write(`\nresult:\n${JSON.stringify(result, null, 2)}\n`);
      }
    });
}
