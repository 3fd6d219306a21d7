import { describe, expect, it } from 'vitest';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { figuresOf, type AuditInput } from '../faults/audit.js';
import type { DialectView, Submission } from '../faults/dialects.js';
import { verdict } from '../faults/verdict.js';

// The fault suite's accounting decides whether a scenario passes: it must see what it is there to see.
const sub = (kind: Submission['kind'], id: string | null, extra: Partial<Submission> = {}): Submission => ({ kind, id, accepted: id !== null, at: 0, ...extra });
const view = (id: string, status: string | null, terminal: boolean, extra: Partial<DialectView> = {}): [string, DialectView] => [id, { id, status, terminal, ...extra }];
const runs = (...ids: string[]) => {
  const m = new Map<string, WorkflowExecutionInfo[]>();
  for (const id of ids) m.set(id, [...(m.get(id) ?? []), {} as WorkflowExecutionInfo]);
  return m;
};

function input(over: Partial<AuditInput>): AuditInput {
  return {
    scenario: 't',
    subs: [],
    views: new Map(),
    runs: new Map(),
    handOffs: new Map(),
    commandRuns: new Map(),
    mirror: [],
    http: { '5xx': 0, '503': 0, noAnswer: 0 },
    recoverySeconds: null,
    ...over,
  };
}

describe('fault suite accounting', () => {
  it('passes a scenario where every accepted job ended once', () => {
    const f = figuresOf(
      input({
        subs: [sub('device-fifo', 'a', { marker: 'm1' }), sub('service-kafka', 'b'), sub('gpu', null)],
        views: new Map([view('a', 'finished', true), view('b', 'finished', true)]),
        runs: runs('a', 'b'),
        handOffs: new Map([['b', 1]]),
        commandRuns: new Map([['m1', 1]]),
      }),
    );
    expect(f).toMatchObject({ submitted: 3, accepted: 2, terminal: 2, lost: 0, duplicated: 0, failed: 0, reRuns: 0 });
    expect(verdict(f)).toEqual([]);
  });

  it('counts a job that never ended, one that finished without running and a hand-off that never came as lost', () => {
    const f = figuresOf(
      input({
        subs: [sub('device-pinned', 'a'), sub('device-fifo', 'b', { marker: 'm2' }), sub('service-kafka', 'c')],
        views: new Map([view('a', 'started', false), view('b', 'finished', true), view('c', 'finished', true)]),
        runs: runs('a', 'b', 'c'),
      }),
    );
    expect(f.lost).toBe(3);
    expect(verdict(f).join()).toMatch(/3 lost/);
  });

  it('counts a second workflow run, a second hand-off and a second ONCE execution as duplicated, a second command run as a re-run', () => {
    const f = figuresOf(
      input({
        subs: [sub('ingest', 'a'), sub('ingest', 'a'), sub('service-kafka', 'b'), sub('scheduler', '7'), sub('device-fifo', 'd', { marker: 'm' })],
        views: new Map([view('a', 'finished', true), view('b', 'finished', true), view('7', 'SUCCESS', true, { runs: 2 }), view('d', 'finished', true)]),
        runs: runs('a', 'a', 'b', '7', 'd'),
        handOffs: new Map([['b', 2]]),
        commandRuns: new Map([['m', 2]]),
      }),
    );
    expect(f).toMatchObject({ submitted: 5, accepted: 4, duplicated: 3, reRuns: 1 });
  });

  it('lets a config push end WorkerLost, but not a command job', () => {
    const f = figuresOf(
      input({
        subs: [sub('device-config', 'a', { allowed: ['WorkerLost'] }), sub('device-pinned', 'b')],
        views: new Map([view('a', 'failed', true, { error: 'WorkerLost' }), view('b', 'failed', true, { error: 'WorkerLost' })]),
        runs: runs('a', 'b'),
      }),
    );
    expect(f.failed).toBe(1);
    expect(f.failedIds[0]).toMatch(/^device-pinned b/);
  });

  it('fails on a mirror disagreement or any other problem', () => {
    const f = figuresOf(input({ subs: [sub('gpu', 'a')], views: new Map([view('a', 'COMPLETED', true)]), runs: runs('a'), mirror: ['a: record running'] }));
    f.problems.push('500 answer');
    expect(verdict(f)).toEqual([expect.stringMatching(/mirror disagrees/), '500 answer']);
  });
});
