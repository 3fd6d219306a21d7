import { describe, expect, it } from 'vitest';
import { compareEntries, estimateWaitSeconds, orderQueue, planAssignments, priorityClass, waitingReason, type NodeSlots, type QueueEntry } from '../../src/gpu/priority.js';

const e = (taskId: string, priority: number, seq: number, excluded: string[] = []): QueueEntry => ({ taskId, priority, seq, attempt: 0, maxRetries: 3, excluded });
const n = (gpuId: string, cls: 'NORMAL' | 'VIP', freeSlots: number): NodeSlots => ({ gpuId, supportedTaskPriority: cls, freeSlots });

describe('GPU priority classes and order', () => {
  it('priority >= 2 is VIP', () => {
    expect([0, 1, 2, 3, 10].map(priorityClass)).toEqual(['NORMAL', 'NORMAL', 'VIP', 'VIP', 'VIP']);
  });

  it('orders VIP first, then higher priority, then first come first served', () => {
    const q = [e('n0a', 0, 1), e('n1', 1, 2), e('v2a', 2, 3), e('n0b', 0, 4), e('v3', 3, 5), e('v2b', 2, 6)];
    expect(orderQueue(q).map((x) => x.taskId)).toEqual(['v3', 'v2a', 'v2b', 'n1', 'n0a', 'n0b']);
    expect(compareEntries(e('a', 1, 1), e('b', 1, 1))).toBeLessThan(0);
  });
});

describe('planAssignments', () => {
  it('never places more tasks on a node than its free slots', () => {
    const q = [...Array(20).keys()].map((i) => e(`t${i}`, i % 4, i));
    const plan = planAssignments(q, [n('a', 'NORMAL', 2), n('b', 'VIP', 3), n('c', 'NORMAL', 0)]);
    expect(plan).toHaveLength(5);
    const per = (g: string) => plan.filter((p) => p.gpuId === g).length;
    expect([per('a'), per('b'), per('c')]).toEqual([2, 3, 0]);
    expect(new Set(plan.map((p) => p.taskId)).size).toBe(5);
  });

  it('gives capacity to VIP tasks before NORMAL ones', () => {
    const plan = planAssignments([e('n', 1, 1), e('v', 2, 2)], [n('a', 'NORMAL', 1)]);
    expect(plan).toEqual([{ taskId: 'v', gpuId: 'a' }]);
  });

  it('lets a NORMAL task use a VIP node only when no VIP task waits', () => {
    expect(planAssignments([e('n', 0, 1)], [n('vip', 'VIP', 1)])).toEqual([{ taskId: 'n', gpuId: 'vip' }]);
    // Two VIP tasks, one VIP slot and one NORMAL slot: both VIPs placed, NORMAL waits.
    expect(planAssignments([e('n', 0, 1), e('v1', 2, 2), e('v2', 2, 3)], [n('vip', 'VIP', 1), n('norm', 'NORMAL', 1)]).map((p) => p.taskId).sort()).toEqual(['v1', 'v2']);
    // A VIP task still waiting (no slot at all for it) keeps NORMAL tasks off VIP nodes.
    expect(planAssignments([e('v1', 2, 1), e('v2', 2, 2), e('n', 0, 3)], [n('vip', 'VIP', 1)])).toEqual([{ taskId: 'v1', gpuId: 'vip' }]);
  });

  it('prefers VIP nodes for VIP tasks and NORMAL nodes for NORMAL tasks', () => {
    const plan = planAssignments([e('v', 2, 1), e('n', 0, 2)], [n('norm', 'NORMAL', 5), n('vip', 'VIP', 1)]);
    expect(plan).toEqual([
      { taskId: 'v', gpuId: 'vip' },
      { taskId: 'n', gpuId: 'norm' },
    ]);
  });

  it('does not send a task back to a node it failed on', () => {
    expect(planAssignments([e('t', 0, 1, ['a'])], [n('a', 'NORMAL', 5)])).toEqual([]);
    expect(planAssignments([e('t', 0, 1, ['a'])], [n('a', 'NORMAL', 5), n('b', 'NORMAL', 1)])).toEqual([{ taskId: 't', gpuId: 'b' }]);
  });
});

describe('waiting reasons and estimates', () => {
  it('says why a task waits', () => {
    expect(waitingReason(7, 0, { activeNodes: [], ahead: 0, vipAhead: 0 })).toBe('no ACTIVE GPU node supports taskType 7');
    expect(waitingReason(7, 0, { activeNodes: [n('a', 'NORMAL', 0)], ahead: 3, vipAhead: 2 })).toBe('2 VIP task(s) ahead');
    expect(waitingReason(7, 2, { activeNodes: [n('a', 'NORMAL', 0)], ahead: 3, vipAhead: 0 })).toContain('at capacity');
  });

  it('estimates the wait from capacity, free slots and the average duration', () => {
    expect(estimateWaitSeconds(0, 4, 1, 60)).toBe(0);
    expect(estimateWaitSeconds(1, 4, 1, 60)).toBe(60);
    expect(estimateWaitSeconds(5, 4, 1, 60)).toBe(120);
    expect(estimateWaitSeconds(2, 0, 0, 10)).toBe(30);
  });
});
