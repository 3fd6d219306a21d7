import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';
import { fixKafkajsIdleLoop } from './request-queue-fix.js';

/** kafkajs logs through pino at warn and above; its own retry chatter stays out of the logs. */
function logCreator(logger: Logger | undefined) {
  return () => (entry: LogEntry) => {
    if (!logger) return;
    // Our producers bound their retries on purpose (a send must not block a job for ever); kafkajs warns each time.
    if (entry.log.message?.startsWith('Limiting retries for the idempotent producer')) return;
    const { message, ...rest } = entry.log;
    const fields = { kafka: entry.namespace, ...rest };
    if (entry.level === logLevel.ERROR) logger.error(fields, message);
    else if (entry.level === logLevel.WARN) logger.warn(fields, message);
  };
}

/** `retries` overrides the client's own retry count (boot checks make one try per attempt and back off themselves). */
export function createKafka(config: Config, logger?: Logger, clientSuffix = '', overrides: { retries?: number } = {}): Kafka {
  // Before the first connection: kafkajs would otherwise keep every connection in a 1 ms timer loop.
  fixKafkajsIdleLoop();
  const { kafka } = config;
  const options: KafkaConfig = {
    clientId: `${kafka.clientId}${clientSuffix}`,
    brokers: [...kafka.brokers],
    ssl: kafka.ssl,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: overrides.retries ?? 5, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: logCreator(logger),
  };
  if (kafka.saslUsername) {
    const password = kafka.saslPassword ?? '';
    options.sasl =
      kafka.saslMechanism === 'plain'
        ? { mechanism: 'plain', username: kafka.saslUsername, password }
        : kafka.saslMechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username: kafka.saslUsername, password }
          : { mechanism: 'scram-sha-512', username: kafka.saslUsername, password };
  }
  return new Kafka(options);
}
