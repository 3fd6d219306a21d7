import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logging.js';

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
  /**
   * How long the broker waits without a heartbeat before it drops this member and hands its partitions on
   * (kafkajs default 30 s). Heartbeats go out every 3 s (at most a third of it), also while a group is being
   * handled.
   */
  sessionTimeoutMs?: number;
  /**
   * How long a rebalance waits for this member to rejoin (kafkajs default 60 s). A member handling a group
   * rejoins only after the group, so a slower group is dropped from the generation; its commit is refused and
   * it rejoins, and the group is delivered again.
   */
  rebalanceTimeoutMs?: number;
  /** Where a restart after a crash is reported. */
  logger?: Logger;
}

const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
const RESTART_FIRST_DELAY_MS = 1_000;
const RESTART_MAX_DELAY_MS = 30_000;

export class CommittingConsumer {
  private readonly consumer: Consumer;
  private readonly heartbeatEveryMs: number;
  private stopping = false;
  private restartDelayMs = RESTART_FIRST_DELAY_MS;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: ConsumerOptions,
  ) {
    const sessionTimeout = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.heartbeatEveryMs = Math.min(3_000, Math.floor(sessionTimeout / 3));
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: true,
      sessionTimeout,
      heartbeatInterval: this.heartbeatEveryMs,
      ...(options.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeout: options.rebalanceTimeoutMs }),
    });
    // kafkajs restarts a crashed consumer only when the cause counts as retriable; on any other crash it
    // disconnects and stays down, and the group's messages wait in Kafka until the process restarts. Nothing
    // here is worth that: the consumer comes back, with a delay that grows while the crashes go on.
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.scheduleRestart(payload.error, 'Kafka consumer crashed; restarting it');
    });
  }

  private scheduleRestart(err: unknown, message: string): void {
    if (this.stopping) return;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(RESTART_MAX_DELAY_MS, delayMs * 2);
    this.options.logger?.error({ groupId: this.options.groupId, err, delayMs }, message);
    this.restartTimer = setTimeout(() => void this.restart(), delayMs);
  }

  private async restart(): Promise<void> {
    this.restartTimer = undefined;
    if (this.stopping) return;
    try {
      await this.join();
      // stop() came while the restart was joining: it disconnected a consumer that was not running yet.
      if (this.stopping) await this.consumer.disconnect();
    } catch (err) {
      // A join that fails before run() makes no crash report, so the next try is scheduled here.
      this.scheduleRestart(err, 'Kafka consumer restart failed; trying again');
    }
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.join();
  }

  /** Connects, subscribes and runs: the first start, and each restart after a crash. */
  private async join(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    }
    const group = Math.max(1, this.options.concurrency ?? 1);
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.options.partitions ?? 1),
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += group) {
          if (!isRunning() || isStale()) return;
          const part = batch.messages.slice(i, i + group);
          // kafkajs heartbeats only between batches and when asked. A group slower than the session timeout
          // (a loaded Temporal or MongoDB) would get this member dropped, its commit refused and the group
          // delivered again, to it or to another member, for as long as the slowness lasts. So the group keeps
          // the session alive while it runs; a refused heartbeat (a rebalance) is left to the commit to report.
          const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), this.heartbeatEveryMs);
          try {
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
          } finally {
            clearInterval(keepAlive);
          }
          const last = part[part.length - 1]!.offset;
          resolveOffset(last);
          // Committed through the batch's own call, not Consumer.commitOffsets: that one wraps a refusal for a
          // lost membership (a rebalance, an expired session) as non-retriable, and kafkajs then stops the
          // consumer. From here the refusal reaches kafkajs as it is, and kafkajs rejoins the group.
          const next = (BigInt(last) + 1n).toString();
          await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
          this.restartDelayMs = RESTART_FIRST_DELAY_MS;
          await heartbeat();
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.consumer.disconnect();
  }
}
