import { describe, expect, it } from 'vitest';
import { isoWithOffset, jobFilter, statesForStatus, toJobView, waitingReason } from '../../src/device/job-view.js';
import type { TaskRecord } from '../../src/domain/task.js';

const base: TaskRecord = {
  task_id: 'job_1',
  kind: 'device',
  state: 'succeeded',
  status: 'finished',
  queue: 'pinned_10.0.0.1',
  create_time: new Date('2024-01-01T04:00:00Z'),
  enqueue_time: new Date('2024-01-01T04:00:01Z'),
  start_time: new Date('2024-01-01T04:00:02Z'),
  end_time: new Date('2024-01-01T04:00:05Z'),
  updated_at: new Date(),
  rev: 1,
  worker: 'worker_001',
  host: '10.0.0.1',
  owner: 'worker_001',
  priority: 0,
  result: { 'show version': 'Cisco IOS' },
  error: null,
  waiting_reason: null,
};

describe('job view', () => {
  it('maps a finished job to the documented shape', () => {
    expect(toJobView(base)).toEqual({
      id: 'job_1',
      status: 'finished',
      queue: 'pinned_10.0.0.1',
      created_at: '2024-01-01T04:00:00.000+00:00',
      enqueued_at: '2024-01-01T04:00:01.000+00:00',
      started_at: '2024-01-01T04:00:02.000+00:00',
      ended_at: '2024-01-01T04:00:05.000+00:00',
      worker: 'worker_001',
      result: { type: 'success', retval: { 'show version': 'Cisco IOS' }, error: null },
      duration: 3,
      queue_time: 1,
      kind: 'device',
      host: '10.0.0.1',
    });
  });

  it('maps every canonical state with the DESIGN.md table, timeouts as failed/Timeout', () => {
    expect(toJobView({ ...base, state: 'timed_out', error: { type: 'ScheduleToStart', message: 'late' } }).result).toEqual({ type: 'failure', retval: { 'show version': 'Cisco IOS' }, error: { type: 'Timeout', message: 'late' } });
    expect(toJobView({ ...base, state: 'timed_out' }).status).toBe('failed');
    expect(toJobView({ ...base, state: 'cancelled', result: null }).status).toBe('cancelled');
    expect(toJobView({ ...base, state: 'cancelled', result: null }).result?.error?.type).toBe('Cancelled');
    const q = toJobView({ ...base, kind: 'service', state: 'ready', start_time: null, end_time: null, result: null, waiting_reason: 'x' });
    expect(q).toMatchObject({ status: 'queued', result: null, duration: null, queue_time: null, waiting_reason: 'x' });
    expect(toJobView({ ...base, kind: 'gpu', state: 'running', end_time: null }).status).toBe('started');
    expect(isoWithOffset(null)).toBeNull();
  });

  it('turns status words into state filters and rejects unknown ones', () => {
    expect(statesForStatus('queued')?.sort()).toEqual(['queued', 'ready']);
    expect(statesForStatus('failed')?.sort()).toEqual(['failed', 'timed_out']);
    expect(statesForStatus('exploded')).toBeNull();
    expect(jobFilter({ queue: 'FifoQ', status: 'finished', host: 'h', nodeWorkers: ['w1'] })).toEqual({ queue: 'FifoQ', host: 'h', state: 'succeeded', worker: { $in: ['w1'] } });
    expect(() => jobFilter({ status: 'nope' })).toThrow(/unknown status/);
  });

  it('says why a job waits', () => {
    expect(waitingReason({ queue: 'pinned_h', ahead: ['a', 'b'], liveWorkers: 1, queueStrategy: 'pinned' })).toBe('behind job b on pinned_h, position 3');
    expect(waitingReason({ queue: 'FifoQ', ahead: [], liveWorkers: 0, queueStrategy: 'fifo' })).toBe('no worker polls FifoQ');
    expect(waitingReason({ queue: 'pinned_h', ahead: [], liveWorkers: 2, queueStrategy: 'pinned' })).toBe('next on pinned_h');
  });
});
