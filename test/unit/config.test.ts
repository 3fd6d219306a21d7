import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_KEYS, FILE_ENV_KEYS, loadConfig, redactedConfig } from '../../src/config/index.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('runs with no configuration at all against the local stack', () => {
    const c = loadConfig({ env: {} });
    expect(c.api).toMatchObject({ host: '127.0.0.1', port: 9000 });
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.mongo.url).toBe('mongodb://127.0.0.1:27017');
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.scheduler.projects[0]?.id).toBe(1);
    expect(c.services.maxStatusTask).toBe(10);
  });

  it('reads every documented environment variable', () => {
    const c = loadConfig({
      env: {
        API_PORT: '9100',
        KAFKA_BROKERS: 'a:1, b:2',
        KAFKA_SSL: 'true',
        GPU_FAILURE_RATE_ALERT_THRESHOLD: '0.25',
        AUTH_TOKEN: 'a-service-token',
        SCHEDULER_PROJECTS: '[{"id":7,"name":"p","entry_command":"true"}]',
      },
    });
    expect(c.api.port).toBe(9100);
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.kafka.ssl).toBe(true);
    expect(c.gpu.failureRateAlertThreshold).toBe(0.25);
    expect(c.auth.serviceAuthToken).toBe('a-service-token');
    expect(c.scheduler.projects).toEqual([{ id: 7, name: 'p', entry_command: 'true' }]);
  });

  it('names the variable and the problem when a value is wrong', () => {
    expect(() => loadConfig({ env: { API_PORT: '70000' } })).toThrowError(/API_PORT \(api\.port\): .*65535/);
    expect(() => loadConfig({ env: { API_PORT: 'abc' } })).toThrowError(/API_PORT must be a number/);
    expect(() => loadConfig({ env: { KAFKA_SSL: 'maybe' } })).toThrowError(/KAFKA_SSL must be true or false/);
    expect(() => loadConfig({ env: { SERVICES: '[{' } })).toThrowError(/SERVICES is not valid JSON/);
    expect(() => loadConfig({ env: { CODEC_KEY: 'c2hvcnQ=' } })).toThrowError(/CODEC_KEY \(codec\.key\): must be base64 of exactly 32 bytes/);
    expect(() => loadConfig({ env: { KAFKA_BROKERS: 'nohostport' } })).toThrowError(/KAFKA_BROKERS \(kafka\.brokers\.0\)/);
  });

  it('reads every list setting as a JSON array or a comma list, and nothing else', () => {
    const lists = ENV_KEYS.filter((k) => k.kind === 'list');
    const at = (c: unknown, path: string) => path.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown>)[p], c);
    // Two valid entries per list key; a list key added later must be added here.
    const values: Record<string, [string, string]> = {
      KAFKA_BROKERS: ['h1:1', 'h2:2'],
      KAFKA_INGEST_TOPICS: ['t.one', 't.two'],
      SCHEDULER_COMMAND_USERS: ['alice', 'bob'],
      TEMPORAL_UI_ORIGINS: ['http://localhost:8233', 'http://ui.example:8080'],
      OUTBOUND_SCHEMES: ['http', 'https'],
      OUTBOUND_ALLOW_CIDRS: ['10.1.0.0/16', '192.168.7.0/24'],
      OUTBOUND_ALLOW_HOSTS: ['hooks.example', '*.corp.example'],
      OUTBOUND_DENY_CIDRS: ['10.2.0.0/16', '172.16.0.0/12'],
      OUTBOUND_DENY_HOSTS: ['bad.example', '*.worse.example'],
    };
    expect(lists.map((k) => k.name).sort()).toEqual(Object.keys(values).sort());
    for (const key of lists) {
      const [a, b] = values[key.name]!;
      for (const text of [`["${a}","${b}"]`, ` [ "${a}" , "${b}" ] `, `${a},${b}`, ` ${a} , ${b} `, `${a},${b},`]) {
        expect(at(loadConfig({ env: { [key.name]: text } }), key.path), `${key.name}=${text}`).toEqual([a, b]);
      }
      // Half a JSON array, JSON that is not an array of strings, and comma lists that hold JSON debris.
      for (const text of [`["${a}","${b}"`, `{"x":"${a}"}`, `["${a}",1]`, `[""]`, `"${a}"`, `"${a}","${b}"]`, `${a},,${b}`, `${a},[${b}]`]) {
        expect(() => loadConfig({ env: { [key.name]: text } }), `${key.name}=${text}`).toThrowError(
          new RegExp(`^Invalid configuration: ${key.name} must be a JSON array of strings \\(\\["a","b"\\]\\) or a comma list \\(a,b\\)`),
        );
      }
    }
    // The issue's case: a JSON list of users is two users, and a broken one stops start-up naming the key.
    expect(loadConfig({ env: { SCHEDULER_COMMAND_USERS: '["alice","bob"]' } }).scheduler.commandUsers).toEqual(['alice', 'bob']);
    expect(() => loadConfig({ env: { SCHEDULER_COMMAND_USERS: '["alice","bob"' } })).toThrowError(/SCHEDULER_COMMAND_USERS .*not valid JSON/);
    expect(loadConfig({ env: { SCHEDULER_COMMAND_USERS: '[]' } }).scheduler.commandUsers).toEqual([]);
  });

  it('reads YAML as data: no tag runs code, an alias bomb is refused', () => {
    const g = globalThis as { __syPwned?: number };
    const tagged = yamlFile('default_env: !!js/function "function () { globalThis.__syPwned = 1; return \'TEST\' }"\nservice: [!!js/undefined x]\n');
    expect(() => loadConfig({ env: {}, file: tagged })).toThrowError(ConfigError);
    expect(g.__syPwned).toBeUndefined();
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(() => loadConfig({ env: {}, file: yamlFile(`${laughs.join('\n')}\n`) })).toThrowError(/not valid YAML|alias/i);
  });

  it('refuses a Kafka topic name Kafka would not take, naming the key', () => {
    for (const bad of ['a b', 'x;rm -rf /', '../etc', 'é', 't'.repeat(250), '$(id)']) {
      expect(() => loadConfig({ env: { KAFKA_EVENTS_TOPIC: bad } }), bad).toThrowError(/KAFKA_EVENTS_TOPIC \(kafka\.eventsTopic\): a Kafka topic name/);
    }
    expect(() => loadConfig({ env: { KAFKA_INGEST_TOPICS: 'ok.topic,bad topic' } })).toThrowError(/KAFKA_INGEST_TOPICS/);
    expect(loadConfig({ env: { KAFKA_EVENTS_TOPIC: 'switchyard.task-events_v2' } }).kafka.eventsTopic).toBe('switchyard.task-events_v2');
  });

  it('never shows a secret in its error message', () => {
    try {
      loadConfig({ env: { DEVICE_API_KEY: 'short' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain('DEVICE_API_KEY');
      expect((e as Error).message).not.toContain('short');
    }
  });

  it('accepts the long-task YAML exactly as the document writes it', () => {
    const c = loadConfig({ env: {}, file: fixture('long-task.yaml') });
    expect(c.env).toBe('TEST');
    expect(c.services.list.map((s) => s.name)).toEqual(['aaa', 'bbb']);
    expect(c.services.list[0]).toMatchObject({ source_name: 'mongo', topic_name: 'mq_aaa', consumer_id: 'c_aaa', dispatch: 'kafka' });
    expect(c.services.maxStatusTask).toBe(10);
    expect(c.kafka).toMatchObject({ brokers: ['kafka-ons-internet.example:8080'], saslUsername: 'user-x', saslPassword: 'pass-x' });
    // The selected environment's block picks the MongoDB and the collection name.
    expect(c.mongo.url).toBe('mongodb://test:test123@10.0.0.5:27017');
    expect(c.mongo.db).toBe('dev_task');
    expect(c.mongo.serviceTaskCollection).toBe('dev_task');
  });

  it('lets environment variables win over the YAML file', () => {
    const c = loadConfig({ env: { MONGO_URL: 'mongodb://127.0.0.1:27018', SWITCHYARD_ENV: 'STAGE' }, file: fixture('long-task.yaml') });
    expect(c.mongo.url).toBe('mongodb://127.0.0.1:27018');
    expect(c.env).toBe('STAGE');
  });

  it('refuses unknown YAML keys and unreadable files with the file named', () => {
    expect(() => loadConfig({ env: {}, file: yamlFile('bogus: 1\n') })).toThrowError(/unknown top-level YAML key\(s\): bogus/);
    expect(() => loadConfig({ env: {}, file: '/nonexistent/switchyard.yaml' })).toThrowError(/cannot be read \(ENOENT\)/);
    expect(() => loadConfig({ env: {}, file: yamlFile('a: [1,\n') })).toThrowError(/not valid YAML/);
  });

  it('refuses development credentials in PRODUCTION', () => {
    expect(() => loadConfig({ env: { SWITCHYARD_ENV: 'PRODUCTION' } })).toThrowError(/DEVICE_API_KEY, SCHEDULER_JWT_SECRET, GPU_API_KEY, AUTH_TOKEN, CODEC_OPERATOR_TOKEN, CODEC_KEY/);
  });

  it('redacts every secret for logging', () => {
    const c = loadConfig({ env: { MONGO_URL: 'mongodb://u:hunter2@h:1', KAFKA_SASL_PASSWORD: 'kafka-secret' }, file: fixture('long-task.yaml') });
    const text = JSON.stringify(redactedConfig(c));
    for (const secret of ['hunter2', 'kafka-secret', 'test123', c.auth.deviceApiKey, c.codec.key]) expect(text).not.toContain(secret);
  });

  it('maps every env key to a path the schema knows', () => {
    const c = loadConfig({ env: {} }) as unknown as Record<string, unknown>;
    for (const key of ENV_KEYS) {
      const [section, field] = key.path.split('.');
      if (field === undefined) expect(Object.keys(c)).toContain(section);
      else expect(Object.keys((c[section!] ?? {}) as object).concat(['name', 'saslUsername', 'saslPassword', 'otlpEndpoint'])).toContain(field);
    }
  });

  it('freezes the configuration', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c.api)).toBe(true);
  });
});

describe('credentials from files (<NAME>_FILE)', () => {
  const secretFile = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-secret-'));
    const file = join(dir, 'secret');
    writeFileSync(file, text);
    return file;
  };

  it('has a file variant for every credential, and only for credentials', () => {
    expect(FILE_ENV_KEYS.map((k) => k.name).sort()).toEqual(ENV_KEYS.filter((k) => k.secret).map((k) => `${k.name}_FILE`).sort());
    expect(FILE_ENV_KEYS.map((k) => k.name)).toEqual(expect.arrayContaining(['DEVICE_API_KEY_FILE', 'CODEC_KEY_FILE', 'MONGO_URL_FILE', 'KAFKA_SASL_PASSWORD_FILE']));
  });

  it('reads each credential from the file its _FILE variable names, without the trailing newline', () => {
    const values: Record<string, string> = {
      DEVICE_API_KEY: 'device-key-from-a-file',
      SCHEDULER_JWT_SECRET: 'scheduler-secret-from-a-file',
      GPU_API_KEY: 'gpu-key-from-a-file',
      AUTH_TOKEN: 'auth-token-from-a-file',
      CODEC_OPERATOR_TOKEN: 'codec-operator-from-a-file',
      CODEC_KEY: Buffer.alloc(32, 9).toString('base64'),
      CODEC_PREVIOUS_KEYS: JSON.stringify({ 'k-2025': Buffer.alloc(32, 7).toString('base64') }),
      MONGO_URL: 'mongodb://sy:p%40ss@mongo.internal:27017/?replicaSet=rs0&authSource=admin',
      KAFKA_SASL_PASSWORD: 'kafka-password-from-a-file',
    };
    // Every credential the loader knows must be exercised here, so a new one cannot go untested.
    expect(Object.keys(values).sort()).toEqual(FILE_ENV_KEYS.map((k) => k.of.name).sort());
    const env = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${k}_FILE`, secretFile(`${v}\n`)]));
    const c = loadConfig({ env: { ...env, SWITCHYARD_ENV: 'PRODUCTION' } });
    expect(c.auth).toEqual({
      deviceApiKey: values.DEVICE_API_KEY,
      schedulerJwtSecret: values.SCHEDULER_JWT_SECRET,
      gpuApiKey: values.GPU_API_KEY,
      serviceAuthToken: values.AUTH_TOKEN,
      codecOperatorToken: values.CODEC_OPERATOR_TOKEN,
    });
    expect(c.codec.key).toBe(values.CODEC_KEY);
    expect(c.codec.previousKeys).toEqual({ 'k-2025': Buffer.alloc(32, 7).toString('base64') });
    expect(c.mongo.url).toBe(values.MONGO_URL);
    expect(c.kafka.saslPassword).toBe(values.KAFKA_SASL_PASSWORD);
  });

  it('prefers MONGO_URL_FILE over the YAML per-environment MongoDB block, as it does MONGO_URL', () => {
    const file = yamlFile('default_env: STAGE\nSTAGE:\n  MONGO_HOST: yaml-host\n  MONGO_DBNAME: yamldb\n');
    expect(loadConfig({ file, env: {} }).mongo.url).toBe('mongodb://yaml-host:27017');
    const c = loadConfig({ file, env: { MONGO_URL_FILE: secretFile('mongodb://from-file:27017') } });
    expect(c.mongo.url).toBe('mongodb://from-file:27017');
  });

  it('refuses a credential given both ways, an unreadable file and an empty one, without showing a value', () => {
    const file = secretFile('a-device-key-in-a-file');
    expect(() => loadConfig({ env: { DEVICE_API_KEY: 'a-device-key-inline', DEVICE_API_KEY_FILE: file } })).toThrowError(
      /set DEVICE_API_KEY or DEVICE_API_KEY_FILE, not both/,
    );
    expect(() => loadConfig({ env: { GPU_API_KEY_FILE: '/nonexistent/gpu-key' } })).toThrowError(/GPU_API_KEY_FILE names \/nonexistent\/gpu-key, which cannot be read \(ENOENT\)/);
    expect(() => loadConfig({ env: { AUTH_TOKEN_FILE: secretFile('\n') } })).toThrowError(/AUTH_TOKEN_FILE names .*, which is empty/);
    try {
      loadConfig({ env: { DEVICE_API_KEY_FILE: secretFile('short') } });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/DEVICE_API_KEY/);
      expect((e as Error).message).not.toContain('short');
    }
  });

  it('ignores _FILE for a key that is not a credential', () => {
    expect(loadConfig({ env: { API_PORT_FILE: secretFile('1234') } }).api.port).toBe(9000);
  });
});
