import { expect } from 'vitest';
import { eventually } from './env.js';

/** A job as GET /job shows it; a test's own job type adds the fields it reads. */
export interface DeviceJobView {
  id: string;
  status: string;
}

const ENDED = ['finished', 'failed', 'cancelled'];

export interface DeviceClientOptions {
  /** Read at each call, so the client can be made before the API is up. */
  url: () => string;
  apiKey: string;
  /** How long `settled` waits for a job to end (90 s), and how often it looks (200 ms). */
  settleTimeoutMs?: number;
  pollMs?: number;
}

/**
 * The device dialect as its tests call it, with the device API key: submit a job (expecting 200), read a job,
 * wait for a job to end. Every function takes only the id or body, so it can be passed to `map` as it is.
 */
export function deviceClient<Job extends DeviceJobView>(opts: DeviceClientOptions) {
  const headers = { 'X-API-KEY': opts.apiKey, 'content-type': 'application/json' };

  /** POSTs to a device path (`/device/exec`, `/device/bulk`, …) and returns the envelope's data. */
  async function post<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${opts.url()}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const j = (await res.json()) as { data: T };
    expect(res.status, JSON.stringify(j)).toBe(200);
    return j.data;
  }

  /** Submits one exec job and returns its id. */
  async function submit(body: Record<string, unknown>): Promise<string> {
    return (await post<{ id: string }>('/device/exec', body)).id;
  }

  /** The job, or undefined while GET /job does not list it yet. */
  async function job(id: string): Promise<Job | undefined> {
    const res = await fetch(`${opts.url()}/job?id=${id}`, { headers });
    return ((await res.json()) as { data: Job[] }).data[0];
  }

  /** The job once it has finished, failed or been cancelled. */
  function settled(id: string): Promise<Job> {
    return eventually(
      async () => {
        const j = await job(id);
        return j && ENDED.includes(j.status) ? j : null;
      },
      `job ${id} to end`,
      opts.settleTimeoutMs ?? 90_000,
      opts.pollMs ?? 200,
    );
  }

  return { post, submit, job, settled };
}
