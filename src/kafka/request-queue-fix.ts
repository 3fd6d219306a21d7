import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4, its last release, keeps every open broker connection in a 1 ms timer loop: after each response
 * its request queue re-arms the check for queued requests with a delay of zero or less, even when nothing is
 * queued, and the check re-arms itself (tulios/kafkajs issues 1556 and 1704; the fix, pull request 1667, was
 * never released). An idle worker process spent 61-87 ms of CPU a second with the loop and 25-40 without
 * (docs/decisions.md, "kafkajs' idle timer loop").
 *
 * The fix arms the check only while a request waits in the queue, as that pull request does. A queued request is
 * still sent when the throttle that held it ends or when an in-flight request completes: `push` arms the check
 * for it, and every response and timeout runs the check.
 *
 * The fix is written against one kafkajs version. Any other version is left as it is, and the unit test
 * (test/unit/kafka-request-queue-fix.test.ts) fails, so an upgrade has to look at this again.
 */
export const KAFKAJS_FIXED_VERSION = '2.2.4';

interface RequestQueuePrototype {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

const FIXED = Symbol.for('switchyard.kafkajs.idle-loop-fixed');
const require = createRequire(import.meta.url);

/** Applies the fix once per process; true when the installed kafkajs is the version it is written for. */
export function fixKafkajsIdleLoop(): boolean {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_FIXED_VERSION) return false;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueuePrototype & { [FIXED]?: true } };
  const proto = RequestQueue.prototype;
  if (proto[FIXED]) return true;
  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueuePrototype) {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
  proto[FIXED] = true;
  return true;
}
