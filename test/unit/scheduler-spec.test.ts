import { describe, expect, it } from 'vitest';
import {
  buildSpec,
  cronProblem,
  nextCronTime,
  nextIntervalTime,
  nextRunTime,
  parseSchedule,
  storedSchedule,
} from '../../src/scheduler/spec.js';
import { scheduledTimeOf } from '../../src/scheduler/contract.js';

const now = new Date('2024-01-01T00:00:00Z');

describe('cron validation', () => {
  it('accepts the document’s examples', () => {
    for (const e of ['0 0 * * *', '0 */2 * * *', '30 9 * * 1-5', '0 0 1 * *', '0 0 * * 0', '0 0 * * 7', '*/5 1,2,3 1-15/2 JAN-MAR MON']) expect(cronProblem(e), e).toBeNull();
  });

  it('names the field that is out of range, as the document does', () => {
    expect(cronProblem('0 25 * * *')).toContain("CRON表达式格式错误：'0 25 * * *' 小时部分超出范围");
    expect(cronProblem('0 25 * * *')).toContain('hour out of range');
    expect(cronProblem('60 * * * *')).toContain('分钟部分超出范围');
    expect(cronProblem('* * 0 * *')).toContain('日期部分超出范围');
    expect(cronProblem('* * * 13 *')).toContain('月份部分超出范围');
    expect(cronProblem('* * * * 8')).toContain('星期部分超出范围');
    expect(cronProblem('* 5-2 * * *')).toContain('小时部分超出范围');
  });

  it('rejects malformed expressions', () => {
    expect(cronProblem('')).toContain('需要5个字段');
    expect(cronProblem('0 0 2 * * *')).toContain('需要5个字段');
    expect(cronProblem('a * * * *')).toContain('分钟部分无效');
    expect(cronProblem('1-2-3 * * * *')).toContain('分钟部分无效');
  });

  it('computes the next time in UTC', () => {
    expect(nextCronTime('0 2 * * *', now)!.toISOString()).toBe('2024-01-01T02:00:00.000Z');
    expect(nextCronTime('0 */2 * * *', new Date('2024-01-01T01:30:00Z'))!.toISOString()).toBe('2024-01-01T02:00:00.000Z');
  });
});

describe('schedule_config per schedule_type', () => {
  it('INTERVAL: integer seconds, at least 60', () => {
    expect(parseSchedule('INTERVAL', '3600', now)).toEqual({ ok: true, schedule: { type: 'INTERVAL', seconds: 3600 } });
    expect(parseSchedule('INTERVAL', '59', now).ok).toBe(false);
    expect(parseSchedule('INTERVAL', '60.5', now).ok).toBe(false);
    expect(parseSchedule('INTERVAL', 'hourly', now).ok).toBe(false);
  });

  it('DATE: ISO 8601 with a zone, in the future', () => {
    const ok = parseSchedule('DATE', '2024-01-01T15:30:00+08:00', now);
    expect(ok).toEqual({ ok: true, schedule: { type: 'DATE', at: new Date('2024-01-01T07:30:00Z') } });
    expect(parseSchedule('DATE', '2024-01-01T15:30:00', now).ok).toBe(false);
    expect(parseSchedule('DATE', '2023-12-31T23:59:59Z', now).ok).toBe(false);
    expect(parseSchedule('DATE', '2024-13-01T00:00:00Z', now).ok).toBe(false);
  });

  it('ONCE needs no config; CRON is normalised', () => {
    expect(parseSchedule('ONCE', undefined, now)).toEqual({ ok: true, schedule: { type: 'ONCE' } });
    expect(parseSchedule('CRON', ' 0  2 * * * ', now)).toEqual({ ok: true, schedule: { type: 'CRON', expression: '0 2 * * *' } });
  });
});

describe('Temporal specs', () => {
  it('CRON → cronExpressions in UTC', () => {
    expect(buildSpec({ type: 'CRON', expression: '0 2 * * *' }, now)).toMatchObject({ spec: { cronExpressions: ['0 2 * * *'], timezone: 'UTC' }, limitedActions: false });
  });

  it('INTERVAL → an interval offset to the anchor, so it counts from creation, not from the epoch', () => {
    const anchor = new Date('2024-01-01T00:00:07.400Z');
    const plan = buildSpec({ type: 'INTERVAL', seconds: 3600 }, anchor);
    expect(plan.spec.intervals).toEqual([{ every: '3600s', offset: `${Math.ceil(anchor.getTime() / 1000) % 3600}s` }]);
    expect(plan.spec.intervals![0]!.offset).toBe('8s');
    expect(plan.spec.startAt!.toISOString()).toBe('2024-01-01T00:00:09.000Z');
    expect(nextIntervalTime(3600, anchor, anchor).toISOString()).toBe('2024-01-01T01:00:08.000Z');
    expect(nextIntervalTime(3600, anchor, new Date('2024-01-01T05:30:00Z')).toISOString()).toBe('2024-01-01T06:00:08.000Z');
    expect(nextIntervalTime(60, anchor, new Date('2024-01-01T00:01:08Z')).toISOString()).toBe('2024-01-01T00:02:08.000Z');
  });

  it('DATE → one calendar instant with one remaining action', () => {
    const plan = buildSpec({ type: 'DATE', at: new Date('2024-03-04T05:06:07.250Z') }, now);
    expect(plan).toMatchObject({ limitedActions: true, remainingActions: 1, triggerImmediately: false });
    expect(plan.spec.calendars![0]).toMatchObject({ year: 2024, month: 'MARCH', dayOfMonth: 4, hour: 5, minute: 6, second: 8 });
  });

  it('ONCE → no spec, triggered at creation', () => {
    expect(buildSpec({ type: 'ONCE' }, now)).toMatchObject({ spec: {}, triggerImmediately: true });
  });

  it('computes next runs locally for list pages', () => {
    expect(nextRunTime({ type: 'ONCE' }, now, now)).toBeNull();
    const at = new Date('2024-01-02T00:00:00Z');
    expect(nextRunTime({ type: 'DATE', at }, now, now)).toEqual(at);
    expect(nextRunTime({ type: 'DATE', at }, at, new Date(at.getTime() + 1))).toBeNull();
    expect(nextRunTime(storedSchedule('CRON', '0 2 * * *'), now, now)!.toISOString()).toBe('2024-01-01T02:00:00.000Z');
    expect(storedSchedule('DATE', '2020-01-01T00:00:00Z')).toEqual({ type: 'DATE', at: new Date('2020-01-01T00:00:00Z') });
  });

  it('reads the scheduled time back from a scheduled run’s workflow id', () => {
    expect(scheduledTimeOf('exec-switchyard-4-2024-01-01T02:00:00Z')).toBe('2024-01-01T02:00:00Z');
    expect(scheduledTimeOf('exec-switchyard-4-2024-01-01T02:00:00.123Z')).toBe('2024-01-01T02:00:00.123Z');
    expect(scheduledTimeOf('exec-4')).toBeNull();
  });
});
