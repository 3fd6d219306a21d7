import type { CanonicalState, TaskKind } from '../src/domain/status.js';
import type { TaskError, TaskUpdate } from '../src/domain/task.js';
import { SCHEDULE_LAST_RUN_COLLECTION } from '../src/store/schedules.js';
import type { ActivityDeps } from './deps.js';

/**
 * A state change as workflow code describes it. Times are ISO strings because activity arguments travel as
 * JSON; the activity turns them back into dates for MongoDB.
 */
export interface MirrorWrite {
  task_id: string;
  rev: number;
  kind?: TaskKind;
  state?: CanonicalState;
  status?: string;
  queue?: string;
  create_time?: string;
  enqueue_time?: string | null;
  start_time?: string | null;
  end_time?: string | null;
  worker?: string | null;
  host?: string | null;
  owner?: string | null;
  priority?: number;
  result?: unknown;
  error?: TaskError | null;
  waiting_reason?: string | null;
  service?: string;
  source_name?: string;
  condition?: unknown;
  status_message?: Record<string, string | null>;
  details?: Record<string, unknown>;
  /** Publish a task event to Kafka after the write (state changes do; progress updates need not). */
  publish?: boolean;
}

const DATE_FIELDS = ['create_time', 'enqueue_time', 'start_time', 'end_time'] as const;

export function toTaskUpdate(write: MirrorWrite): TaskUpdate {
  const { publish: _publish, ...rest } = write;
  const update: Record<string, unknown> = { ...rest };
  for (const f of DATE_FIELDS) {
    const v = write[f];
    if (typeof v === 'string') update[f] = new Date(v);
  }
  return update as TaskUpdate;
}

export interface TaskEvent {
  task_id: string;
  kind?: TaskKind;
  state?: CanonicalState;
  status?: string;
  queue?: string;
  at: string;
}

/** Queues a task event on the events topic; sent in the background, so a slow or absent broker never holds up a job. */
export function publishTaskEvent(deps: ActivityDeps, fields: Omit<TaskEvent, 'at'>): void {
  if (!deps.events) return;
  const event: TaskEvent = { ...fields, at: new Date().toISOString() };
  deps.events.publish(deps.config.kafka.eventsTopic, { key: fields.task_id, value: event });
}

/**
 * Writes a task's new state to MongoDB, then announces it on the events topic: the mirror activity's work, also
 * done by activities that write their task's state themselves (the record's revision guard orders them all).
 */
export async function writeMirror(deps: ActivityDeps, write: MirrorWrite): Promise<'applied' | 'stale'> {
  const outcome = await deps.tasks.apply(toTaskUpdate(write));
  const scheduleId = write.details?.schedule_id;
  // A scheduled execution's first write also points its schedule at it, so a task list finds each task's
  // last execution by `_id` instead of searching every execution record.
  if (outcome === 'applied' && write.kind === 'command' && write.create_time && typeof scheduleId === 'number') {
    await deps.tasks.collection.db
      .collection<{ _id: number; execution_id: string; create_time: Date }>(SCHEDULE_LAST_RUN_COLLECTION)
      .updateOne({ _id: scheduleId }, { $set: { execution_id: write.task_id, create_time: new Date(write.create_time) } }, { upsert: true });
  }
  if (write.publish && outcome === 'applied') {
    publishTaskEvent(deps, { task_id: write.task_id, kind: write.kind, state: write.state, status: write.status, queue: write.queue });
  }
  return outcome;
}

export function createMirrorActivities(deps: ActivityDeps) {
  return {
    /** Writes the task's new state to MongoDB (required: failures retry), then announces it on the events topic. */
    async mirrorTask(write: MirrorWrite): Promise<'applied' | 'stale'> {
      return writeMirror(deps, write);
    },
  };
}
