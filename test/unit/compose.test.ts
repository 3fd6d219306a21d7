import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, loadConfig } from '../../src/config/index.js';

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; ports?: string[]; volumes?: string[]; command?: string[] }>;
};
const known = new Set(ENV_KEYS.map((k) => k.name));

/** Resolves `${VAR:?msg}` to a stand-in value, as docker compose would with the variable set. */
function resolve(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, /^\$\{\w+:\?/.test(v) ? stand_in(k) : v]));
}
function stand_in(name: string): string {
  if (name === 'CODEC_KEY') return Buffer.alloc(32, 7).toString('base64');
  return `${name.toLowerCase()}-from-the-environment`;
}

describe('docker-compose.yml', () => {
  it('has the whole deployment: Temporal with PostgreSQL, the UI, MongoDB, Kafka, api, worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'kafka', 'mongodb', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
  });

  for (const name of ['api', 'worker']) {
    it(`passes ${name} only real configuration keys, and a valid configuration`, () => {
      const env = compose.services[name]!.environment!;
      const unknown = Object.keys(env).filter((k) => !known.has(k));
      expect(unknown).toEqual([]);
      expect(() => loadConfig({ env: resolve(env) })).not.toThrow();
    });
  }

  it('publishes the ports the configuration uses', () => {
    const env = resolve(compose.services.api!.environment!);
    const config = loadConfig({ env });
    expect(compose.services.api!.ports).toContain(`${config.api.port}:${config.api.port}`);
    expect(compose.services.temporal!.ports).toContain(`${config.temporal.address.split(':')[1]}:7233`);
    expect(compose.services['temporal-ui']!.ports).toContain('8233:8233');
    expect(compose.services.mongodb!.ports).toContain('27017:27017');
    expect(compose.services.kafka!.ports).toContain('9092:9092');
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.mongo.url).toBe('mongodb://mongodb:27017');
  });

  it('mounts temporal-config/ as the server dynamic config and points the UI at the codec endpoint', () => {
    expect(compose.services.temporal!.volumes).toContain('./temporal-config:/etc/temporal/config/dynamicconfig');
    expect(compose.services.temporal!.environment!.DYNAMIC_CONFIG_FILE_PATH).toBe('config/dynamicconfig/development-sql.yaml');
    const ui = compose.services['temporal-ui']!.environment!;
    const api = loadConfig({ env: resolve(compose.services.api!.environment!) });
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${api.api.port}/codec`);
    expect(api.api.uiOrigins).toContain(ui.TEMPORAL_CORS_ORIGINS);
  });

  it('keeps credentials out of the file', () => {
    const env = compose.services.api!.environment!;
    for (const k of ['DEVICE_API_KEY', 'SCHEDULER_JWT_SECRET', 'GPU_API_KEY', 'AUTH_TOKEN', 'CODEC_KEY', 'CODEC_OPERATOR_TOKEN']) {
      expect(env[k]).toMatch(/^\$\{\w+:\?/);
    }
  });
});
