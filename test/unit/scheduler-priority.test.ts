import { describe, expect, it } from 'vitest';
import { PRIORITY_KEY_DEFAULT, schedulerPriorityKey } from '../../src/domain/priority.js';

describe('scheduler priority → Temporal priority key', () => {
  it('maps the bands: higher task priority, smaller key (dispatched sooner)', () => {
    const cases: [number, number][] = [
      [1000, 1],
      [10, 1],
      [9, 2],
      [1, 2],
      [0, 3],
      [-1, 4],
      [-9, 4],
      [-10, 5],
      [-1000, 5],
    ];
    for (const [priority, key] of cases) expect(schedulerPriorityKey(priority), `priority ${priority}`).toBe(key);
  });

  it('gives the default priority the key of work that sets none', () => {
    expect(schedulerPriorityKey(0)).toBe(PRIORITY_KEY_DEFAULT);
  });

  it('never increases the key as the priority grows', () => {
    for (let p = -50; p < 50; p++) expect(schedulerPriorityKey(p + 1)).toBeLessThanOrEqual(schedulerPriorityKey(p));
  });
});
