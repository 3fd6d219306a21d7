// The committing consumer on a real broker, where kafkajs alone would lose a member for good or deliver a
// message again: a handling that outlasts the session, a member dropped from the group mid-group, and a
// handler error kafkajs counts as non-retriable.
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaJSNonRetriableError, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/client.js';
import { CommittingConsumer, type ConsumedMessage } from '../../src/kafka/consumer.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { eventually, testEnv } from '../support/env.js';

const env = testEnv('kafkaconsumer');
const { config } = env;
const kafka = createKafka(config, env.logger, '-consumer-test');
// The broker's smallest session timeout (group.min.session.timeout.ms): slow handlings here take 1.5 times it.
const SESSION_TIMEOUT_MS = 6_000;
const consumers: CommittingConsumer[] = [];
let producer: Producer;

beforeAll(async () => {
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  for (const c of consumers) await c.stop().catch(() => undefined);
  await producer?.disconnect();
  await env.cleanup();
});

/** A topic and group of the test's own, so the three cases share nothing. */
async function freshTopic(name: string, partitions: number): Promise<{ topic: string; groupId: string }> {
  const topic = `${config.kafka.ingestTopics[0]!}.${name}`;
  await ensureTopics(kafka, [topic], partitions);
  return { topic, groupId: `${config.kafka.ingestGroup}_${name}` };
}

function consumer(groupId: string, topic: string, handle: (m: ConsumedMessage) => Promise<void>, extra: { rebalanceTimeoutMs?: number } = {}): CommittingConsumer {
  const c = new CommittingConsumer(kafka, { groupId, topics: [topic], sessionTimeoutMs: SESSION_TIMEOUT_MS, logger: env.logger, handle, ...extra });
  consumers.push(c);
  return c;
}

const text = (m: ConsumedMessage) => m.value?.toString('utf8') ?? '';

async function committedOffsets(groupId: string, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  } finally {
    await admin.disconnect();
  }
}

describe('CommittingConsumer', () => {
  it('handles once a message whose handling outlasts the session timeout', { timeout: 180_000 }, async () => {
    const { topic, groupId } = await freshTopic('slow', 1);
    await producer.send({ topic, messages: [{ value: 'slow' }, { value: 'second' }, { value: 'third' }] });
    const handled = new Map<string, number>();
    await consumer(groupId, topic, async (m) => {
      const times = (handled.get(text(m)) ?? 0) + 1;
      handled.set(text(m), times);
      // Only the first handling is slow, so a redelivery shows as a second count rather than a hang.
      if (text(m) === 'slow' && times === 1) await sleep(SESSION_TIMEOUT_MS * 1.5);
    }).start();

    await eventually(async () => handled.has('third'), 'every message handled', 120_000);
    await eventually(async () => ((await committedOffsets(groupId, topic))[0] === '3' ? true : null), 'all three offsets committed', 60_000);
    expect(Object.fromEntries(handled)).toEqual({ slow: 1, second: 1, third: 1 });
  });

  it('a member dropped from the group mid-group rejoins and takes partitions again', { timeout: 240_000 }, async () => {
    const { topic, groupId } = await freshTopic('dropped', 2);
    // A short rebalance timeout: while A is in its slow handling, B's arrival rebalances the group, A cannot
    // rejoin before its handling ends, and the broker completes the rebalance without it. A's commit is refused.
    const rebalanceTimeoutMs = SESSION_TIMEOUT_MS;
    const byA: string[] = [];
    const byB: string[] = [];
    let aSlowStarted = false;
    const a = consumer(
      groupId,
      topic,
      async (m) => {
        byA.push(text(m));
        if (text(m) === 'slow' && !aSlowStarted) {
          aSlowStarted = true;
          await sleep(rebalanceTimeoutMs * 2);
        }
      },
      { rebalanceTimeoutMs },
    );
    const b = consumer(groupId, topic, async (m) => void byB.push(text(m)), { rebalanceTimeoutMs });
    await a.start();
    await producer.send({ topic, messages: [{ value: 'slow', partition: 0 }] });
    await eventually(async () => aSlowStarted, 'A in its slow handling', 60_000);
    await b.start();

    // Once A is back in the group, the two partitions are shared out again, one each: a message on each
    // partition reaches both members. A member kafkajs had stopped would leave both to B.
    await eventually(
      async () => {
        await producer.send({ topic, messages: [0, 1].map((partition) => ({ value: `after-${partition}`, partition })) });
        await sleep(2_000);
        return byA.some((v) => v.startsWith('after-')) && byB.some((v) => v.startsWith('after-'));
      },
      'messages after the rebalance handled by both members',
      180_000,
    );
    // The message A's lost membership could not commit was delivered again (to A or B), and is committed now.
    expect(byA.filter((v) => v === 'slow').length + byB.filter((v) => v === 'slow').length).toBeGreaterThanOrEqual(2);
    await eventually(async () => ((await committedOffsets(groupId, topic))[0] !== '-1' ? true : null), 'partition 0 committed', 60_000);
  });

  it('comes back after a handler error kafkajs would stop for', { timeout: 120_000 }, async () => {
    const { topic, groupId } = await freshTopic('crash', 1);
    await producer.send({ topic, messages: [{ value: 'fails once' }, { value: 'after' }] });
    const handled: string[] = [];
    let failed = false;
    await consumer(groupId, topic, async (m) => {
      handled.push(text(m));
      if (!failed) {
        failed = true;
        throw new KafkaJSNonRetriableError('a non-retriable failure');
      }
    }).start();

    await eventually(async () => handled.includes('after'), 'the message after the failure handled', 90_000);
    // Not committed when it failed, so delivered again after the restart; then the next one.
    expect(handled).toEqual(['fails once', 'fails once', 'after']);
    await eventually(async () => ((await committedOffsets(groupId, topic))[0] === '2' ? true : null), 'both offsets committed', 60_000);
  });
});
