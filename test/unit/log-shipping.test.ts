import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LogShipper } from '../../activities/log-shipping.js';
import { logSeq, type ExecutionLogStore } from '../../src/store/execution-logs.js';

const silent = pino({ level: 'silent' });

/** An in-memory stand-in for the MongoDB collection: keeps pieces by key (as the unique index does), can fail. */
class MemoryStore {
  pieces = new Map<number, Buffer>();
  failNext = 0;
  async append(chunks: Array<{ seq: number; data: Buffer }>): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('mongodb away');
    }
    for (const c of chunks) if (!this.pieces.has(c.seq)) this.pieces.set(c.seq, c.data);
  }
  text(): string {
    return Buffer.concat([...this.pieces.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d)).toString('utf8');
  }
}

describe('log shipping', () => {
  it('orders pieces by workflow attempt, then activity attempt, then piece', () => {
    const order = [logSeq(1, 1, 0), logSeq(1, 1, 9_999_998), logSeq(1, 2, 0), logSeq(1, 150, 0), logSeq(2, 1, 0), logSeq(9000, 99, 9_999_999)];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
    expect(order.at(-1)!).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });

  it('ships everything written, once, in order, across a failed write', async () => {
    const store = new MemoryStore();
    const shipper = new LogShipper(store as unknown as ExecutionLogStore, 'e1', 'output', { attempt: 1, activityAttempt: 1 }, silent, 5);
    shipper.write(Buffer.from('one\n'));
    await shipper.flush();
    store.failNext = 1;
    shipper.write(Buffer.from('two\n'));
    await shipper.flush(); // fails: kept for the next flush
    shipper.write(Buffer.from('thr'));
    shipper.write(Buffer.from('ee\n'));
    await shipper.close();
    expect(store.text()).toBe('one\ntwo\nthree\n');
  });

  it('keeps a UTF-8 character split across pieces whole once joined', async () => {
    const store = new MemoryStore();
    const shipper = new LogShipper(store as unknown as ExecutionLogStore, 'e2', 'error', { attempt: 2, activityAttempt: 3 }, silent, 5);
    const bytes = Buffer.from('ü\n');
    shipper.write(bytes.subarray(0, 1));
    await shipper.flush();
    shipper.write(bytes.subarray(1));
    await shipper.close();
    expect(store.pieces.size).toBe(2);
    expect(store.text()).toBe('ü\n');
    expect(Math.min(...store.pieces.keys())).toBe(logSeq(2, 3, 0));
  });
});
