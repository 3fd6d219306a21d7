import { describe, expect, it } from 'vitest';
import { gpuOrderViolations, type OrderEvent } from '../faults/gpu-order.js';

// One node with two slots, both taken by N0 and N1 when the check begins; N2 waits in the dispatcher's queue.
const nodes = new Map([['g1', { capacity: 2, running: ['N0', 'N1'] }]]);
const vips = new Set(['V0', 'V1']);
const sent = (at: number, taskId: string): OrderEvent => ({ at, kind: 'sent', gpuId: 'g1', taskId });
const finished = (at: number, taskId: string): OrderEvent => ({ at, kind: 'finished', gpuId: 'g1', taskId });
const accepted = (at: number, taskId: string): OrderEvent => ({ at, kind: 'accepted', taskId });

describe('the fault suite GPU priority rule', () => {
  it('lets a NORMAL task take a slot that freed before any VIP task was accepted, even if it lands after', () => {
    const events = [finished(10, 'N0'), accepted(20, 'V0'), accepted(30, 'V1'), sent(40, 'N2'), finished(50, 'N1'), sent(60, 'V0'), finished(70, 'N2'), sent(80, 'V1')];
    expect(gpuOrderViolations(events, nodes, vips)).toEqual([]);
  });

  it('flags a NORMAL task that takes a slot freed while an accepted VIP task waited', () => {
    const events = [accepted(20, 'V0'), accepted(30, 'V1'), finished(40, 'N0'), sent(50, 'N2'), finished(60, 'N1'), sent(70, 'V0')];
    expect(gpuOrderViolations(events, nodes, vips)).toEqual([{ taskId: 'N2', gpuId: 'g1', at: 50, waitingVips: ['V0', 'V1'] }]);
  });

  it('counts a VIP task as waiting from its own answer, not from the last one', () => {
    const events = [accepted(20, 'V0'), finished(25, 'N0'), accepted(30, 'V1'), sent(50, 'N2')];
    expect(gpuOrderViolations(events, nodes, vips).map((v) => v.taskId)).toEqual(['N2']);
  });

  it('does not count a task sent again while it runs as taking a slot', () => {
    const events = [accepted(20, 'V0'), accepted(30, 'V1'), sent(40, 'N1'), finished(50, 'N0'), sent(60, 'V0'), finished(70, 'N1'), sent(80, 'V1')];
    expect(gpuOrderViolations(events, nodes, vips)).toEqual([]);
  });

  it('lets NORMAL tasks go once every VIP task is on a node', () => {
    const events = [accepted(20, 'V0'), finished(40, 'N0'), finished(41, 'N1'), sent(50, 'V0'), sent(60, 'N2')];
    expect(gpuOrderViolations(events, nodes, new Set(['V0']))).toEqual([]);
  });
});
