/**
 * Poison-pill containment: a job whose run keeps losing its worker (the process crashed, hung, or stopped
 * heartbeating) is not handed to the next worker forever. After this many lost attempts it ends with `WorkerLost`.
 * Three: one lost worker is an accident (a deploy, a kill), two in a row is suspicious, three is the job.
 */
export const WORKER_LOST_ATTEMPTS = 3;

export const WORKER_LOST = 'WorkerLost';

/** The job's error once its attempts are spent, or when it is not run again for another reason (`why`). */
export function workerLostError(attempts: number, why?: string): { type: string; message: string } {
  const times = attempts === 1 ? 'once' : `${attempts} times`;
  const tail = why ?? (attempts >= WORKER_LOST_ATTEMPTS ? `: not handed to another worker again (limit ${WORKER_LOST_ATTEMPTS})` : '');
  return { type: WORKER_LOST, message: `the worker running this job was lost ${times} (attempts: ${attempts})${tail}` };
}
