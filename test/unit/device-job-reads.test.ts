import { describe, expect, it } from 'vitest';
import { JobReads } from '../../src/device/job-reads.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('JobReads', () => {
  it('reads at once when idle, and batches the ids asked for while a read is in flight', async () => {
    const calls: string[][] = [];
    const pending: Array<ReturnType<typeof deferred<Map<string, number>>>> = [];
    const reads = new JobReads<number>((ids) => {
      calls.push(ids);
      const d = deferred<Map<string, number>>();
      pending.push(d);
      return d.promise;
    });
    const a = reads.get('a');
    expect(calls).toEqual([['a']]);
    const b = reads.get('b');
    const c = reads.get('c');
    const b2 = reads.get('b');
    expect(calls).toHaveLength(1);
    pending[0]!.resolve(new Map([['a', 1]]));
    expect(await a).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([['a'], ['b', 'c']]);
    pending[1]!.resolve(new Map([['b', 2]]));
    expect(await b).toBe(2);
    expect(await b2).toBe(2);
    expect(await c).toBeNull();
  });

  it('fails only the batch whose read failed, and goes on with the next', async () => {
    let n = 0;
    const reads = new JobReads<string>(async (ids) => {
      n++;
      if (n === 1) throw new Error('mongo down');
      return new Map(ids.map((id) => [id, `rec-${id}`]));
    });
    const a = reads.get('a');
    const b = reads.get('b');
    await expect(a).rejects.toThrow('mongo down');
    expect(await b).toBe('rec-b');
    expect(await reads.get('c')).toBe('rec-c');
  });

  it('caps a batch', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const reads = new JobReads<number>(async (ids) => {
      sizes.push(ids.length);
      if (sizes.length === 1) await gate;
      return new Map();
    }, 2);
    const all = ['x', 'a', 'b', 'c', 'd', 'e'].map((id) => reads.get(id));
    release();
    await Promise.all(all);
    expect(sizes).toEqual([1, 2, 2, 1]);
  });
});
