import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_KEYS, loadConfig, redactedConfig } from '../../src/config/index.js';

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
      else expect(Object.keys((c[section!] ?? {}) as object).concat(['name', 'saslUsername', 'saslPassword'])).toContain(field);
    }
  });

  it('freezes the configuration', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c.api)).toBe(true);
  });
});
