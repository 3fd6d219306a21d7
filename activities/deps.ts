import type { Config } from '../src/config/index.js';
import type { EventPublisher } from '../src/kafka/event-publisher.js';
import type { JsonProducer } from '../src/kafka/producer.js';
import type { Logger } from '../src/logging.js';
import type { TaskStore } from '../src/store/tasks.js';

/** What activities need from the process that runs them; tests pass their own. */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  tasks: TaskStore;
  /** Null when the process runs without Kafka. Sends directly: for messages a job depends on (hand-offs). */
  producer: JsonProducer | null;
  /** Batched, non-blocking task events; null without Kafka (events are then only mirrored). */
  events: EventPublisher | null;
  workerName: string;
}
