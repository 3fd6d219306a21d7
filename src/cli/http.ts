/**
 * The CLI's HTTP client for a running Switchyard API: the device dialect (X-API-KEY) and the long-task dialect
 * (Authorization). Answers are unwrapped from each dialect's envelope; a refusal becomes an ApiError with the
 * API's own message, and an API that cannot be reached becomes one with a hint.
 */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiTarget {
  url: string;
  /** X-API-KEY of the device dialect. */
  deviceKey: string;
  /** Authorization token of the long-task dialect. */
  serviceToken: string;
  /** X-API-Key of the GPU dialect. */
  gpuKey?: string;
}

type Json = Record<string, unknown>;

export interface JobView {
  id: string;
  status: string;
  queue: string;
  kind: string;
  host: string | null;
  worker: string | null;
  created_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration: number | null;
  queue_time: number | null;
  waiting_reason?: string | null;
  result: { type: 'success' | 'failure'; retval: unknown; error: { type: string; message: string } | null } | null;
}

export interface WorkerView {
  name: string;
  status: string;
  pid: number;
  hostname: string;
  queues: string[];
  last_heartbeat: string | null;
  successful_job_count: number;
  failed_job_count: number;
}

export const JOB_END_WORDS = new Set(['finished', 'failed', 'cancelled']);

export class ApiClient {
  constructor(readonly target: ApiTarget) {}

  private async request(method: string, path: string, init: { headers: Record<string, string>; body?: unknown }): Promise<{ status: number; body: Json }> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.target.url), {
        method,
        headers: { ...init.headers, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      // undici puts the socket's error in `cause` (an AggregateError when several addresses were tried).
      const c = (e as { cause?: { code?: string; errors?: { code?: string }[]; message?: string } }).cause;
      const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (e as Error).message;
      throw new ApiError(`cannot reach the API at ${this.target.url} (${cause}): is it running? (--api or SWITCHYARD_API_URL)`, null);
    }
    const text = await res.text();
    let body: Json;
    try {
      body = JSON.parse(text) as Json;
    } catch {
      throw new ApiError(`${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, res.status);
    }
    return { status: res.status, body };
  }

  /** A device-dialect call: `{code, message, data}`; anything but 2xx is an ApiError with the message. */
  async device<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(method, path, { headers: { 'X-API-KEY': this.target.deviceKey }, body });
    if (r.status < 200 || r.status >= 300) {
      const hint = r.status === 401 ? ' (set the key with --key or SWITCHYARD_API_KEY)' : '';
      throw new ApiError(`${String(r.body.message ?? `HTTP ${r.status}`)}${hint}`, r.status);
    }
    return r.body.data as T;
  }

  /** A long-task-dialect call (always POST): `{result: ok|exception, …}`. */
  async service<T extends Json>(path: string, body: unknown): Promise<T> {
    const r = await this.request('POST', path, { headers: { Authorization: this.target.serviceToken }, body });
    if (r.status < 200 || r.status >= 300 || r.body.result !== 'ok') {
      const hint = r.status === 401 ? ' (set the token with --token or SWITCHYARD_AUTH_TOKEN)' : '';
      throw new ApiError(`${String(r.body.message ?? `HTTP ${r.status}`)}${hint}`, r.status);
    }
    return r.body as T;
  }

  /** A GPU-dialect GET (X-API-Key): `{code, message, data}`; anything but 2xx is an ApiError with the message. */
  async gpu<T>(path: string): Promise<T> {
    const r = await this.request('GET', path, { headers: { 'X-API-Key': this.target.gpuKey ?? '' } });
    if (r.status < 200 || r.status >= 300) {
      const hint = r.status === 401 ? ' (set the key with --gpu-key or SWITCHYARD_GPU_API_KEY)' : '';
      throw new ApiError(`${String(r.body.message ?? `HTTP ${r.status}`)}${hint}`, r.status);
    }
    return r.body.data as T;
  }

  /** A scheduler-dialect GET (`Authorization: Bearer <JWT>`): a page is the body itself, one task `{success, data}`. */
  async scheduler<T extends Json>(path: string, jwt: string): Promise<T> {
    const r = await this.request('GET', path, { headers: { Authorization: `Bearer ${jwt}` } });
    if (r.status < 200 || r.status >= 300) {
      const hint = r.status === 401 ? ' (give a token with --jwt or SWITCHYARD_SCHEDULER_TOKEN, or the secret in SCHEDULER_JWT_SECRET)' : '';
      throw new ApiError(`${String(r.body.message ?? `HTTP ${r.status}`)}${hint}`, r.status);
    }
    return r.body as T;
  }

  async job(id: string): Promise<JobView> {
    const jobs = await this.device<JobView[]>('GET', `/job?id=${encodeURIComponent(id)}`);
    const job = jobs[0];
    if (!job) throw new ApiError(`job ${id} not found`, 404);
    return job;
  }
}
