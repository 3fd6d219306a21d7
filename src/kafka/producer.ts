import { SpanKind } from '@opentelemetry/api';
import { Partitioners, type Kafka, type Producer, type RecordMetadata } from 'kafkajs';
import { traceHeaders, withSpan } from '../tracing/spans.js';

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

  /**
   * Sends the messages. Inside a trace (a traced activity handing a service task off), the send is a producer
   * span and each message carries its W3C `traceparent` header, so whoever consumes it can continue the trace;
   * outside one, messages go as given (headers a caller set, such as a task event's own trace, are kept).
   */
  async send(topic: string, messages: OutgoingMessage[]): Promise<RecordMetadata[]> {
    await this.connect();
    const attributes = { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': topic, 'messaging.batch.message_count': messages.length };
    return withSpan(`send ${topic}`, SpanKind.PRODUCER, attributes, async (span) => {
      const trace = span ? traceHeaders() : undefined;
      return this.producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({
          key: m.key ?? null,
          value: Buffer.from(JSON.stringify(m.value), 'utf8'),
          headers: trace ? { ...m.headers, ...trace } : m.headers,
        })),
      });
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = null;
  }
}
