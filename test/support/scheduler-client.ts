import { expect } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/**
 * The scheduler dialect as its tests call it: requests as one of the users whose tokens are given, and task
 * creation that remembers what it made (so a test file can delete its schedules afterwards).
 */
export function schedulerClient(opts: { url: () => string; tokens: Record<string, string>; namePrefix: string; defaults?: Json }) {
  const created: { id: number; who: string }[] = [];
  let seq = 0;
  async function call(who: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${opts.url()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(who ? { authorization: `Bearer ${opts.tokens[who]}` } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }
  async function createTask(who: string, body: Json): Promise<Json> {
    const r = await call(who, 'POST', '/api/v1/scheduler/tasks', { name: `${opts.namePrefix}-${++seq}`, project_id: 1, ...opts.defaults, ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    created.push({ id: r.body.data.id as number, who });
    return r.body.data as Json;
  }
  return { call, createTask, created };
}
