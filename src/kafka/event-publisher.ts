import type { Logger } from '../logging.js';
import { traceHeaders } from '../tracing/spans.js';
import type { JsonProducer, OutgoingMessage } from './producer.js';

export interface EventPublisherOptions {
  /** Most messages held while the broker is slow or away; past it the oldest are dropped and counted. */
  maxBuffered?: number;
  flushIntervalMs?: number;
  maxBatch?: number;
}

/**
 * Task events are announcements, not the record (MongoDB is): they must never hold up a job. Mirror writes
 * enqueue here and return at once; a background loop sends batches per topic, so one slow broker round trip
 * carries many events instead of serialising every state change behind the last.
 */
export class EventPublisher {
  private readonly queue: { topic: string; message: OutgoingMessage }[] = [];
  private readonly maxBuffered: number;
  private readonly maxBatch: number;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;
  dropped = 0;
  sent = 0;

  constructor(
    private readonly producer: JsonProducer,
    private readonly logger: Logger,
    options: EventPublisherOptions = {},
  ) {
    this.maxBuffered = options.maxBuffered ?? 50_000;
    this.maxBatch = options.maxBatch ?? 500;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 20);
    this.timer.unref();
  }

  /**
   * Queues one event. Sent later in a batch (no span of its own), it carries the trace of the work that caused it
   * as a `traceparent` header when that work is traced.
   */
  publish(topic: string, event: OutgoingMessage): void {
    const trace = traceHeaders();
    const message = trace ? { ...event, headers: { ...event.headers, ...trace } } : event;
    if (this.queue.length >= this.maxBuffered) {
      this.queue.shift();
      this.dropped += 1;
      if (this.dropped % 1000 === 1) this.logger.warn({ dropped: this.dropped }, 'task events dropped: the broker is not keeping up');
    }
    this.queue.push({ topic, message });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Sends what is queued now; concurrent calls share one flush. */
  flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return this.flushing ?? Promise.resolve();
    this.flushing = (async () => {
      try {
        while (this.queue.length > 0) {
          const batch = this.queue.slice(0, this.maxBatch);
          const byTopic = new Map<string, OutgoingMessage[]>();
          for (const { topic, message } of batch) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
          try {
            for (const [topic, messages] of byTopic) await this.producer.send(topic, messages);
          } catch (e) {
            this.logger.warn({ err: (e as Error).message, pending: this.queue.length }, 'task events not sent yet; will retry');
            return;
          }
          this.queue.splice(0, batch.length);
          this.sent += batch.length;
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** Flushes what it can within `timeoutMs`, then stops. */
  async close(timeoutMs = 5000): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    if (this.queue.length > 0) this.logger.warn({ lost: this.queue.length }, 'task events not sent before shutdown');
  }
}
