import type { Kafka } from 'kafkajs';
import type { Config } from '../config/index.js';

/**
 * The topics a worker process writes or reads: task events, the ingest topics and their dead-letter topic, and
 * the hand-off topic of each `dispatch: kafka` service (a broker with `auto.create.topics.enable=false` would
 * otherwise refuse the first hand-off).
 */
export function workerTopics(config: Config): string[] {
  const { kafka } = config;
  const handOff = config.services.list.filter((s) => s.dispatch === 'kafka' && s.topic_name).map((s) => s.topic_name!);
  const ingest = kafka.ingestTopics.length > 0 ? [...kafka.ingestTopics, kafka.deadLetterTopic] : [];
  return [...new Set([kafka.eventsTopic, ...ingest, ...handOff])];
}

/** Creates the topics that do not exist yet (three partitions, replication 1 for the local broker). */
export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions })) });
    }
  } finally {
    await admin.disconnect();
  }
}

export async function kafkaReachable(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}
