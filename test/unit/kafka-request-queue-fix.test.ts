import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fixKafkajsIdleLoop, KAFKAJS_FIXED_VERSION } from '../../src/kafka/request-queue-fix.js';
import { eventually } from '../support/env.js';

// kafkajs' own request queue, driven without a socket: what it sends is what `sendRequest` records.
const require = createRequire(import.meta.url);
interface Queue {
  pending: unknown[];
  throttleCheckTimeoutId: unknown;
  push(r: { entry: Record<string, unknown>; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (o: Record<string, unknown>) => Queue;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function queue(maxInFlightRequests: number | null = null) {
  const q = new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b:9092', logger: silent });
  const sent: number[] = [];
  let id = 0;
  const push = () => {
    const correlationId = ++id;
    q.push({ entry: { correlationId, apiKey: 3, apiName: 'Metadata', apiVersion: 0, resolve: () => undefined }, expectResponse: true, sendRequest: () => sent.push(correlationId) });
    return correlationId;
  };
  const answer = (correlationId: number) => q.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });
  return { q, sent, push, answer };
}

describe('kafkajs idle timer loop (src/kafka/request-queue-fix.ts)', () => {
  it('applies to the installed kafkajs: an upgrade fails here until the fix is looked at again', () => {
    const { version } = require('kafkajs/package.json') as { version: string };
    expect(version).toBe(KAFKAJS_FIXED_VERSION);
    expect(fixKafkajsIdleLoop()).toBe(true);
    expect(fixKafkajsIdleLoop()).toBe(true);
  });

  it('an answered request with nothing queued leaves no timer armed', () => {
    fixKafkajsIdleLoop();
    const { q, sent, push, answer } = queue();
    const id = push();
    expect(sent).toEqual([id]);
    answer(id);
    // Unfixed, the answer arms a check with a delay of -1 ms that re-arms itself for as long as the queue lives.
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });

  it('a request over the in-flight limit is sent when the one before it is answered', async () => {
    fixKafkajsIdleLoop();
    const { q, sent, push, answer } = queue(1);
    const first = push();
    const second = push();
    expect(sent).toEqual([first]);
    expect(q.pending).toHaveLength(1);
    answer(first);
    expect(sent).toEqual([first, second]);
    answer(second);
    // The check armed while the second request waited runs once, finds the queue empty and does not re-arm.
    await eventually(async () => q.throttleCheckTimeoutId === null, 'no check armed once the queue is empty', 5000, 10);
    q.destroy();
  });

  it('a request held by a broker throttle is sent when the throttle ends', async () => {
    fixKafkajsIdleLoop();
    const { q, sent, push } = queue();
    q.maybeThrottle(50);
    const held = push();
    expect(sent).toEqual([]);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await eventually(async () => sent.includes(held), 'the throttled request sent', 5000, 10);
    q.destroy();
  });
});
