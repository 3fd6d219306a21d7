import { describe, expect, it } from 'vitest';
import { orphanFields, terminalFieldsFrom } from '../../src/reconcile/repair.js';
import { readableResult, storableResult } from '../../src/store/tasks.js';

const closed = new Date('2026-01-02T03:04:05Z');

describe('what a record whose workflow closed must say', () => {
  it('takes a completed device job outcome as the workflow returned it', () => {
    const f = terminalFieldsFrom('device', {
      type: 'deviceJob',
      status: 'COMPLETED',
      closeTime: closed,
      result: { state: 'succeeded', retval: { 'show clock': '12:00' }, error: null, worker: 'w1', started_at: '2026-01-02T03:04:00.000Z', ended_at: '2026-01-02T03:04:04.000Z', rev: 1 },
    });
    expect(f).toMatchObject({ state: 'succeeded', status: 'finished', result: { 'show clock': '12:00' }, error: null, worker: 'w1' });
    expect(f.end_time).toEqual(new Date('2026-01-02T03:04:04.000Z'));
  });

  it('maps each kind to its own dialect word', () => {
    expect(terminalFieldsFrom('command', { type: 'commandRun', status: 'COMPLETED', closeTime: closed, result: { state: 'timed_out', exitCode: null } })).toMatchObject({ state: 'timed_out', status: 'TIMEOUT' });
    expect(terminalFieldsFrom('gpu', { type: 'gpuTask', status: 'COMPLETED', closeTime: closed, result: { status: 'COMPLETED', result: '{"x":1}' } })).toMatchObject({ state: 'succeeded', status: 'COMPLETED', result: '{"x":1}' });
    expect(terminalFieldsFrom('service', { type: 'serviceTask', status: 'COMPLETED', closeTime: closed, result: { status: 'failed', data: null, message: 'timeout: no final status within 5 s' } })).toMatchObject({
      state: 'timed_out',
      status: 'failed',
      error: { type: 'Timeout' },
    });
  });

  it('ends a terminated, failed or timed-out workflow’s job failed, naming why', () => {
    expect(terminalFieldsFrom('gpu', { type: 'gpuTask', status: 'TERMINATED', closeTime: closed, failure: 'by operator' })).toMatchObject({
      state: 'failed',
      status: 'FAILED',
      end_time: closed,
      error: { type: 'WorkflowTerminated', message: 'its workflow was terminated: by operator' },
    });
    expect(terminalFieldsFrom('device', { type: 'deviceJob', status: 'FAILED', closeTime: closed, failure: 'boom' }).error).toEqual({ type: 'WorkflowFailed', message: 'boom' });
    expect(terminalFieldsFrom('command', { type: 'commandRun', status: 'TIMED_OUT', closeTime: closed }).state).toBe('timed_out');
  });

  it('ends a record without any workflow as never started', () => {
    expect(orphanFields('service', closed)).toMatchObject({ state: 'failed', status: 'failed', error: { type: 'NotStarted' } });
  });
});

describe('results MongoDB and FerretDB would store differently', () => {
  it('keeps a result with a dotted key, a $ key or nested arrays as JSON text, and reads it back unchanged', () => {
    for (const r of [{ 'ping 10.0.0.1': 'ok' }, { a: { $b: 1 } }, { rows: [[1, 2], [3]] }, [[1]]]) {
      const stored = storableResult(r);
      expect(stored).toEqual({ switchyard_json: JSON.stringify(r) });
      expect(readableResult(stored)).toEqual(r);
    }
  });

  it('stores every other result as it is', () => {
    for (const r of [null, 'text', 3, { 'show clock': '12:00' }, [{ a: [1, 2] }], { exit_code: 0 }]) expect(storableResult(r)).toEqual(r);
  });
});
