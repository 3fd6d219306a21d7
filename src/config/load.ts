import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { defaultConfig } from './defaults.js';
import { ENV_KEYS, FILE_ENV_SUFFIX, type EnvKey } from './env-keys.js';
import { configSchema, DEV_DEFAULTS, type Config, type MongoEnvSettings } from './schema.js';
import { fromLongTaskYaml } from './long-task-yaml.js';
import { ConfigError } from './errors.js';

export { ConfigError };

type Env = Record<string, string | undefined>;
type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where arrays and scalars of `over` replace those of `base`. */
export function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isTree(prev) && isTree(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const p of parts.slice(0, -1)) {
    if (!isTree(node[p])) node[p] = {};
    node = node[p] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

/**
 * A list setting: a JSON array of strings (`["a","b"]`) or a comma list (`a,b`), nothing else. Text that starts
 * like JSON (`[`, `{`, `"`) must be a valid JSON array of strings, and a comma-list entry may not hold quotes,
 * brackets or braces: `["alice","bob"` (a missing bracket) would otherwise become the users `["alice"` and `"bob"`.
 */
export function parseListValue(name: string, text: string): string[] {
  const form = `${name} must be a JSON array of strings (["a","b"]) or a comma list (a,b)`;
  if (text === '') return [];
  if (/^[[{"]/.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`Invalid configuration: ${form}; its value starts like JSON but is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw new ConfigError(`Invalid configuration: ${form}; got JSON that is not an array`);
    const bad = parsed.findIndex((v) => typeof v !== 'string' || v.trim() === '');
    if (bad >= 0) throw new ConfigError(`Invalid configuration: ${form}; entry ${bad} is not a non-empty string`);
    return (parsed as string[]).map((v) => v.trim());
  }
  const items = text.split(',').map((s) => s.trim());
  // One trailing comma is a common slip and harmless; an empty entry in the middle is not what anyone meant.
  if (items.length > 1 && items[items.length - 1] === '') items.pop();
  const empty = items.indexOf('');
  if (empty >= 0) throw new ConfigError(`Invalid configuration: ${form}; entry ${empty} is empty`);
  const odd = items.find((v) => /["'[\]{}]/.test(v));
  if (odd !== undefined) throw new ConfigError(`Invalid configuration: ${form}; the comma-list entry ${JSON.stringify(odd)} holds quotes or brackets (a JSON array that is not valid JSON?)`);
  return items;
}

function parseEnvValue(key: EnvKey, raw: string): unknown {
  const text = raw.trim();
  switch (key.kind) {
    case 'string':
      return text;
    case 'int':
    case 'number': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new ConfigError(`Invalid configuration: ${key.name} must be a number, got "${key.secret ? '***' : text}"`);
      return n;
    }
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      throw new ConfigError(`Invalid configuration: ${key.name} must be true or false, got "${text}"`);
    case 'list':
      return parseListValue(key.name, text);
    case 'json':
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new ConfigError(`Invalid configuration: ${key.name} is not valid JSON (${(e as Error).message})`);
      }
  }
}

/**
 * The text of KEY from the environment: its own variable, or for a credential the content of the file that
 * `<KEY>_FILE` names. Both at once is refused (which one wins would be a guess); an unreadable or empty file stops
 * start-up with the variable and the file's name, never its content.
 */
function envText(key: EnvKey, env: Env): string | undefined {
  const direct = env[key.name];
  const fileVar = `${key.name}${FILE_ENV_SUFFIX}`;
  const file = key.secret ? env[fileVar] : undefined;
  if (file === undefined || file === '') return direct === '' ? undefined : direct;
  if (direct !== undefined && direct !== '') {
    throw new ConfigError(`Invalid configuration: set ${key.name} or ${fileVar}, not both`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Invalid configuration: ${fileVar} names ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // A file written by `echo` or an editor ends with a newline that is not part of the secret.
  text = text.replace(/\r?\n$/, '');
  if (text.trim() === '') throw new ConfigError(`Invalid configuration: ${fileVar} names ${file}, which is empty`);
  return text;
}

function readYamlFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Invalid configuration: SWITCHYARD_CONFIG file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`Invalid configuration: ${file} is not valid YAML (${(e as Error).message})`);
  }
  if (doc == null) return {};
  if (!isTree(doc)) throw new ConfigError(`Invalid configuration: ${file} must hold a mapping at the top level`);
  return doc;
}

function mongoUrlFrom(block: MongoEnvSettings): string {
  const auth = block.MONGO_USERNAME
    ? `${encodeURIComponent(block.MONGO_USERNAME)}:${encodeURIComponent(block.MONGO_PASSWORD ?? '')}@`
    : '';
  return `mongodb://${auth}${block.MONGO_HOST}:${block.MONGO_PORT}`;
}

function envNameOf(path: (string | number | symbol)[]): string {
  const dotted = path.map(String).join('.');
  const exact = ENV_KEYS.find((k) => k.path === dotted);
  if (exact) return `${exact.name} (${dotted})`;
  const parent = ENV_KEYS.find((k) => dotted.startsWith(`${k.path}.`));
  return parent ? `${parent.name} (${dotted})` : dotted;
}

export interface LoadOptions {
  env?: Env;
  /** YAML file; defaults to $SWITCHYARD_CONFIG. */
  file?: string;
  /** Extra values merged last (tests). */
  overrides?: Tree;
}

/** Parses the configuration once: defaults, then the YAML file, then environment variables, then overrides. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  let tree = defaultConfig(env.SWITCHYARD_CACHE || undefined);

  const file = options.file ?? env.SWITCHYARD_CONFIG;
  let yamlMongoBlock = false;
  if (file) {
    const yaml = readYamlFile(file);
    const translated = fromLongTaskYaml(yaml);
    yamlMongoBlock = translated.usesMongoBlock;
    tree = deepMerge(tree, translated.tree);
  }

  let mongoUrlFromEnv = false;
  for (const key of ENV_KEYS) {
    const raw = envText(key, env);
    if (raw === undefined) continue;
    if (key.path === 'mongo.url') mongoUrlFromEnv = true;
    setPath(tree, key.path, parseEnvValue(key, raw));
  }
  if (options.overrides) tree = deepMerge(tree, options.overrides);

  // The long-task YAML names a MongoDB per environment; use the selected one unless MONGO_URL says otherwise.
  if (yamlMongoBlock && !mongoUrlFromEnv && !(options.overrides && isTree(options.overrides.mongo) && options.overrides.mongo.url)) {
    const blocks = tree.mongoEnvironments as Record<string, MongoEnvSettings>;
    const block = blocks[String(tree.env)];
    if (block?.MONGO_HOST) {
      setPath(tree, 'mongo.url', mongoUrlFrom({ ...block, MONGO_PORT: block.MONGO_PORT ?? 27017 }));
      if (!env.MONGO_DB) setPath(tree, 'mongo.db', block.MONGO_DBNAME);
    }
  }

  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${envNameOf(i.path)}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  assertProductionSafe(config);
  return deepFreeze(config);
}

function assertProductionSafe(config: Config): void {
  if (config.env !== 'PRODUCTION') return;
  const stillDefault: string[] = [];
  if (config.auth.deviceApiKey === DEV_DEFAULTS.deviceApiKey) stillDefault.push('DEVICE_API_KEY');
  if (config.auth.schedulerJwtSecret === DEV_DEFAULTS.schedulerJwtSecret) stillDefault.push('SCHEDULER_JWT_SECRET');
  if (config.auth.gpuApiKey === DEV_DEFAULTS.gpuApiKey) stillDefault.push('GPU_API_KEY');
  if (config.auth.serviceAuthToken === DEV_DEFAULTS.serviceAuthToken) stillDefault.push('AUTH_TOKEN');
  if (config.auth.codecOperatorToken === DEV_DEFAULTS.codecOperatorToken) stillDefault.push('CODEC_OPERATOR_TOKEN');
  if (config.codec.key === DEV_DEFAULTS.codecKey) stillDefault.push('CODEC_KEY');
  if (stillDefault.length > 0) {
    throw new ConfigError(`Invalid configuration: PRODUCTION needs real credentials; still at the development default: ${stillDefault.join(', ')}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The configuration with every secret replaced, safe to log. */
export function redactedConfig(config: Config): unknown {
  const redact = (v: unknown) => (v ? '***' : v);
  return {
    ...config,
    mongo: { ...config.mongo, url: config.mongo.url.replace(/\/\/[^@/]*@/, '//***@') },
    kafka: { ...config.kafka, saslPassword: redact(config.kafka.saslPassword) },
    auth: Object.fromEntries(Object.keys(config.auth).map((k) => [k, '***'])),
    codec: { ...config.codec, key: '***', previousKeys: Object.fromEntries(Object.keys(config.codec.previousKeys).map((id) => [id, '***'])) },
    mongoEnvironments: Object.fromEntries(
      Object.entries(config.mongoEnvironments).map(([k, b]) => [k, { ...b, MONGO_PASSWORD: redact(b.MONGO_PASSWORD) }]),
    ),
  };
}
