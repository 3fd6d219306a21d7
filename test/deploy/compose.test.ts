/**
 * docker-compose.yml, checked without Docker: the Compose Specification's own loader (compose-go, what `docker
 * compose` is built on) validates and resolves it, and these tests read the loader's model, not the YAML.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDeployTools, imageEnv, loadContainerConfig, realKeyNames, repoRoot, requiredDeploymentKeys, runTool, setsKey, tool } from './tools.js';

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; start_period?: string };
  restart?: string;
  secrets?: { source: string; target: string }[];
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  ports?: { target: number; published: string; host_ip?: string }[];
  deploy?: { replicas?: number };
  read_only?: boolean;
  tmpfs?: string[];
}
interface Project {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

function loadCompose(file = join(repoRoot, 'docker-compose.yml')) {
  return runTool(tool('compose-check'), ['-C', repoRoot, file]);
}

let project: Project;
let secrets: Record<string, string>;

beforeAll(() => {
  ensureDeployTools();
  const r = loadCompose();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  project = JSON.parse(r.stdout) as Project;
  // The credentials deploy/compose/make-secrets.sh writes, as the containers would read them.
  const dir = mkdtempSync(join(tmpdir(), 'sy-compose-secrets-'));
  execFileSync('bash', [join(repoRoot, 'deploy/compose/make-secrets.sh')], { env: { ...process.env, SECRETS_DIR: dir }, stdio: 'pipe' });
  secrets = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}, 900_000);

const svc = (name: string) => {
  const s = project.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
const env = (name: string) => Object.fromEntries(Object.entries(svc(name).environment ?? {}).map(([k, v]) => [k, v ?? '']));
/** What the process in a Switchyard container sees: the image's ENV, then the service's environment. */
const containerEnv = (name: string) => ({ ...imageEnv(), ...env(name) });

describe('docker-compose.yml, loaded by the Compose Specification loader', () => {
  it('is rejected by the same loader when it is broken (so a pass means something)', () => {
    const text = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'sy-compose-'));
    const broken = join(dir, 'docker-compose.yml');
    writeFileSync(broken, text.replace('condition: service_completed_successfully', 'condition: service_completed'));
    const r1 = loadCompose(broken);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(/condition/);
    writeFileSync(broken, text.replace(/\n {2}codec_key:\n {4}file: .*\n/, '\n'));
    const r2 = loadCompose(broken);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/codec_key/);
  });

  it('runs the whole deployment: Temporal on PostgreSQL with its two admin-tools jobs, the UI, MongoDB, Kafka, api, worker, proxy', () => {
    expect(Object.keys(project.services).sort()).toEqual([
      'api', 'kafka', 'mongodb', 'postgresql', 'proxy', 'temporal', 'temporal-create-namespace', 'temporal-setup-schema', 'temporal-ui', 'worker',
    ]);
  });

  it('pins every image to a version, Temporal to the server release the topology test runs (1.32.0)', () => {
    for (const [name, s] of Object.entries(project.services)) {
      if (s.build) continue; // Switchyard's own image, built from this checkout
      expect(s.image, name).toMatch(/^[\w./-]+:\$?[\w{}.:-]*\d[\w.-]*$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
    expect(svc('temporal').image).toBe('temporalio/server:1.32.0');
    expect(svc('temporal-setup-schema').image).toBe('temporalio/admin-tools:1.32.0');
    expect(svc('temporal-create-namespace').image).toBe('temporalio/admin-tools:1.32.0');
    expect(svc('temporal-ui').image).toBe('temporalio/ui:2.54.1');
    expect(svc('api').build?.context).toBeTruthy();
  });

  it('orders start-up by health and completion: schema job, server, namespace job, then api and worker', () => {
    const cond = (name: string) => Object.fromEntries(Object.entries(svc(name).depends_on ?? {}).map(([k, v]) => [k, v.condition]));
    expect(cond('temporal-setup-schema')).toEqual({ postgresql: 'service_healthy' });
    expect(cond('temporal')).toEqual({ 'temporal-setup-schema': 'service_completed_successfully' });
    expect(cond('temporal-create-namespace')).toEqual({ temporal: 'service_healthy' });
    expect(cond('temporal-ui')).toEqual({ temporal: 'service_healthy' });
    for (const name of ['api', 'worker']) {
      expect(cond(name)).toEqual({ 'temporal-create-namespace': 'service_completed_successfully', mongodb: 'service_healthy', kafka: 'service_healthy' });
    }
    expect(cond('proxy')).toEqual({ api: 'service_healthy' });
    // Every condition on health names a service that has a healthcheck.
    for (const s of Object.values(project.services)) {
      for (const [dep, d] of Object.entries(s.depends_on ?? {})) if (d.condition === 'service_healthy') expect(svc(dep).healthcheck?.test, dep).toBeTruthy();
    }
  });

  it('restarts servers unless stopped and retries the jobs a few times; every server has a healthcheck', () => {
    for (const [name, s] of Object.entries(project.services)) {
      if (name.startsWith('temporal-') && name !== 'temporal-ui') expect(s.restart, name).toMatch(/^on-failure:\d+$/);
      else expect(s.restart, name).toBe('unless-stopped');
    }
    // The UI image ships no HTTP client to probe itself with; nothing waits on it.
    for (const name of ['postgresql', 'temporal', 'mongodb', 'kafka', 'api', 'worker', 'proxy']) expect(svc(name).healthcheck?.test, name).toBeTruthy();
  });

  it('probes the API and the worker on their readiness endpoints, allowing the boot deadline (120 s) to pass first', () => {
    expect(svc('api').healthcheck?.test).toEqual(['CMD', 'node', 'dist/src/healthcheck.js', 'http://127.0.0.1:9000/readyz']);
    expect(svc('worker').healthcheck?.test).toEqual(['CMD', 'node', 'dist/src/healthcheck.js', 'http://127.0.0.1:9001/readyz']);
    for (const name of ['api', 'worker']) expect(svc(name).healthcheck?.start_period).toBe('2m30s');
  });

  for (const name of ['api', 'worker']) {
    it(`passes ${name} only real configuration keys, every key a deployment must set, and a configuration that loads in PRODUCTION`, () => {
      const e = containerEnv(name);
      // Image-level variables of the probes (WORKER_HTTP_HOST) are not the compose file's to check.
      expect(Object.keys(env(name)).filter((k) => !realKeyNames.has(k))).toEqual([]);
      const missing = requiredDeploymentKeys().filter((k) => !setsKey(e, k)).map((k) => k.name);
      expect(missing).toEqual([]);
      // Each _FILE names a secret mounted in this service, at that path.
      const mounted = new Map((svc(name).secrets ?? []).map((s) => [s.target, s.source]));
      for (const [k, v] of Object.entries(e)) if (k.endsWith('_FILE')) expect(mounted.get(v), k).toBeTruthy();
      const config = loadContainerConfig(e, secrets);
      expect(config.env).toBe('PRODUCTION');
      expect(config.temporal.address).toBe('temporal:7233');
      expect(config.kafka.brokers).toEqual(['kafka:9092']);
      expect(config.mongo.url).toMatch(/^mongodb:\/\/switchyard:[^@]+@mongodb:27017\/switchyard\?replicaSet=rs0&authSource=admin$/);
      expect(config.api.host).toBe('0.0.0.0');
    });
  }

  it('keeps every credential out of the file and out of the environment: each is a secret file', () => {
    // Credential variables of Switchyard and of the servers' images, which must come as files instead.
    const credentialVars = new Set([...requiredDeploymentKeys().filter((k) => k.secret).map((k) => k.name), 'KAFKA_SASL_PASSWORD',
      'POSTGRES_PASSWORD', 'POSTGRES_PWD', 'SQL_PASSWORD', 'MONGO_INITDB_ROOT_PASSWORD']);
    const values = new Set(Object.values(secrets).map((v) => v.trim()));
    for (const [name, s] of Object.entries(project.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        expect(credentialVars.has(k), `${name} ${k}`).toBe(false);
        expect(values.has((v ?? '').trim()), `${name} ${k}`).toBe(false);
        expect(v ?? '', `${name} ${k}`).not.toMatch(/:\/\/[^/\s]+:[^@\s]+@/);
      }
    }
    for (const [name, s] of Object.entries(project.secrets)) {
      expect(s.file, name).toBe(join(repoRoot, 'deploy/compose/secrets', name));
      expect(secrets[name], `make-secrets.sh writes ${name}`).toBeTruthy();
    }
    expect(readFileSync(join(repoRoot, '.gitignore'), 'utf8')).toMatch(/^deploy\/compose\/secrets\/$/m);
  });

  it('runs Temporal on the very files in temporal-config/, as the topology test does', () => {
    const t = svc('temporal');
    const mount = t.volumes?.find((v) => v.target === '/etc/temporal/switchyard');
    expect(mount).toMatchObject({ type: 'bind', source: join(repoRoot, 'temporal-config'), read_only: true });
    const e = env('temporal');
    for (const k of ['TEMPORAL_SERVER_CONFIG_FILE_PATH', 'DYNAMIC_CONFIG_FILE_PATH']) {
      expect(e[k], k).toMatch(/^\/etc\/temporal\/switchyard\/[\w.-]+$/);
      expect(existsSync(join(repoRoot, 'temporal-config', e[k]!.split('/').pop()!)), k).toBe(true);
    }
    expect(e.TEMPORAL_SERVER_CONFIG_FILE_PATH).toBe('/etc/temporal/switchyard/server.yaml');
    // The namespace job registers the search attributes from the same mount, in the namespace the processes use.
    const ns = svc('temporal-create-namespace');
    expect(ns.volumes?.find((v) => v.target === '/etc/temporal/switchyard')?.source).toBe(join(repoRoot, 'temporal-config'));
    expect(env('temporal-create-namespace').SEARCH_ATTRIBUTES_FILE).toBe('/etc/temporal/switchyard/search-attributes.txt');
    expect(env('temporal-create-namespace').TEMPORAL_NAMESPACE).toBe(env('api').TEMPORAL_NAMESPACE);
    // The schema job and the server agree on where PostgreSQL is.
    for (const k of ['POSTGRES_SEEDS', 'DB_PORT', 'POSTGRES_USER']) expect(env('temporal-setup-schema')[k], k).toBe(e[k]);
  });

  it("renders temporal-config/server.yaml with Temporal 1.32.0's own loader in the compose environment: PostgreSQL, PostgreSQL visibility", () => {
    const e = env('temporal');
    const vars = Object.entries({ ...e, POSTGRES_PWD: 'stand-in' }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const r = runTool(tool('temporal-config-check'), [...vars, join(repoRoot, 'temporal-config/server.yaml'), join(repoRoot, 'temporal-config/development-sql.yaml')]);
    expect(r.stderr).not.toMatch(/temporal-config-check:/);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as {
      defaultStore: string; visibilityStore: string; dynamicConfigFile: string;
      stores: Record<string, { plugin: string; database: string; address: string; user: string; passwordSet: boolean }>;
      services: Record<string, string>;
    };
    expect(s.stores[s.defaultStore]).toEqual({ plugin: 'postgres12', database: 'temporal', address: 'postgresql:5432', user: 'temporal', passwordSet: true });
    expect(s.stores[s.visibilityStore]).toEqual({ plugin: 'postgres12', database: 'temporal_visibility', address: 'postgresql:5432', user: 'temporal', passwordSet: true });
    expect(s.dynamicConfigFile).toBe(e.DYNAMIC_CONFIG_FILE_PATH);
    expect(s.services.frontend).toBe('0.0.0.0:7233');
    // The databases the schema job creates are the ones the server uses.
    const setup = readFileSync(join(repoRoot, 'deploy/compose/temporal-setup-schema.sh'), 'utf8');
    expect(setup).toMatch(/for db in temporal temporal_visibility; do/);
    expect(setup).toContain('--schema-name postgresql/v12/temporal');
    expect(setup).toContain('--schema-name postgresql/v12/visibility');
  });

  it('is refused by that loader when server.yaml is wrong (so the check above can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-temporal-config-'));
    const bad = join(dir, 'server.yaml');
    const text = readFileSync(join(repoRoot, 'temporal-config/server.yaml'), 'utf8');
    for (const [from, to, message] of [
      ['visibilityStore: visibility', 'visibilityStore: nowhere', /datastore "nowhere", which is not configured/],
      ['pollInterval: 60s', 'pollInterval: a minute', /a minute. into time.Duration/],
      ['initialFailoverVersion: 1', 'initialFailoverVersion: 1\n      rpcAdress: x', /field rpcAdress not found/],
    ] as const) {
      expect(text).toContain(from);
      writeFileSync(bad, text.replace(from, to));
      const r = runTool(tool('temporal-config-check'), [bad, join(repoRoot, 'temporal-config/development-sql.yaml')]);
      expect(r.status, to).toBe(1);
      expect(r.stderr, to).toMatch(message);
    }
    // A dynamic config value of the wrong type, or a misspelt key, which the server would only warn of and skip.
    const badDynamic = join(dir, 'dynamic.yaml');
    for (const [text, message] of [
      ['limit.maxIDLength:\n  - value: "not a number"\n', /value type is not int/],
      ['frontend.enableUpdateWorkflowExecutin:\n  - value: true\n', /unregistered key/],
    ] as const) {
      writeFileSync(badDynamic, text);
      const r2 = runTool(tool('temporal-config-check'), [join(repoRoot, 'temporal-config/server.yaml'), badDynamic]);
      expect(r2.status, text).toBe(1);
      expect(r2.stderr, text).toMatch(message);
    }
  });

  it('keeps Kafka logs in its volume and gives in-network and host clients a listener each', () => {
    const k = svc('kafka');
    const e = env('kafka');
    expect(k.volumes?.find((v) => v.type === 'volume')?.target).toBe(e.KAFKA_LOG_DIRS);
    const advertised = Object.fromEntries(e.KAFKA_ADVERTISED_LISTENERS!.split(',').map((l) => l.split('://') as [string, string]));
    // Containers use the address the processes are given; the host uses the published port on localhost.
    expect(advertised.INTERNAL).toBe(env('api').KAFKA_BROKERS);
    const external = /^localhost:(\d+)$/.exec(advertised.EXTERNAL ?? '');
    expect(external).toBeTruthy();
    expect(k.ports?.map((p) => `${p.host_ip}:${p.published}:${p.target}`)).toEqual([`127.0.0.1:${external![1]}:${external![1]}`]);
    const listeners = e.KAFKA_LISTENERS!.split(',').map((l) => l.split('://')[0]);
    expect(listeners.sort()).toEqual(['CONTROLLER', 'EXTERNAL', 'INTERNAL']);
    expect(e.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('INTERNAL');
  });

  it('runs MongoDB as a single-node replica set with authentication', () => {
    const m = svc('mongodb');
    const entry = (m.entrypoint ?? []).join(' ');
    expect(entry).toMatch(/mongod --replSet rs0 .*--keyFile/);
    expect(env('mongodb').MONGO_INITDB_ROOT_PASSWORD_FILE).toBe('/run/secrets/mongo_root_password');
    expect(m.healthcheck?.test.join(' ')).toMatch(/rs\.initiate\(\{ _id: 'rs0'.*host: 'mongodb:27017'/);
    expect(m.volumes?.some((v) => v.target.startsWith('/docker-entrypoint-initdb.d/'))).toBe(true);
  });

  it('serves two API replicas behind the proxy, and the UI decodes payloads through it', () => {
    expect(svc('api').deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(svc('api').ports ?? []).toEqual([]);
    const published = svc('proxy').ports?.[0];
    expect(published).toMatchObject({ target: 9000, published: '9000' });
    const nginx = readFileSync(join(repoRoot, 'deploy/compose/nginx.conf'), 'utf8');
    expect(nginx).toContain(`set $api http://api:${env('api').API_PORT};`);
    expect(nginx).toMatch(/proxy_buffering off;/);
    const ui = env('temporal-ui');
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${published!.published}/codec`);
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    expect(env('api').TEMPORAL_UI_ORIGINS!.split(',')).toContain(ui.TEMPORAL_CORS_ORIGINS);
  });

  it('stops an API without a drain notice, because the proxy does not probe /readyz and retries a refused connection elsewhere', () => {
    expect(env('api').API_DRAIN_NOTICE_SECONDS).toBe('0');
    const nginx = readFileSync(join(repoRoot, 'deploy/compose/nginx.conf'), 'utf8');
    expect(nginx).toMatch(/proxy_next_upstream error/);
    expect(nginx).not.toMatch(/readyz/);
  });

  it('runs api and worker read-only with a writable /tmp', () => {
    for (const name of ['api', 'worker']) {
      expect(svc(name).read_only).toBe(true);
      expect(svc(name).tmpfs).toContain('/tmp');
    }
  });
});
