import { ConfigError } from './errors.js';

type Tree = Record<string, unknown>;

const OWN_SECTIONS = ['env', 'logLevel', 'api', 'boot', 'temporal', 'mongo', 'kafka', 'auth', 'codec', 'worker', 'device', 'scheduler', 'gpu', 'outbound', 'tracing', 'services'];
const LONG_TASK_KEYS = ['default_env', 'service', 'source_db', 'max_status_task', 'mq_conf'];
const ENV_BLOCKS = ['TEST', 'STAGE', 'PRODUCTION'];

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a YAML document that may be written in the long-task document's own format (default_env, service,
 * source_db, max_status_task, mq_conf, TEST/STAGE/PRODUCTION) and/or in Switchyard's sections, and returns
 * the same tree the schema expects.
 */
export function fromLongTaskYaml(doc: Tree): { tree: Tree; usesMongoBlock: boolean } {
  const unknown = Object.keys(doc).filter((k) => !OWN_SECTIONS.includes(k) && !LONG_TASK_KEYS.includes(k) && !ENV_BLOCKS.includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(`Invalid configuration: unknown top-level YAML key(s): ${unknown.join(', ')}`);
  }
  const tree: Tree = {};
  for (const k of OWN_SECTIONS) if (doc[k] !== undefined) tree[k] = doc[k];

  if (doc.default_env !== undefined) tree.env = doc.default_env;

  if (doc.service !== undefined) {
    if (!Array.isArray(doc.service)) throw new ConfigError('Invalid configuration: service must be a list of service names');
    const sourceDb = isTree(doc.source_db) ? doc.source_db : {};
    const list = doc.service.map((name) => {
      const src = isTree(sourceDb[String(name)]) ? (sourceDb[String(name)] as Tree) : {};
      return {
        name: String(name),
        source_name: src.source_name ?? String(name),
        topic_name: src.topic_name,
        consumer_id: src.consumer_id,
        // A service the document describes by topic is handed to its algorithm module over Kafka.
        dispatch: src.dispatch ?? (src.topic_name ? 'kafka' : 'temporal'),
        timeout_seconds: src.timeout_seconds ?? 3600,
        ...(src.heartbeat_seconds !== undefined ? { heartbeat_seconds: src.heartbeat_seconds } : {}),
      };
    });
    tree.services = { ...(isTree(tree.services) ? tree.services : {}), list };
  }
  if (doc.max_status_task !== undefined) {
    tree.services = { ...(isTree(tree.services) ? tree.services : {}), maxStatusTask: doc.max_status_task };
  }
  if (isTree(doc.mq_conf)) {
    const mq = doc.mq_conf;
    const kafka: Tree = isTree(tree.kafka) ? { ...tree.kafka } : {};
    if (mq.bootstrap_servers !== undefined) kafka.brokers = Array.isArray(mq.bootstrap_servers) ? mq.bootstrap_servers : [mq.bootstrap_servers];
    if (mq.sasl_plain_username !== undefined) kafka.saslUsername = mq.sasl_plain_username;
    if (mq.sasl_plain_password !== undefined) kafka.saslPassword = mq.sasl_plain_password;
    tree.kafka = kafka;
  }

  const blocks: Tree = {};
  for (const name of ENV_BLOCKS) if (doc[name] !== undefined) blocks[name] = doc[name];
  tree.mongoEnvironments = blocks;
  const env = String(tree.env ?? 'TEST');
  const selected = blocks[env];
  if (isTree(selected) && typeof selected.MONGO_DBNAME === 'string') {
    // The document names the service-task collection after the environment's database (dev_task / prod_task).
    tree.mongo = { ...(isTree(tree.mongo) ? tree.mongo : {}), serviceTaskCollection: selected.MONGO_DBNAME };
  }
  return { tree, usesMongoBlock: isTree(selected) };
}
