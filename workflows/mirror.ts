import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities, MirrorWrite } from '../activities/index.js';
import { MIRROR_LOCAL } from './presets.js';

const { mirrorTask } = proxyLocalActivities<Pick<Activities, 'mirrorTask'>>(MIRROR_LOCAL);

/**
 * Keeps one task's MongoDB record in step with the workflow. Revisions come from workflow time, so a re-run of
 * the same task id (a later workflow run) always writes newer revisions than the run before it.
 */
export class TaskMirror {
  private seq = 0;

  constructor(private readonly taskId: string) {}

  nextRev(): number {
    this.seq += 1;
    return Date.now() * 1000 + (this.seq % 1000);
  }

  async write(fields: Omit<MirrorWrite, 'task_id' | 'rev'>): Promise<void> {
    await mirrorTask({ ...fields, task_id: this.taskId, rev: this.nextRev() });
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
