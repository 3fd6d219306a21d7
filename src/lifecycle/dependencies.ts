import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/index.js';
import { createKafka } from '../kafka/client.js';
import { ensureTopics, kafkaReachable } from '../kafka/topics.js';
import type { Logger } from '../logging.js';
import { prepareDatabase } from '../store/indexes.js';
import { connectMongo, type MongoHandle } from '../store/mongo.js';
import { connectTemporalClient, ensureSearchAttributes, type TemporalClientHandle } from '../temporal/connection.js';
import { installTemporalRuntime } from '../temporal/runtime.js';
import { BootAbortedError, BootDeadline, waitFor, type WaitOptions } from './wait.js';

type Step = Omit<WaitOptions, 'signal'> & { signal: AbortSignal };

/** Temporal's client says only "Failed to connect before the deadline": name the address instead. */
function temporalError(config: Config, e: unknown): Error {
  const message = (e as Error)?.message ?? String(e);
  if (/before the deadline/i.test(message)) return new Error(`no connection to ${config.temporal.address} within 10 s`);
  return e instanceof Error ? e : new Error(message);
}

/** The worker's Temporal core reports a refused connection as a Rust debug dump: keep what it says. */
function nativeConnectionError(e: unknown): Error {
  const message = (e as Error)?.message ?? String(e);
  const m = /ConnectError\("([^"]+)", ([^,]+), .*?message: "([^"]+)"/.exec(message);
  if (m) return new Error(`${m[1]} ${m[2]}: ${m[3]}`);
  return e instanceof Error ? e : new Error(message);
}

/** MongoDB: a connection, then the migration step and every index (each retried until the deadline). */
async function bootMongo(config: Config, logger: Logger, step: Step): Promise<MongoHandle> {
  const mongo = await waitFor('mongodb', () => connectMongo(config, config.mongo.db, logger), { ...step, dispose: (m) => m.close() });
  try {
    await waitFor('mongodb indexes', () => prepareDatabase(mongo.db, { serviceTaskCollection: config.mongo.serviceTaskCollection }, logger), step);
    return mongo;
  } catch (e) {
    await mongo.close().catch(() => undefined);
    throw e;
  }
}

/** Temporal for the API: a client connection, then the namespace's search attributes. */
async function bootTemporalClient(config: Config, step: Step): Promise<TemporalClientHandle> {
  const temporal = await waitFor(
    'temporal',
    () => connectTemporalClient(config).catch((e: unknown) => Promise.reject(temporalError(config, e))),
    { ...step, dispose: (t) => t.close() },
  );
  try {
    await waitFor('temporal search attributes', () => ensureSearchAttributes(temporal.connection, config.temporal.namespace), step);
    return temporal;
  } catch (e) {
    await temporal.close().catch(() => undefined);
    throw e;
  }
}

/** Temporal for a worker: the native connection its pollers use, then the namespace's search attributes. */
async function bootNativeConnection(config: Config, logger: Logger, step: Step): Promise<NativeConnection> {
  await installTemporalRuntime(logger, { metricsPort: config.worker.sdkMetricsPort });
  const connection = await waitFor(
    'temporal',
    () => NativeConnection.connect({ address: config.temporal.address }).catch((e: unknown) => Promise.reject(nativeConnectionError(e))),
    { ...step, dispose: (c) => c.close() },
  );
  try {
    await waitFor('temporal search attributes', () => ensureSearchAttributes(connection, config.temporal.namespace), step);
    return connection;
  } catch (e) {
    await connection.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Kafka: the brokers answer and the topics the process uses exist. A client of its own that makes one try per
 * attempt, and logs nothing itself: the attempt's one line says it all.
 */
async function bootKafka(config: Config, topics: string[], step: Step): Promise<void> {
  const kafka = createKafka(config, undefined, '-boot', { retries: 0 });
  await waitFor('kafka', () => (topics.length > 0 ? ensureTopics(kafka, topics) : kafkaReachable(kafka)), step);
}

type Booted<T> = { [K in keyof T]: T[K] };

/**
 * Runs each dependency's boot side by side under one deadline. When one fails, the others stop at their next
 * pause, what they had opened is closed, and the first failure is thrown (a BootDeadlineError, whose message is
 * the one line the process exits with).
 */
async function bootAll<T extends Record<string, unknown>>(
  steps: { [K in keyof T]: (step: Step) => Promise<T[K]> },
  close: { [K in keyof T]?: (value: T[K]) => Promise<unknown> },
  opts: { deadline: BootDeadline; logger: Logger; signal?: AbortSignal },
): Promise<Booted<T>> {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const keys = Object.keys(steps) as (keyof T)[];
  let first: unknown = null;
  const settled = await Promise.allSettled(
    keys.map((k) =>
      steps[k]({ deadline: opts.deadline, logger: opts.logger, signal: abort.signal }).catch((e: unknown) => {
        if (first === null || (first instanceof BootAbortedError && !(e instanceof BootAbortedError))) first = e;
        abort.abort();
        throw e;
      }),
    ),
  );
  opts.signal?.removeEventListener('abort', onOuterAbort);
  if (first === null) return Object.fromEntries(keys.map((k, i) => [k, (settled[i] as PromiseFulfilledResult<unknown>).value])) as Booted<T>;
  await Promise.all(
    keys.map(async (k, i) => {
      const r = settled[i]!;
      if (r.status === 'fulfilled') await close[k]?.(r.value as T[typeof k])?.catch(() => undefined);
    }),
  );
  throw first;
}

export interface BootOptions {
  config: Config;
  logger: Logger;
  /** Without Kafka (tests): not waited for. */
  kafka: boolean;
  /** Stops the wait (the process was asked to stop while it waited). */
  signal?: AbortSignal;
}

export function bootDeadline(config: Config): BootDeadline {
  return new BootDeadline(config.boot.deadlineSeconds);
}

/** What `switchyard api` waits for: MongoDB (migrated, indexed), a Temporal client (search attributes), Kafka. */
export async function bootApiDependencies(opts: BootOptions): Promise<{ mongo: MongoHandle; temporal: TemporalClientHandle }> {
  const { config, logger } = opts;
  const deadline = bootDeadline(config);
  const booted = await bootAll<{ mongo: MongoHandle; temporal: TemporalClientHandle; kafka: void }>(
    {
      mongo: (step) => bootMongo(config, logger, step),
      temporal: (step) => bootTemporalClient(config, step),
      kafka: (step) => (opts.kafka ? bootKafka(config, [], step) : Promise.resolve()),
    },
    { mongo: (m) => m.close(), temporal: (t) => t.close() },
    { deadline, logger, signal: opts.signal },
  );
  return { mongo: booted.mongo, temporal: booted.temporal };
}

/** What `switchyard worker` waits for: MongoDB (migrated, indexed), Temporal (search attributes), Kafka (its topics). */
export async function bootWorkerDependencies(opts: BootOptions & { topics: string[] }): Promise<{ mongo: MongoHandle; connection: NativeConnection }> {
  const { config, logger } = opts;
  const deadline = bootDeadline(config);
  const booted = await bootAll<{ mongo: MongoHandle; connection: NativeConnection; kafka: void }>(
    {
      mongo: (step) => bootMongo(config, logger, step),
      connection: (step) => bootNativeConnection(config, logger, step),
      kafka: (step) => (opts.kafka ? bootKafka(config, opts.topics, step) : Promise.resolve()),
    },
    { mongo: (m) => m.close(), connection: (c) => c.close() },
    { deadline, logger, signal: opts.signal },
  );
  return { mongo: booted.mongo, connection: booted.connection };
}
