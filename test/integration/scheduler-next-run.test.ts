import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSchedulerToken } from '../../src/api/scheduler/auth.js';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { scheduleIdFor } from '../../src/scheduler/contract.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { testEnv } from '../support/env.js';
import { schedulerClient, type Json } from '../support/scheduler-client.js';

// `next_run_time` is computed from the task's stored spec (lists and detail alike), not asked of Temporal: this
// file checks that it is the time the task's Temporal Schedule itself plans, for every schedule type. No worker
// runs: none of these schedules fires while the file runs.
const env = testEnv('schednext', { scheduler: { projects: [{ id: 1, name: 'p', entry_command: 'true' }], commandUsers: ['alice'] } });
const { config } = env;
const P = '/api/v1/scheduler';
let api: ApiRuntime;
let temporal: TemporalClientHandle;
const tokens: Record<string, string> = {};
const { call, createTask, created } = schedulerClient({ url: () => api.url, tokens, namePrefix: `next-${env.suffix}` });

beforeAll(async () => {
  tokens.alice = await mintSchedulerToken(config.auth.schedulerJwtSecret, 'alice', 'user');
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
  temporal = await connectTemporalClient(config);
}, 120_000);

afterAll(async () => {
  for (const t of created) await call(t.who, 'DELETE', `${P}/tasks/${t.id}`).catch(() => undefined);
  await temporal?.close();
  await api?.shutdown();
  await env.cleanup();
}, 120_000);

/** What Temporal plans next for the task's schedule, in the dialect's form (none while paused). */
async function planned(id: number): Promise<string | null> {
  const d = await temporal.client.schedule.getHandle(scheduleIdFor(config.mongo.db, id)).describe();
  const next = d.state.paused ? undefined : d.info.nextActionTimes[0];
  return next ? next.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

const inAnHour = () => new Date(Math.ceil((Date.now() + 3600_000) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('scheduler next_run_time', () => {
  const cases: [string, Json][] = [
    ['CRON', { schedule_type: 'CRON', schedule_config: '17 3 * * 1-5' }],
    ['CRON with a step and a list', { schedule_type: 'CRON', schedule_config: '*/7 1,13 * * *' }],
    ['INTERVAL (counted from creation)', { schedule_type: 'INTERVAL', schedule_config: '97' }],
    ['DATE', { schedule_type: 'DATE', schedule_config: inAnHour() }],
    ['a paused CRON', { schedule_type: 'CRON', schedule_config: '0 * * * *', is_active: false }],
  ];
  for (const [what, body] of cases) {
    it(`is the time Temporal plans: ${what}`, async () => {
      const t = await createTask('alice', { ...body, action: { type: 'command', command: 'true' } });
      const detail = (await call('alice', 'GET', `${P}/tasks/${t.id}`)).body.data as Json;
      const row = ((await call('alice', 'GET', `${P}/tasks?size=100`)).body.items as Json[]).find((i) => i.id === t.id)!;
      const want = await planned(t.id as number);
      expect(detail.next_run_time).toBe(want);
      expect(row.next_run_time).toBe(want);
      expect(t.next_run_time).toBe(want);
      if (body.is_active === false) expect(want).toBeNull();
      else expect(want).not.toBeNull();
    });
  }

  it('follows an update of the schedule', async () => {
    const t = await createTask('alice', { schedule_type: 'CRON', schedule_config: '5 4 * * *', action: { type: 'command', command: 'true' } });
    const u = (await call('alice', 'PUT', `${P}/tasks/${t.id}`, { schedule_type: 'INTERVAL', schedule_config: '3600' })).body.data as Json;
    expect(u.next_run_time).toBe(await planned(t.id as number));
  });
});
