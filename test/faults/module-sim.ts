/**
 * A simulated external algorithm module for a `dispatch: kafka` service (the long-task document's model): it
 * reads the service's topic in its own consumer group and reports each task `running`, then `finished`, through
 * `/api/update_status_task`, retrying while the API is away or answers 5xx, as a module in production would.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { HttpClient, NoAnswerError } from './http.js';

export interface ModuleSimOptions {
  brokers: string;
  topic: string;
  groupId: string;
  apis: () => string[];
  token: string;
  /** How long a task "runs" in the module. */
  workMs?: number;
}

export class ModuleSim {
  readonly http = new HttpClient(30_000);
  /** Hand-off messages received per task id (the module's own view; kcat counts independently). */
  readonly received = new Map<string, number>();
  readonly reported = new Set<string>();
  /** Reports the API refused with a 4xx other than "already ended" (a module bug or a service defect). */
  readonly refused: Array<{ taskId: string; status: number; body: unknown }> = [];
  private consumer: Consumer | null = null;
  private stopped = false;
  private turn = 0;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly opts: ModuleSimOptions) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: `module-${this.opts.groupId}`, brokers: [this.opts.brokers], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5000 } });
    const consumer = kafka.consumer({ groupId: this.opts.groupId, retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5000 } });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    // kafkajs restarts a crashed consumer on retriable errors; one that gives up entirely is started again here.
    consumer.on(consumer.events.CRASH, (e) => {
      const restart = (e.payload as { restart?: boolean }).restart;
      if (!restart && !this.stopped) void this.restart(kafka);
    });
    await this.run(consumer);
  }

  private async restart(kafka: Kafka): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    if (this.stopped) return;
    const consumer = kafka.consumer({ groupId: this.opts.groupId });
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
      await this.run(consumer);
    } catch {
      void this.restart(kafka);
    }
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.run({
      eachMessage: async ({ message }) => {
        let taskId: string | undefined;
        try {
          taskId = (JSON.parse(message.value?.toString('utf8') ?? '') as { Task?: { task_id?: string } }).Task?.task_id;
        } catch {
          return;
        }
        if (!taskId) return;
        this.received.set(taskId, (this.received.get(taskId) ?? 0) + 1);
        const p = this.work(taskId).finally(() => this.inflight.delete(p));
        this.inflight.add(p);
      },
    });
  }

  private nextApi(): string {
    const all = this.opts.apis();
    this.turn = (this.turn + 1) % all.length;
    return all[this.turn]!;
  }

  /** Reports one status until the API takes it (2xx) or says it can never take it (4xx). */
  private async report(taskId: string, status: 'running' | 'finished'): Promise<void> {
    for (let wait = 250; !this.stopped; wait = Math.min(3000, wait * 2)) {
      try {
        const r = await this.http.call('POST', `${this.nextApi()}/api/update_status_task`, { authorization: this.opts.token }, { data: { task_id: taskId, status, message: `${status} by module`, ...(status === 'finished' ? { data: { done: taskId } } : {}) } });
        if (r.status === 200) return;
        if (r.status < 500) {
          // 409 after a redelivery: the task already moved on. Anything else is worth reporting.
          if (r.status !== 409) this.refused.push({ taskId, status: r.status, body: r.json });
          return;
        }
      } catch (e) {
        if (!(e instanceof NoAnswerError)) throw e;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async work(taskId: string): Promise<void> {
    await this.report(taskId, 'running');
    await new Promise((r) => setTimeout(r, this.opts.workMs ?? 300));
    await this.report(taskId, 'finished');
    this.reported.add(taskId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.allSettled([...this.inflight]);
  }
}
