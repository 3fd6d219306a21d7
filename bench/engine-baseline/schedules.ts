import { randomBytes } from 'node:crypto';
import type { ScheduleOptions } from '@temporalio/client';
import { scheduledTimeOf } from '../../src/scheduler/contract.js';
import { buildSpec } from '../../src/scheduler/spec.js';
import { createBaselineActivities, type StartNotes } from './activities.js';
import { connectBaseline } from './index.js';

export interface ScheduleBaselineOptions {
  address?: string;
  namespace?: string;
  /** When each schedule fires (one calendar instant each, one action). */
  fireTimes: Date[];
}

export interface ScheduleLateness {
  /** First workflow task minus the scheduled time, per run (ms). */
  workflowMs: number[];
  /** The activity's start minus the scheduled time, per run (ms): the bare engine's "command start". */
  activityMs: number[];
}

/**
 * The bare engine's fire lateness on this machine, now: one Temporal Schedule per fire time (one calendar
 * instant, one remaining action, as a DATE task), a plain worker, a workflow that runs one trivial activity.
 */
export async function runScheduleBaseline(options: ScheduleBaselineOptions): Promise<ScheduleLateness> {
  const address = options.address ?? '127.0.0.1:7233';
  const namespace = options.namespace ?? 'default';
  const taskQueue = `bench-baseline-sched-${randomBytes(4).toString('hex')}`;
  const notes: StartNotes = new Map();
  const { worker, client, close } = await connectBaseline(address, namespace, taskQueue, createBaselineActivities(notes));
  const ids: string[] = [];
  try {
    return await worker.runUntil(async () => {
      for (const [i, at] of options.fireTimes.entries()) {
        const scheduleId = `${taskQueue}-${i}`;
        await client.schedule.create({
          scheduleId,
          // The spec a DATE task gets, so the two runs differ only in what happens once the schedule fires.
          spec: buildSpec({ type: 'DATE', at }, at).spec as ScheduleOptions['spec'],
          action: { type: 'startWorkflow', workflowType: 'baselineScheduledWorkflow', workflowId: scheduleId, taskQueue, args: [] },
          state: { remainingActions: 1 },
        });
        ids.push(scheduleId);
      }
      const last = Math.max(...options.fireTimes.map((t) => t.getTime()));
      while (notes.size < options.fireTimes.length && Date.now() < last + 30_000) await new Promise((r) => setTimeout(r, 250));
      const workflowMs: number[] = [];
      const activityMs: number[] = [];
      for (const [workflowId, n] of notes) {
        const scheduled = Date.parse(scheduledTimeOf(workflowId) ?? '');
        if (Number.isNaN(scheduled)) continue;
        workflowMs.push(n.workflowMs - scheduled);
        activityMs.push(n.activityMs - scheduled);
      }
      return { workflowMs, activityMs };
    });
  } finally {
    for (const id of ids) await client.schedule.getHandle(id).delete().catch(() => undefined);
    await close();
  }
}
