import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { percentile } from '../lib/stats.js';

export interface ScheduleCreateBaseline {
  total: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/**
 * The bare engine's Schedule creation on this machine, now: `rate` creates a second for `seconds` from
 * `connections` callers (as the API bench's load generator sends them), each a paused CRON schedule that
 * starts nothing. Latency counts from when a create was due, as bench/lib/paced-load.ts counts it for the API's.
 * Every schedule is deleted afterwards.
 */
export async function runScheduleCreateBaseline(options: { address?: string; namespace?: string; rate: number; seconds: number; connections: number }): Promise<ScheduleCreateBaseline> {
  const connection = await Connection.connect({ address: options.address ?? '127.0.0.1:7233' });
  const client = new Client({ connection, namespace: options.namespace ?? 'default' });
  const prefix = `bench-baseline-create-${randomBytes(4).toString('hex')}`;
  const latencies: number[] = [];
  const ids: string[] = [];
  const total = options.rate * options.seconds;
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        for (;;) {
          const i = next++;
          if (i >= total) return;
          // Request i is due at i / rate seconds; a caller that is behind sends at once.
          const due = started + (i * 1000) / options.rate;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const scheduleId = `${prefix}-${i}`;
          await client.schedule.create({
            scheduleId,
            spec: { cronExpressions: ['0 3 * * *'], timezone: 'UTC' },
            action: { type: 'startWorkflow', workflowType: 'baselineWorkflow', workflowId: scheduleId, taskQueue: prefix, args: [0] },
            state: { paused: true },
          });
          latencies.push(performance.now() - due);
          ids.push(scheduleId);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { total: latencies.length, perSecond: latencies.length / seconds, p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) };
  } finally {
    for (let i = 0; i < ids.length; i += 20) await Promise.all(ids.slice(i, i + 20).map((id) => client.schedule.getHandle(id).delete().catch(() => undefined)));
    await connection.close();
  }
}
