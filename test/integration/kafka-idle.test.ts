// An idle Kafka connection made the way every process makes them (createKafka) does no work: kafkajs 2.2.4
// would run each connection's queue check in a 1 ms timer loop (src/kafka/request-queue-fix.ts).
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { loadConfig } from '../../src/config/index.js';
import { createKafka } from '../../src/kafka/client.js';

const config = loadConfig();
const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: { checkPendingRequests(): void } };

describe('Kafka connections at rest', () => {
  let producer: Producer | undefined;
  afterAll(async () => {
    await producer?.disconnect();
  });

  it('an idle producer checks its request queue only when a request waits', async () => {
    producer = createKafka(config, undefined, '-idle-test').producer();
    await producer.connect();
    // The connection has had its answers (API versions, metadata): from here on nothing is asked of the broker.
    const checks = { n: 0 };
    const check = RequestQueue.prototype.checkPendingRequests;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks.n++;
      check.call(this);
    };
    try {
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      RequestQueue.prototype.checkPendingRequests = check;
    }
    // With the loop, every open connection checks about once a millisecond: hundreds in half a second.
    expect(checks.n).toBeLessThan(20);
  });
});
