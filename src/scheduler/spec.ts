import { Cron } from 'croner';

/** Pure schedule logic of the scheduler dialect: validation of `schedule_config` and the Temporal spec it becomes. */

export const SCHEDULE_TYPES = ['ONCE', 'CRON', 'INTERVAL', 'DATE'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

export const MIN_INTERVAL_SECONDS = 60;
/**
 * The longest INTERVAL: 366 days. Longer periods are calendar rules (CRON or DATE); far longer ones went to
 * Temporal as durations it could not place (99999999999 s gave no next run, 3.5e16 s failed the request).
 */
export const MAX_INTERVAL_SECONDS = 366 * 86_400;
/** The last year a DATE may name (UTC): Temporal's calendar specs take years 2000-2100 only (a later one answered 500). */
export const MAX_DATE_YEAR = 2100;

const CRON_FIELDS = [
  { name: '分钟', en: 'minute', min: 0, max: 59, names: null },
  { name: '小时', en: 'hour', min: 0, max: 23, names: null },
  { name: '日期', en: 'day of month', min: 1, max: 31, names: null },
  { name: '月份', en: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: '星期', en: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

type CronField = (typeof CRON_FIELDS)[number];

function fieldValue(text: string, field: CronField): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  if (field.names) {
    const i = (field.names as readonly string[]).indexOf(text.toUpperCase());
    if (i >= 0) return field.min === 1 ? i + 1 : i;
  }
  return null;
}

/** 'syntax' when an item is malformed, 'range' when a number lies outside the field, null when the field is fine. */
function checkField(text: string, field: CronField): 'syntax' | 'range' | null {
  for (const item of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m) return 'syntax';
    const [, base, step] = m;
    if (step !== undefined && Number(step) < 1) return 'range';
    if (base === '*') continue;
    const parts = base!.split('-');
    if (parts.length > 2) return 'syntax';
    const values = parts.map((p) => fieldValue(p, field));
    if (values.some((v) => v === null)) return 'syntax';
    if ((values as number[]).some((v) => v < field.min || v > field.max)) return 'range';
    if (values.length === 2 && values[0]! > values[1]!) return 'range';
  }
  return null;
}

/**
 * Checks a standard 5-field CRON expression (minute hour day-of-month month day-of-week, UTC). Returns the
 * document-style message (`CRON表达式格式错误：'0 25 * * *' 小时部分超出范围`) or null when it is valid.
 */
export function cronProblem(expr: string): string | null {
  const trimmed = expr.trim();
  const fields = trimmed.split(/\s+/);
  if (trimmed === '' || fields.length !== 5) return `CRON表达式格式错误：'${expr}' 需要5个字段（分 时 日 月 周），实际 ${trimmed === '' ? 0 : fields.length} 个`;
  for (let i = 0; i < 5; i++) {
    const problem = checkField(fields[i]!, CRON_FIELDS[i]!);
    if (problem === 'range') return `CRON表达式格式错误：'${expr}' ${CRON_FIELDS[i]!.name}部分超出范围 (${CRON_FIELDS[i]!.en} out of range ${CRON_FIELDS[i]!.min}-${CRON_FIELDS[i]!.max})`;
    if (problem === 'syntax') return `CRON表达式格式错误：'${expr}' ${CRON_FIELDS[i]!.name}部分无效 (${CRON_FIELDS[i]!.en} is not valid)`;
  }
  try {
    parsedCron(trimmed);
  } catch (e) {
    return `CRON表达式格式错误：'${expr}' ${(e as Error).message}`;
  }
  return null;
}

/**
 * Parsed expressions and the last next time each answered, kept (least recently used out first): the check of a
 * new task's expression parses it once, and a task list computes the next run of every row. The next fire time
 * after `from` is the same for every `from` between the last asked and the time it gave, so most rows need no walk
 * through the calendar.
 */
const parsedCrons = new Map<string, { cron: Cron; from: number; next: Date | null }>();
const PARSED_CRONS_MAX = 1000;

/** An expression's parsed form, from the cache or parsed now (croner throws on an expression it refuses). */
function parsedCron(expr: string): { cron: Cron; from: number; next: Date | null } {
  const key = expr.trim().split(/\s+/).join(' ');
  let entry = parsedCrons.get(key);
  if (entry) parsedCrons.delete(key);
  else entry = { cron: new Cron(key, { paused: true, timezone: 'UTC' }), from: Number.POSITIVE_INFINITY, next: null };
  parsedCrons.set(key, entry);
  if (parsedCrons.size > PARSED_CRONS_MAX) parsedCrons.delete(parsedCrons.keys().next().value!);
  return entry;
}

/** The next time a CRON expression fires after `from` (UTC), or null when it never does. */
export function nextCronTime(expr: string, from: Date): Date | null {
  const entry = parsedCron(expr);
  const t = from.getTime();
  if (!(t >= entry.from && entry.next && t < entry.next.getTime())) {
    entry.from = t;
    entry.next = entry.cron.nextRun(from);
  }
  return entry.next ? new Date(entry.next) : null;
}

/** A stored schedule checked once per (type, config): rows of a list share the few configs they use. */
const storedSchedules = new Map<string, ParsedSchedule>();

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A checked `schedule_config`: what the Temporal spec is built from. */
export type ParsedSchedule =
  | { type: 'ONCE' }
  | { type: 'CRON'; expression: string }
  | { type: 'INTERVAL'; seconds: number }
  | { type: 'DATE'; at: Date };

export type ScheduleCheck = { ok: true; schedule: ParsedSchedule } | { ok: false; message: string };

/** Validates `schedule_config` for its `schedule_type`; `now` decides whether a DATE lies in the future. */
export function parseSchedule(type: ScheduleType, config: string | null | undefined, now: Date): ScheduleCheck {
  const text = (config ?? '').trim();
  switch (type) {
    case 'ONCE':
      return { ok: true, schedule: { type } };
    case 'CRON': {
      const problem = cronProblem(text);
      return problem ? { ok: false, message: problem } : { ok: true, schedule: { type, expression: text.split(/\s+/).join(' ') } };
    }
    case 'INTERVAL': {
      if (!/^\d+$/.test(text)) return { ok: false, message: `间隔配置无效：'${text}' 必须是以秒为单位的整数` };
      const seconds = Number(text);
      if (seconds < MIN_INTERVAL_SECONDS) return { ok: false, message: `间隔配置无效：${seconds} 秒小于支持的最小间隔 ${MIN_INTERVAL_SECONDS} 秒` };
      if (seconds > MAX_INTERVAL_SECONDS) return { ok: false, message: `间隔配置无效：${text} 秒大于支持的最大间隔 ${MAX_INTERVAL_SECONDS} 秒（366 天）` };
      return { ok: true, schedule: { type, seconds } };
    }
    case 'DATE': {
      if (!ISO_WITH_ZONE.test(text)) return { ok: false, message: `日期配置无效：'${text}' 必须是带时区的 ISO 8601 时间，如 2024-01-01T15:30:00Z` };
      const at = new Date(text);
      if (Number.isNaN(at.getTime())) return { ok: false, message: `日期配置无效：'${text}' 不是有效的日期` };
      if (at.getTime() <= now.getTime()) return { ok: false, message: `日期配置无效：'${text}' 已经过去，必须是将来的时间` };
      if (at.getUTCFullYear() > MAX_DATE_YEAR) return { ok: false, message: `日期配置无效：'${text}' 晚于支持的最晚时间 ${MAX_DATE_YEAR}-12-31T23:59:59Z` };
      return { ok: true, schedule: { type, at } };
    }
  }
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

/** The subset of Temporal's ScheduleSpec this dialect uses (kept structural so this module stays pure). */
export interface SchedulerSpec {
  cronExpressions?: string[];
  intervals?: { every: string; offset: string }[];
  startAt?: Date;
  calendars?: { year: number; month: (typeof MONTHS)[number]; dayOfMonth: number; hour: number; minute: number; second: number; comment?: string }[];
  timezone?: string;
}

export interface SpecPlan {
  spec: SchedulerSpec;
  /** DATE runs once: the schedule gets one remaining action. */
  limitedActions: boolean;
  remainingActions: number;
  /** ONCE runs at creation time. */
  triggerImmediately: boolean;
}

/**
 * The Temporal schedule for a task. `anchor` is when the schedule was created or last changed: an INTERVAL counts
 * from it (Temporal intervals count from the epoch unless given an offset), in whole seconds.
 */
export function buildSpec(schedule: ParsedSchedule, anchor: Date): SpecPlan {
  switch (schedule.type) {
    case 'ONCE':
      return { spec: {}, limitedActions: false, remainingActions: 0, triggerImmediately: true };
    case 'CRON':
      return { spec: { cronExpressions: [schedule.expression], timezone: 'UTC' }, limitedActions: false, remainingActions: 0, triggerImmediately: false };
    case 'INTERVAL': {
      const anchorSec = Math.ceil(anchor.getTime() / 1000);
      return {
        // startAt skips the anchor instant itself: the first run is one interval after it.
        spec: { intervals: [{ every: `${schedule.seconds}s`, offset: `${anchorSec % schedule.seconds}s` }], startAt: new Date((anchorSec + 1) * 1000) },
        limitedActions: false,
        remainingActions: 0,
        triggerImmediately: false,
      };
    }
    case 'DATE': {
      // Whole seconds: a fractional instant fires at the second it falls in.
      const at = new Date(Math.ceil(schedule.at.getTime() / 1000) * 1000);
      return {
        spec: {
          calendars: [
            {
              year: at.getUTCFullYear(),
              month: MONTHS[at.getUTCMonth()]!,
              dayOfMonth: at.getUTCDate(),
              hour: at.getUTCHours(),
              minute: at.getUTCMinutes(),
              second: at.getUTCSeconds(),
              comment: at.toISOString(),
            },
          ],
          timezone: 'UTC',
        },
        limitedActions: true,
        remainingActions: 1,
        triggerImmediately: false,
      };
    }
  }
}

/** The first time an INTERVAL schedule anchored at `anchor` fires after `from` (what Temporal computes from the spec). */
export function nextIntervalTime(seconds: number, anchor: Date, from: Date): Date {
  const anchorSec = Math.ceil(anchor.getTime() / 1000);
  const offset = anchorSec % seconds;
  const fromSec = Math.max(Math.floor(from.getTime() / 1000), anchorSec);
  const k = Math.floor((fromSec - offset) / seconds) + 1;
  return new Date((k * seconds + offset) * 1000);
}

/**
 * The next time the task's Temporal Schedule fires after `from`, computed from the same spec the schedule was
 * built from (buildSpec): the one source of `next_run_time` (a Temporal describe per task would cost a round trip
 * per row of a list). A paused schedule fires never; the caller knows whether it is paused.
 */
export function nextRunTime(schedule: ParsedSchedule, anchor: Date, from: Date): Date | null {
  switch (schedule.type) {
    case 'ONCE':
      return null;
    case 'CRON':
      return nextCronTime(schedule.expression, from);
    case 'INTERVAL':
      return nextIntervalTime(schedule.seconds, anchor, from);
    case 'DATE': {
      // Its one action fires at this instant: until then it is the next run (a run triggered by hand before it
      // does not use it up), after it there is none.
      const at = new Date(Math.ceil(schedule.at.getTime() / 1000) * 1000);
      return at.getTime() > from.getTime() ? at : null;
    }
  }
}

/** Parses a stored schedule without the "in the future" rule (a stored DATE task may lie in the past). */
export function storedSchedule(type: ScheduleType, config: string): ParsedSchedule {
  if (type === 'DATE') return { type, at: new Date(config) };
  const key = `${type} ${config}`;
  const known = storedSchedules.get(key);
  if (known) return known;
  const check = parseSchedule(type, config, new Date(0));
  if (!check.ok) throw new Error(`stored schedule is invalid: ${check.message}`);
  if (storedSchedules.size >= PARSED_CRONS_MAX) storedSchedules.clear();
  storedSchedules.set(key, check.schedule);
  return check.schedule;
}
