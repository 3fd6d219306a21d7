import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { freeFormObject } from '../domain/free-form.js';
import { isValidTaskId } from '../domain/ids.js';
import { CommittingConsumer, type ConsumedMessage } from '../kafka/consumer.js';
import { ensureTopics } from '../kafka/topics.js';
import type { JsonProducer } from '../kafka/producer.js';
import type { Logger } from '../logging.js';
import { withMessageSpan } from '../tracing/spans.js';
import { ServiceTaskError, type ServiceTasks } from './service.js';

const taskMessageSchema = z.object({
  Task: z.object({
    task_id: z.string().refine(isValidTaskId, 'task_id may hold letters, digits and _ . : @ - (at most 200)').optional(),
    service: z.string().min(1),
    source_name: z.string().optional(),
    // Any keys (stored losslessly), within the bounds an HTTP condition has: a message is not bounded by a body guard.
    condition: freeFormObject(),
  }),
});
export type IngestTaskMessage = z.infer<typeof taskMessageSchema>;

export type ParseResult = { ok: true; message: IngestTaskMessage } | { ok: false; reason: string };

/** Parses one ingest message: UTF-8 JSON `{"Task": {task_id?, service, source_name?, condition}}`. */
export function parseIngestMessage(value: Buffer | null): ParseResult {
  if (!value || value.length === 0) return { ok: false, reason: 'empty message' };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
  } catch (e) {
    return { ok: false, reason: `not UTF-8 JSON: ${(e as Error).message}` };
  }
  const parsed = taskMessageSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: `not a {"Task": {...}} message: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ')}` };
  }
  return { ok: true, message: parsed.data };
}

/** What goes to the dead-letter topic: the reason and where the message came from, with its bytes as text. */
export interface DeadLetter {
  reason: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  at: string;
}

export interface IngestCounters {
  started: number;
  duplicates: number;
  deadLettered: number;
}

export interface ServiceIngestOptions {
  kafka: Kafka;
  producer: JsonProducer;
  tasks: ServiceTasks;
  logger: Logger;
  groupId: string;
  topics: string[];
  deadLetterTopic: string;
  /**
   * Group members this process runs (each a CommittingConsumer working on all its partitions at once). Default
   * 1; bench/service-ingest.ts runs 4 in one process (0 lost, 0 duplicated over 1,000 tasks).
   */
  members?: number;
}

/**
 * The ingest consumer group: each `{"Task": …}` message starts a service task (its task_id, or a new one). The
 * offset is committed only after the task's workflow has started (or was found already started: a duplicate);
 * a malformed message is written to the dead-letter topic, then committed. Anything else (Temporal or MongoDB
 * down) throws, so the message is delivered again.
 */
export class ServiceIngest {
  readonly counters: IngestCounters = { started: 0, duplicates: 0, deadLettered: 0 };
  private readonly consumers: CommittingConsumer[];

  constructor(private readonly options: ServiceIngestOptions) {
    this.consumers = Array.from(
      { length: Math.max(1, options.members ?? 1) },
      () =>
        new CommittingConsumer(options.kafka, {
          groupId: options.groupId,
          topics: options.topics,
          fromBeginning: true,
          // Starting a task is a few round trips to MongoDB and Temporal: messages of a partition go 16 at a
          // time, and each member works on all its partitions at once. Duplicates within a group are
          // still caught (the record insert and the workflow id decide).
          concurrency: 16,
          partitions: 8,
          logger: options.logger,
          handle: async (m) => {
            await this.handle(m);
          },
        }),
    );
  }

  /** One message; a message that carries a trace context is handled in a span of that trace (`process <topic>`). */
  handle(m: ConsumedMessage): Promise<'started' | 'duplicate' | 'dead-lettered'> {
    const attributes = { 'messaging.system': 'kafka', 'messaging.operation.type': 'process', 'messaging.destination.name': m.topic };
    return withMessageSpan(m.headers, `process ${m.topic}`, attributes, () => this.handleMessage(m));
  }

  private async handleMessage(m: ConsumedMessage): Promise<'started' | 'duplicate' | 'dead-lettered'> {
    const parsed = parseIngestMessage(m.value);
    if (!parsed.ok) return this.deadLetter(m, parsed.reason);
    const task = parsed.message.Task;
    try {
      const out = await this.options.tasks.create({ service: task.service, condition: task.condition, taskId: task.task_id });
      if (out.duplicate) {
        this.counters.duplicates += 1;
        return 'duplicate';
      }
      this.counters.started += 1;
      return 'started';
    } catch (e) {
      if (e instanceof ServiceTaskError) return this.deadLetter(m, e.message);
      throw e;
    }
  }

  private async deadLetter(m: ConsumedMessage, reason: string): Promise<'dead-lettered'> {
    const letter: DeadLetter = {
      reason,
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      key: m.key,
      value: m.value ? m.value.toString('utf8') : null,
      at: new Date().toISOString(),
    };
    await this.options.producer.send(this.options.deadLetterTopic, [{ key: m.key ?? undefined, value: letter }]);
    this.counters.deadLettered += 1;
    this.options.logger.warn({ reason, topic: m.topic, partition: m.partition, offset: m.offset }, 'ingest message dead-lettered');
    return 'dead-lettered';
  }

  /**
   * Creates the ingest and dead-letter topics when they are missing (a fresh broker has neither, and kafkajs
   * refuses to subscribe to a topic the broker does not host yet), then joins the group.
   */
  async start(): Promise<void> {
    await ensureTopics(this.options.kafka, [...this.options.topics, this.options.deadLetterTopic]);
    await Promise.all(this.consumers.map((c) => c.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
