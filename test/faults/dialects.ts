/**
 * How the fault suite submits and follows each kind of job, through each dialect's own HTTP API exactly as a
 * client written against its document would: device jobs (fifo and pinned), scheduler ONCE runs, GPU tasks and
 * service tasks (Temporal-dispatched `echo` and a Kafka-dispatched module service). Kafka ingest messages are
 * produced with kcat, an independent client.
 */
import type { Config } from '../../src/config/index.js';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { kcatProduceAsync } from '../support/kcat.js';
import { HttpClient, NoAnswerError } from './http.js';

export const JOB_KINDS = ['device-fifo', 'device-pinned', 'device-config', 'scheduler', 'gpu', 'service-echo', 'service-kafka', 'ingest'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** One submission as the client saw it. */
export interface Submission {
  kind: JobKind;
  /** The id the service answered (or the client chose, for ingest). */
  id: string | null;
  /** A success answer (or, for ingest, a message the broker acknowledged). */
  accepted: boolean;
  at: number;
  status?: number;
  error?: string;
  /** Which API answered. */
  api?: string;
  /** The line a fifo job appends on the SSH target when it runs: counts its executions. */
  marker?: string;
  /** Terminal states this job may end in and still count as handled (e.g. `WorkerLost` for a config push). */
  allowed?: string[];
}

/** A job's state as its own dialect shows it. */
export interface DialectView {
  id: string;
  /** The dialect's status word; null: the dialect does not know the id. */
  status: string | null;
  terminal: boolean;
  /** Error type (device) or message, when the job failed. */
  error?: string | null;
  /** Scheduler tasks: executions seen. */
  runs?: number;
  worker?: string | null;
}

const DEVICE_TERMINAL = new Set(['finished', 'failed', 'cancelled']);
const SCHEDULER_TERMINAL = new Set(['SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED']);
const GPU_TERMINAL = new Set(['COMPLETED', 'FAILED', 'TIMEOUT']);
const SERVICE_TERMINAL = new Set(['finished', 'failed']);

/** The words each dialect uses for a job that ended well. */
export const SUCCESS_WORDS = new Set(['finished', 'SUCCESS', 'COMPLETED']);

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password: string;
}

export interface DeviceTarget extends SshTarget {
  secret: string;
}

export interface DialectTargets {
  /** OpenSSH for fifo jobs (`paramiko` driver). */
  sshd: SshTarget;
  /**
   * Where fifo jobs (on the SSH target) and scheduled commands (on the worker) append their markers: both are
   * this machine, so the file says how many times each command really ran.
   */
  runsFile: string;
  /** Network-device emulators for pinned jobs (`netmiko`), one lane each. */
  devices: DeviceTarget[];
  gpuTaskType: number;
  kafkaService: string;
  ingestTopic: string;
  brokers: string;
}

export class DialectClients {
  readonly http = new HttpClient();
  private schedulerToken: string | null = null;
  private seq = 0;
  private apiTurn = 0;

  constructor(
    private readonly config: Config,
    private readonly apis: () => string[],
    private readonly targets: DialectTargets,
    private readonly tag: string,
  ) {}

  private nextApi(): string {
    const all = this.apis();
    this.apiTurn = (this.apiTurn + 1) % all.length;
    return all[this.apiTurn]!;
  }

  private async token(): Promise<string> {
    this.schedulerToken ??= await mintSchedulerToken(this.config.auth.schedulerJwtSecret, `faults-${this.tag}`, 'admin', '24h');
    return this.schedulerToken;
  }

  private async headers(kind: 'device' | 'scheduler' | 'gpu' | 'service'): Promise<Record<string, string>> {
    const a = this.config.auth;
    switch (kind) {
      case 'device':
        return { 'X-API-KEY': a.deviceApiKey };
      case 'scheduler':
        return { authorization: `Bearer ${await this.token()}` };
      case 'gpu':
        return { authorization: `Bearer ${a.gpuApiKey}` };
      case 'service':
        return { authorization: a.serviceAuthToken };
    }
  }

  private async post(kind: JobKind, dialect: 'device' | 'scheduler' | 'gpu' | 'service', path: string, body: unknown, pick: (json: unknown) => string | undefined, extra: Partial<Submission> = {}): Promise<Submission> {
    const api = this.nextApi();
    const at = Date.now();
    try {
      const r = await this.http.call('POST', `${api}${path}`, await this.headers(dialect), body);
      const id = r.status === 200 ? (pick(r.json) ?? null) : null;
      return { kind, id, accepted: r.status === 200 && !!id, at, status: r.status, api, ...extra, ...(r.status === 200 ? {} : { error: JSON.stringify(r.json).slice(0, 200) }) };
    } catch (e) {
      if (e instanceof NoAnswerError) return { kind, id: null, accepted: false, at, error: e.reason, api, ...extra };
      throw e;
    }
  }

  /** Submits one job of `kind`. Never throws for an unanswered or refused request: that is a result. */
  async submit(kind: JobKind, opts: { sleepSeconds?: number; priority?: number; ingestId?: string } = {}): Promise<Submission> {
    const n = ++this.seq;
    const t = this.targets;
    switch (kind) {
      case 'device-fifo': {
        const marker = `f-${this.tag}-${n}`;
        const sleep = opts.sleepSeconds ?? 0;
        const command = `${sleep > 0 ? `sleep ${sleep}; ` : ''}echo ${marker} >> ${t.runsFile}; echo ${marker}`;
        const body = { driver: 'paramiko', queue_strategy: 'fifo', connection_args: { host: t.sshd.host, port: t.sshd.port, username: t.sshd.username, password: t.sshd.password }, command, ttl: 3600 };
        return this.post(kind, 'device', '/device/exec', body, (j) => (j as { data?: { id?: string } }).data?.id, { marker });
      }
      case 'device-pinned':
      case 'device-config': {
        const dev = t.devices[n % t.devices.length]!;
        const conn = { host: dev.host, port: dev.port, username: dev.username, password: dev.password, secret: dev.secret, device_type: 'cisco_ios' };
        const body =
          kind === 'device-pinned'
            ? { driver: 'netmiko', connection_args: conn, command: 'show clock', ttl: 3600 }
            : { driver: 'netmiko', connection_args: conn, config: [`interface Loopback${100 + (n % 50)}`, `description faults ${n}`], ttl: 3600 };
        return this.post(kind, 'device', '/device/exec', body, (j) => (j as { data?: { id?: string } }).data?.id, kind === 'device-config' ? { allowed: ['WorkerLost'] } : {});
      }
      case 'scheduler': {
        const sleep = opts.sleepSeconds ?? 0;
        const marker = `s-${this.tag}-${n}`;
        const body = {
          name: `faults-${this.tag}-${n}`,
          project_id: 1,
          schedule_type: 'ONCE',
          timeout_seconds: 600,
          action: { type: 'command', command: `${sleep > 0 ? `sleep ${sleep}; ` : ''}echo ${marker} >> ${t.runsFile}; echo run ${n}` },
        };
        return this.post(
          kind,
          'scheduler',
          '/api/v1/scheduler/tasks',
          body,
          (j) => {
            const id = (j as { data?: { id?: number } }).data?.id;
            return id === undefined ? undefined : String(id);
          },
          { marker },
        );
      }
      case 'gpu': {
        const body = { taskType: t.gpuTaskType, priority: opts.priority ?? n % 3, payload: JSON.stringify({ n }), userId: `faults-${this.tag}`, timeout: 3_600_000 };
        return this.post(kind, 'gpu', '/api/v2/tasks', body, (j) => (j as { data?: { taskId?: string } }).data?.taskId);
      }
      case 'service-echo':
      case 'service-kafka': {
        const service = kind === 'service-echo' ? 'echo' : t.kafkaService;
        return this.post(kind, 'service', '/api/create_task', { data: { service, condition: { n, tag: this.tag } } }, (j) => (j as { task_id?: string }).task_id);
      }
      case 'ingest': {
        // The client names the task: a retry with the same id must start nothing new.
        const id = opts.ingestId ?? `ts_echo_ingest-${this.tag}-${n}`;
        const at = Date.now();
        // A producer keeps trying while the broker is away (as a client library would, for up to 2 minutes).
        let error = '';
        while (Date.now() - at < 120_000) {
          try {
            await kcatProduceAsync(t.brokers, t.ingestTopic, [{ key: id, value: JSON.stringify({ Task: { task_id: id, service: 'echo', condition: { n } } }) }]);
            return { kind, id, accepted: true, at };
          } catch (e) {
            error = (e as Error).message.slice(0, 200);
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
        return { kind, id, accepted: false, at, error };
      }
    }
  }

  /** A scheduled task that runs `echo` on a CRON schedule (for the Temporal restart: schedules must carry on). */
  async submitCron(expression: string): Promise<Submission> {
    const body = { name: `faults-cron-${this.tag}-${++this.seq}`, project_id: 1, schedule_type: 'CRON', schedule_config: expression, timeout_seconds: 60, action: { type: 'command', command: 'echo tick' } };
    return this.post('scheduler', 'scheduler', '/api/v1/scheduler/tasks', body, (j) => {
      const id = (j as { data?: { id?: number } }).data?.id;
      return id === undefined ? undefined : String(id);
    });
  }

  /** A scheduled task's executions, newest first. */
  async executions(taskId: string): Promise<Array<{ id: string; status: string; createdAt: number }>> {
    const r = await this.http.call('GET', `${this.apis()[0]!}/api/v1/scheduler/tasks/${taskId}/executions?size=100`, await this.headers('scheduler'));
    if (r.status !== 200) return [];
    return (r.json as { items: Array<{ execution_id: string; status: string; created_at: string }> }).items.map((e) => ({ id: e.execution_id, status: e.status, createdAt: Date.parse(e.created_at) }));
  }

  async pauseTask(taskId: string): Promise<void> {
    await this.http.call('POST', `${this.apis()[0]!}/api/v1/scheduler/tasks/${taskId}/pause`, await this.headers('scheduler'));
  }

  /** `/api/v2/cluster/status` as one API answers it. */
  async clusterStatus(api: string): Promise<{ leader: string | null; instances: Array<{ instance_id: string; role: string }> }> {
    const r = await this.http.call('GET', `${api}/api/v2/cluster/status`, await this.headers('gpu'));
    const data = (r.json as { data?: { leader_instance: string | null; instances: Array<{ instance_id: string; role: string }> } }).data;
    return { leader: data?.leader_instance ?? null, instances: data?.instances ?? [] };
  }

  /**
   * A pinned job on device `index`: `command`, or (null) a config push that takes seconds on the device and is
   * not safe to repeat, so a lost worker must end it `WorkerLost`.
   */
  async submitPinned(index: number, command: string | null): Promise<Submission> {
    const dev = this.targets.devices[index]!;
    const conn = { host: dev.host, port: dev.port, username: dev.username, password: dev.password, secret: dev.secret, device_type: 'cisco_ios' };
    const n = ++this.seq;
    if (command !== null) return this.post('device-pinned', 'device', '/device/exec', { driver: 'netmiko', connection_args: conn, command, ttl: 3600 }, (j) => (j as { data?: { id?: string } }).data?.id);
    const body = { driver: 'netmiko', connection_args: conn, config: [`interface Loopback${200 + (n % 50)}`, 'description slow-line'], ttl: 3600 };
    return this.post('device-config', 'device', '/device/exec', body, (j) => (j as { data?: { id?: string } }).data?.id, { allowed: ['WorkerLost'] });
  }

  /**
   * A pinned job on device `index` that kills whichever worker runs it (its command carries `marker`, see
   * test/support/poison-hook.mjs): it may only end `WorkerLost`.
   */
  async submitPoison(index: number, marker: string): Promise<Submission> {
    const dev = this.targets.devices[index]!;
    const conn = { host: dev.host, port: dev.port, username: dev.username, password: dev.password, secret: dev.secret, device_type: 'cisco_ios' };
    return this.post('device-pinned', 'device', '/device/exec', { driver: 'netmiko', connection_args: conn, command: `show ${marker}`, ttl: 3600 }, (j) => (j as { data?: { id?: string } }).data?.id, {
      allowed: ['WorkerLost'],
    });
  }

  /** The state of jobs of one kind as their dialect shows them. Ids it could not ask about are left out. */
  async view(kind: JobKind, ids: string[]): Promise<DialectView[]> {
    const out: DialectView[] = [];
    const api = this.apis()[0]!;
    const get = async (dialect: 'device' | 'scheduler' | 'gpu', path: string) => this.http.call('GET', `${api}${path}`, await this.headers(dialect), undefined, 30_000);
    try {
      if (kind === 'device-fifo' || kind === 'device-pinned' || kind === 'device-config') {
        for (const id of ids) {
          const r = await get('device', `/job?id=${encodeURIComponent(id)}`);
          if (r.status === 404) out.push({ id, status: null, terminal: false });
          if (r.status !== 200) continue;
          const job = (r.json as { data: Array<{ status: string; worker: string | null; result: { error: { type: string } | null } | null }> }).data[0];
          if (!job) continue;
          out.push({ id, status: job.status, terminal: DEVICE_TERMINAL.has(job.status), error: job.result?.error?.type ?? null, worker: job.worker });
        }
      } else if (kind === 'scheduler') {
        for (const id of ids) {
          const r = await get('scheduler', `/api/v1/scheduler/tasks/${id}/executions?size=100`);
          if (r.status === 404) out.push({ id, status: null, terminal: false, runs: 0 });
          if (r.status !== 200) continue;
          const items = (r.json as { items: Array<{ status: string; error_message: string | null }> }).items;
          const last = items[0];
          out.push({ id, status: last?.status ?? null, terminal: items.length > 0 && items.every((e) => SCHEDULER_TERMINAL.has(e.status)), error: last?.error_message ?? null, runs: items.length });
        }
      } else if (kind === 'gpu') {
        for (const id of ids) {
          const r = await get('gpu', `/api/v2/tasks/${id}`);
          if (r.status === 404) out.push({ id, status: null, terminal: false });
          if (r.status !== 200) continue;
          const task = (r.json as { data: { status: string; errorMessage: string | null; gpuId: string | null } }).data;
          out.push({ id, status: task.status, terminal: GPU_TERMINAL.has(task.status), error: task.errorMessage, worker: task.gpuId });
        }
      } else {
        const max = this.config.services.maxStatusTask;
        for (let i = 0; i < ids.length; i += max) {
          const part = ids.slice(i, i + max);
          const r = await this.http.call('POST', `${api}/api/status_task`, await this.headers('service'), { data: part.map((task_id) => ({ task_id })) }, 30_000);
          if (r.status !== 200) continue;
          for (const s of (r.json as { status: Array<{ task_id: string; status: string; message: string | null }> }).status) {
            out.push({ id: s.task_id, status: s.status === 'Invalid' ? null : s.status, terminal: SERVICE_TERMINAL.has(s.status), error: s.status === 'failed' ? s.message : null });
          }
        }
      }
    } catch (e) {
      if (!(e instanceof NoAnswerError)) throw e;
    }
    return out;
  }

  /** A read in each dialect's own envelope, for the outage checks: what status and body come back. */
  async readEachDialect(ids: Partial<Record<'device' | 'scheduler' | 'gpu' | 'service', string>>): Promise<Array<{ dialect: string; status: number | null; body: unknown; ms: number }>> {
    const api = this.apis()[0]!;
    const probes: Array<{ dialect: 'device' | 'scheduler' | 'gpu' | 'service'; method: string; path: string; body?: unknown }> = [
      { dialect: 'device', method: 'GET', path: `/job?id=${ids.device ?? 'job_none'}` },
      { dialect: 'device', method: 'GET', path: '/job?limit=5' },
      { dialect: 'scheduler', method: 'GET', path: `/api/v1/scheduler/tasks/${ids.scheduler ?? '1'}` },
      { dialect: 'scheduler', method: 'GET', path: '/api/v1/scheduler/tasks' },
      { dialect: 'gpu', method: 'GET', path: `/api/v2/tasks/${ids.gpu ?? 'task_none'}` },
      { dialect: 'gpu', method: 'GET', path: '/api/v2/tasks' },
      { dialect: 'service', method: 'POST', path: '/api/status_task', body: { data: [{ task_id: ids.service ?? 'ts_none' }] } },
      { dialect: 'service', method: 'POST', path: '/api/tasks', body: {} },
    ];
    const headers = { device: await this.headers('device'), scheduler: await this.headers('scheduler'), gpu: await this.headers('gpu'), service: await this.headers('service') };
    const out = await Promise.all(
      probes.map(async (p) => {
        const started = Date.now();
        const what = `${p.dialect} ${p.method} ${p.path.split('?')[0]}`;
        try {
          const r = await this.http.call(p.method, `${api}${p.path}`, headers[p.dialect], p.body, 60_000);
          return { dialect: what, status: r.status as number | null, body: r.json, ms: r.ms };
        } catch (e) {
          if (!(e instanceof NoAnswerError)) throw e;
          return { dialect: what, status: null, body: e.reason as unknown, ms: Date.now() - started };
        }
      }),
    );
    return out;
  }
}

/** Whether a 5xx body is the dialect's own envelope (what a client of that document can parse). */
export function isDialectEnvelope(dialect: string, body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  if (dialect.startsWith('service')) return b.result === 'exception' && typeof b.message === 'string' && Object.keys(b).length === 2;
  if (dialect.startsWith('scheduler')) return b.success === false && typeof b.code === 'number' && typeof b.message === 'string' && Array.isArray(b.errors);
  return typeof b.code === 'number' && typeof b.message === 'string' && 'data' in b;
}
