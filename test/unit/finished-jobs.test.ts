import { describe, expect, it } from 'vitest';
import { FinishedJobViews } from '../../src/device/finished-jobs.js';
import type { DeviceJobView } from '../../src/device/job-view.js';

const view = (id: string) => ({ id, status: 'finished' }) as unknown as DeviceJobView;

describe('FinishedJobViews', () => {
  it('keeps a view for its time, then forgets it', () => {
    const c = new FinishedJobViews(1000, 10);
    c.put('a', view('a'), 0);
    expect(c.get('a', 999)?.id).toBe('a');
    expect(c.get('a', 1000)).toBeNull();
    expect(c.get('a', 0)).toBeNull(); // forgotten for good, not just hidden
  });

  it('holds at most its size, dropping the oldest first', () => {
    const c = new FinishedJobViews(60_000, 3);
    for (const id of ['a', 'b', 'c']) c.put(id, view(id), 0);
    c.put('a', view('a'), 1); // put again: now the newest
    c.put('d', view('d'), 2);
    expect(c.get('b', 3)).toBeNull();
    expect(['a', 'c', 'd'].map((id) => c.get(id, 3)?.id)).toEqual(['a', 'c', 'd']);
  });
});
