import { Partitioners, type Kafka, type Producer, type RecordMetadata } from 'kafkajs';

export interface OutgoingMessage {
  key?: string;
  /** Sent as UTF-8 JSON bytes. */
  value: unknown;
  headers?: Record<string, string>;
}

/** One idempotent producer per process: a retried send cannot write a message twice within a session. */
export class JsonProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(kafka: Kafka) {
    // The default (murmur2) partitioner is the one Java clients use, so keyed messages land where theirs would.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((e: unknown) => {
      this.connected = null;
      throw e;
    });
    return this.connected;
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<RecordMetadata[]> {
    await this.connect();
    return this.producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key ?? null,
        value: Buffer.from(JSON.stringify(m.value), 'utf8'),
        headers: m.headers,
      })),
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = null;
  }
}
