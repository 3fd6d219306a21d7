import { MongoClient, type Db, type ServerDescriptionChangedEvent } from 'mongodb';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

function clientOptions(config: Config) {
  return {
    serverSelectionTimeoutMS: config.mongo.timeoutMs,
    connectTimeoutMS: config.mongo.timeoutMs,
    socketTimeoutMS: Math.max(30_000, config.mongo.timeoutMs * 4),
    // The driver would otherwise queue operations for ever while the server is away; fail fast and answer 503.
    waitQueueTimeoutMS: config.mongo.timeoutMs,
    maxPoolSize: 50,
    appName: 'switchyard',
  };
}

/** A client that saw its server unreachable this long, while a new connection reaches it, is stuck. */
const STUCK_CHECK_MS = 5000;
/** Longer than the driver's heartbeat (10 s): a working client notices a server that came back within it. */
const STUCK_CONFIRM_MS = 15_000;

/**
 * Seen once in the fault suite (FerretDB stopped for 15 s): an API process's client kept answering "connection
 * N closed" for minutes after the server was back, with no connection open, while the workers' clients had
 * recovered; its server monitoring had stopped. So: while the client sees its server as unreachable, a fresh
 * connection is tried now and then; if the server answers it and the client still has not noticed a heartbeat
 * later, the client reconnects (its Db and collection objects stay valid; operations in flight fail and are
 * answered 503 like any other during an outage).
 */
function watchForStuckClient(client: MongoClient, config: Config, logger?: Logger): () => void {
  let unknownSince: number | null = null;
  let reachableSince: number | null = null;
  client.on('serverDescriptionChanged', (e: ServerDescriptionChangedEvent) => {
    if (e.newDescription.type === 'Unknown') unknownSince ??= Date.now();
    else unknownSince = reachableSince = null;
  });
  let busy = false;
  const check = async () => {
    if (busy || unknownSince === null || Date.now() - unknownSince < STUCK_CHECK_MS) return;
    busy = true;
    const probe = new MongoClient(config.mongo.url, { ...clientOptions(config), serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000, maxPoolSize: 1 });
    try {
      await probe.connect();
      await probe.db('admin').command({ ping: 1 });
      reachableSince ??= Date.now();
      if (Date.now() - reachableSince < STUCK_CONFIRM_MS || unknownSince === null) return;
      logger?.warn({ unknownForMs: Date.now() - unknownSince }, 'MongoDB answers a new connection but this client still sees it unreachable: reconnecting');
      await client.close();
      await client.connect();
      unknownSince = reachableSince = null;
    } catch {
      reachableSince = null; // still away (or the reconnect failed): try again at the next check
    } finally {
      await probe.close().catch(() => undefined);
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), STUCK_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export async function connectMongo(config: Config, dbName = config.mongo.db, logger?: Logger): Promise<MongoHandle> {
  const client = new MongoClient(config.mongo.url, clientOptions(config));
  try {
    await client.connect();
  } catch (e) {
    await client.close().catch(() => undefined);
    throw e;
  }
  const stopWatch = watchForStuckClient(client, config, logger);
  const db = client.db(dbName);
  return {
    client,
    db,
    close: async () => {
      stopWatch();
      await client.close();
    },
  };
}

export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}
