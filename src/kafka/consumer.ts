import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: KafkaMessage['headers'];
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /**
   * Handles one message. The offset is committed only after it resolves, so a crash mid-handling re-delivers
   * the message: handlers must be idempotent (task ids are workflow ids, which makes starts idempotent).
   */
  handle(message: ConsumedMessage): Promise<void>;
  /**
   * Messages of one partition handled side by side (default 1: strictly one after another). The offset is
   * committed after each group of this many has been handled, so what is committed is always fully handled;
   * a crash re-delivers at most one group, which idempotent handlers absorb.
   */
  concurrency?: number;
  /** Partitions this consumer works on at once (kafkajs `partitionsConsumedConcurrently`, default 1). */
  partitions?: number;
}

export class CommittingConsumer {
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly options: ConsumerOptions,
  ) {
    this.consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: true });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    }
    const group = Math.max(1, this.options.concurrency ?? 1);
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.options.partitions ?? 1),
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += group) {
          if (!isRunning() || isStale()) return;
          const part = batch.messages.slice(i, i + group);
          await Promise.all(
            part.map((message) =>
              this.options.handle({
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
                key: message.key ? message.key.toString('utf8') : null,
                value: message.value,
                headers: message.headers,
              }),
            ),
          );
          const last = part[part.length - 1]!.offset;
          resolveOffset(last);
          await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
