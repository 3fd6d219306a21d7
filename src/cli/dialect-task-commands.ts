import { Option, type Command } from 'commander';
import { mintSchedulerToken } from '../api/scheduler/auth.js';
import { DEV_DEFAULTS } from '../config/index.js';
import { client, clientOf, printJson, type Io } from './client-commands.js';
import { seconds, table, type Column } from './render.js';
import { UsageError } from './usage.js';

/**
 * Read-only client commands for the GPU and scheduler dialects: `gpu tasks list|get` and `scheduler tasks
 * list|get`, tables by default and `--json` for scripts, in the style of client-commands.ts.
 */

/** A page size flag: a whole number in [1, max]. */
function limitOf(raw: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--limit must be 1-${max}, got "${raw}"`);
  return n;
}

/** `key   value` lines, keys padded to the longest. */
function describe(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

/** A text that may hold JSON, printed indented when it does. */
function maybeJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const msTime = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : new Date(ms).toISOString());

/** A GPU task as /api/v2/tasks answers it (TaskDO); timestamps in ms. */
export interface GpuTaskView {
  taskId: string;
  displayId: number;
  taskType: number;
  status: string;
  userId: string | null;
  app: string | null;
  priority: number;
  gpuId: string | null;
  result: string | null;
  errorMessage: string | null;
  retryCount: number;
  maxRetries: number;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  waitingReason?: string | null;
  queuePosition?: number;
  temporalUiUrl?: string;
}

const gpuTook = (t: GpuTaskView) => (t.startedAt && t.completedAt ? seconds((t.completedAt - t.startedAt) / 1000) : '-');

export const GPU_TASK_COLUMNS: Column<GpuTaskView>[] = [
  { title: 'task id', value: (t) => t.taskId },
  { title: 'type', value: (t) => String(t.taskType) },
  { title: 'status', value: (t) => t.status },
  { title: 'priority', value: (t) => String(t.priority) },
  { title: 'gpu', value: (t) => t.gpuId ?? '-' },
  { title: 'created', value: (t) => msTime(t.createdAt) },
  { title: 'took', value: gpuTook },
  { title: 'error', value: (t) => t.errorMessage ?? '' },
];

export function describeGpuTask(t: GpuTaskView): string {
  const rows: [string, string][] = [
    ['task id', t.taskId],
    ['display id', String(t.displayId)],
    ['type', String(t.taskType)],
    ['status', t.status],
    ['priority', String(t.priority)],
    ['app', t.app ?? '-'],
    ['user', t.userId ?? '-'],
    ['gpu', t.gpuId ?? '-'],
    ['created', msTime(t.createdAt)],
    ['started', msTime(t.startedAt)],
    ['completed', msTime(t.completedAt)],
    ['took', gpuTook(t)],
    ['retries', `${t.retryCount}/${t.maxRetries}`],
  ];
  if (t.waitingReason) rows.push(['waiting', `${t.waitingReason}${t.queuePosition ? ` (position ${t.queuePosition})` : ''}`]);
  if (t.errorMessage) rows.push(['error', t.errorMessage]);
  if (t.temporalUiUrl) rows.push(['temporal', t.temporalUiUrl]);
  let text = describe(rows);
  if (t.result !== null && t.result !== undefined) text += `\nresult:\n${maybeJson(t.result)}\n`;
  return text;
}

/** A scheduler task as /api/v1/scheduler/tasks lists it (one task carries more: see describeSchedulerTask). */
export interface SchedulerTaskView {
  id: number;
  name: string;
  description: string | null;
  project_id: number;
  project_name?: string;
  schedule_type: string;
  schedule_config: string;
  is_active: boolean;
  status: string;
  next_run_time: string | null;
  created_at: string | null;
  last_execution?: { execution_id: string; status: string; start_time: string | null; duration_seconds: number | null } | null;
  timeout_seconds?: number;
  max_instances?: number;
  retry_count?: number;
  priority?: number;
  action?: Record<string, unknown> | null;
  execution_summary?: { total_executions: number; success_count: number; failed_count: number };
}

export const SCHEDULER_TASK_COLUMNS: Column<SchedulerTaskView>[] = [
  { title: 'id', value: (t) => String(t.id) },
  { title: 'name', value: (t) => t.name },
  { title: 'schedule', value: (t) => `${t.schedule_type} ${t.schedule_config}` },
  { title: 'active', value: (t) => (t.is_active ? 'yes' : 'paused') },
  { title: 'status', value: (t) => t.status },
  { title: 'next run', value: (t) => t.next_run_time ?? '-' },
  { title: 'last run', value: (t) => (t.last_execution ? `${t.last_execution.status} ${t.last_execution.start_time ?? ''}`.trim() : '-') },
];

export function describeSchedulerTask(t: SchedulerTaskView): string {
  const rows: [string, string][] = [
    ['id', String(t.id)],
    ['name', t.name],
    ['description', t.description ?? '-'],
    ['project', t.project_name ? `${t.project_name} (${t.project_id})` : String(t.project_id)],
    ['schedule', `${t.schedule_type} ${t.schedule_config}`],
    ['active', t.is_active ? 'yes' : 'paused'],
    ['status', t.status],
    ['next run', t.next_run_time ?? '-'],
    ['created', t.created_at ?? '-'],
  ];
  if (t.action) rows.push(['action', JSON.stringify(t.action)]);
  const sum = t.execution_summary;
  if (sum) rows.push(['executions', `${sum.total_executions} (${sum.success_count} succeeded, ${sum.failed_count} failed)`]);
  return describe(rows);
}

interface SchedulerAuthOptions {
  jwt?: string;
  user?: string;
  role: string;
}

/** The scheduler JWT: --jwt / SWITCHYARD_SCHEDULER_TOKEN, else one minted for --user with SCHEDULER_JWT_SECRET (or the development secret). */
async function schedulerJwt(o: SchedulerAuthOptions, io: Io): Promise<string> {
  if (o.jwt) return o.jwt;
  if (o.role !== 'user' && o.role !== 'admin') throw new UsageError(`--role must be admin or user, got "${o.role}"`);
  const user = o.user ?? io.env.USER ?? 'cli';
  return mintSchedulerToken(io.env.SCHEDULER_JWT_SECRET ?? DEV_DEFAULTS.schedulerJwtSecret, user, o.role, '10m');
}

/** Adds `gpu tasks` and `scheduler tasks` to the program. */
export function addDialectTaskCommands(program: Command, io: Io): void {
  const gpuClient = (c: Command) =>
    client(c).addOption(new Option('--gpu-key <key>', 'GPU dialect API key (X-API-Key); else GPU_API_KEY, else the development key').env('SWITCHYARD_GPU_API_KEY'));
  const gpuTasks = program.command('gpu').description('the GPU dispatch dialect (/api/v2) on a running API').command('tasks').description('GPU tasks: list, get');

  gpuClient(gpuTasks.command('list'))
    .description('list GPU tasks (the first page)')
    .addOption(new Option('--status <status>', 'only tasks in this status').choices(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'TIMEOUT']))
    .option('--task-type <n>', 'only tasks of this task type')
    .option('--gpu <gpuId>', 'only tasks of this GPU node')
    .option('--limit <n>', 'page size (1-500)', '20')
    .action(async (o: { status?: string; taskType?: string; gpu?: string; limit: string }, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const q = new URLSearchParams({ page: '1', size: String(limitOf(o.limit, 500)) });
      if (o.taskType !== undefined) {
        if (!/^-?\d+$/.test(o.taskType)) throw new UsageError(`--task-type must be an integer, got "${o.taskType}"`);
        q.set('taskType', o.taskType);
      }
      if (o.status) q.set('status', o.status);
      if (o.gpu) q.set('gpuId', o.gpu);
      const list = await api.gpu<GpuTaskView[]>(`/api/v2/tasks?${q}`);
      if (json) printJson(io, list);
      else io.out.write(list.length === 0 ? 'no tasks\n' : table(list, GPU_TASK_COLUMNS));
    });

  gpuClient(gpuTasks.command('get'))
    .description('show one GPU task: status, node, times, why it waits, its result')
    .argument('<taskId>', 'task id')
    .action(async (taskId: string, _o: unknown, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const task = await api.gpu<GpuTaskView>(`/api/v2/tasks/${encodeURIComponent(taskId)}`);
      if (json) printJson(io, task);
      else io.out.write(describeGpuTask(task));
    });

  const schedulerClient = (c: Command) =>
    client(c)
      .addOption(new Option('--jwt <token>', 'scheduler dialect JWT; else one is minted for --user with SCHEDULER_JWT_SECRET (or the development secret)').env('SWITCHYARD_SCHEDULER_TOKEN'))
      .option('--user <name>', 'whose tasks (the JWT subject) when no --jwt is given; default $USER')
      .option('--role <role>', 'admin or user, when no --jwt is given', 'user');
  const schedulerTasks = program.command('scheduler').description('the scheduler dialect (/api/v1/scheduler) on a running API').command('tasks').description("a user's scheduled tasks: list, get");

  schedulerClient(schedulerTasks.command('list'))
    .description("list the user's scheduled tasks with their last run")
    .addOption(new Option('--status <status>', 'only tasks whose last run is in this status').choices(['PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED']))
    .addOption(new Option('--active <bool>', 'only active (true) or paused (false) tasks').choices(['true', 'false']))
    .option('--limit <n>', 'page size (1-100)', '20')
    .action(async (o: SchedulerAuthOptions & { status?: string; active?: string; limit: string }, cmd: Command) => {
      const { api, json } = clientOf(cmd, io);
      const q = new URLSearchParams({ page: '1', size: String(limitOf(o.limit, 100)) });
      if (o.status) q.set('status', o.status);
      if (o.active) q.set('is_active', o.active);
      const r = await api.scheduler<{ total: number; items: SchedulerTaskView[] }>(`/api/v1/scheduler/tasks?${q}`, await schedulerJwt(o, io));
      if (json) printJson(io, r.items);
      else io.out.write(r.items.length === 0 ? 'no tasks\n' : `${table(r.items, SCHEDULER_TASK_COLUMNS)}${r.items.length} of ${r.total}\n`);
    });

  schedulerClient(schedulerTasks.command('get'))
    .description('show one scheduled task: its schedule, action and execution summary')
    .argument('<task_id>', 'task id (a number)')
    .action(async (taskId: string, o: SchedulerAuthOptions, cmd: Command) => {
      if (!/^\d+$/.test(taskId)) throw new UsageError(`task_id must be a number, got "${taskId}"`);
      const { api, json } = clientOf(cmd, io);
      const r = await api.scheduler<{ data: SchedulerTaskView }>(`/api/v1/scheduler/tasks/${taskId}`, await schedulerJwt(o, io));
      if (json) printJson(io, r.data);
      else io.out.write(describeSchedulerTask(r.data));
    });
}
