/**
 * The Helm chart (deploy/helm/switchyard), checked without a cluster: helm v4 lints and renders it, and every
 * rendered object is decoded strictly into the Kubernetes API types (k8s-check; the KEDA ScaledObject against
 * KEDA's own CustomResourceDefinition). The tests then read the rendered objects.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDeployTools, imageEnv, kedaCrd, loadContainerConfig, realKeyNames, repoRoot, requiredDeploymentKeys, runTool, setsKey, tool } from './tools.js';

const chart = join(repoRoot, 'deploy/helm/switchyard');
const valuesFiles = ['credentials-values.yaml', 'autoscaling-values.yaml'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: Record<string, unknown>;
}
interface Container {
  name: string;
  args: string[];
  env: { name: string; value: string }[];
  envFrom: { configMapRef: { name: string } }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  ports: { name: string; containerPort: number }[];
  startupProbe: { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string }; periodSeconds: number; timeoutSeconds: number; failureThreshold: number };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: Record<string, unknown>;
}
interface PodSpec {
  containers: Container[];
  securityContext: Record<string, unknown>;
  volumes: { name: string; secret?: { secretName: string }; emptyDir?: object }[];
  automountServiceAccountToken: boolean;
  terminationGracePeriodSeconds: number;
}

function render(values: string): K8sObject[] {
  const r = runTool(tool('helm'), ['template', 'sy', chart, '-f', join(chart, 'ci', values)]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

const find = (objects: K8sObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const podSpec = (d: K8sObject) => (d.spec as { template: { spec: PodSpec } }).template.spec;

let rendered: Record<string, K8sObject[]>;

beforeAll(() => {
  ensureDeployTools();
  rendered = Object.fromEntries(valuesFiles.map((v) => [v, render(v)]));
}, 1_800_000);

describe('helm chart deploy/helm/switchyard', () => {
  it('passes helm lint (v4) with each test values file, and fails without credentials', () => {
    for (const v of valuesFiles) {
      const r = runTool(tool('helm'), ['lint', '--strict', chart, '-f', join(chart, 'ci', v)]);
      expect(r.stdout + r.stderr, v).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(r.status, v).toBe(0);
    }
    const none = runTool(tool('helm'), ['template', 'sy', chart]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/secrets\.values\.MONGO_URL is required/);
  });

  for (const v of valuesFiles) {
    it(`renders objects that decode strictly into the Kubernetes API types (${v})`, () => {
      const r = runTool(tool('helm'), ['template', 'sy', chart, '-f', join(chart, 'ci', v)]);
      const dir = mkdtempSync(join(tmpdir(), 'sy-helm-'));
      writeFileSync(join(dir, 'manifest.yaml'), r.stdout);
      const check = runTool(tool('k8s-check'), ['--crd', kedaCrd, join(dir, 'manifest.yaml')]);
      expect(check.stdout + check.stderr).not.toMatch(/FAIL/);
      expect(check.status).toBe(0);
      expect(check.stdout.trim().split('\n').length).toBe(rendered[v]!.length);
    });
  }

  it('has a strict checker: an unknown field, a wrong type, a bad name and an unknown ScaledObject field all fail', () => {
    const deployment = find(rendered['credentials-values.yaml']!, 'Deployment', 'sy-switchyard-api');
    const scaled = find(rendered['autoscaling-values.yaml']!, 'ScaledObject', 'sy-switchyard-worker');
    const dir = mkdtempSync(join(tmpdir(), 'sy-helm-bad-'));
    const cases: [string, unknown, RegExp][] = [
      ['typo', { ...deployment, spec: { ...deployment.spec, replica: 2 } }, /unknown field "spec\.replica"/],
      ['type', { ...deployment, spec: { ...deployment.spec, replicas: 'two' } }, /spec\.replicas/],
      ['name', { ...deployment, metadata: { ...deployment.metadata, name: 'Not_A_Name' } }, /metadata\.name/],
      ['keda', { ...scaled, spec: { ...scaled.spec, maxReplicas: 3 } }, /unknown field "spec\.maxReplicas"/],
    ];
    for (const [name, obj, message] of cases) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(obj));
      const r = runTool(tool('k8s-check'), ['--crd', kedaCrd, file]);
      expect(r.status, name).toBe(1);
      expect(r.stdout, name).toMatch(message);
    }
  });

  it('deploys the API (Deployment + Service + PDB) and the workers (Deployment + PDB), non-root on a read-only root', () => {
    const objects = rendered['credentials-values.yaml']!;
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/sy-switchyard-config', 'Deployment/sy-switchyard-api', 'Deployment/sy-switchyard-worker',
      'PodDisruptionBudget/sy-switchyard-api', 'PodDisruptionBudget/sy-switchyard-worker', 'Secret/sy-switchyard-credentials',
      'Service/sy-switchyard-api', 'ServiceAccount/sy-switchyard',
    ]);
    for (const role of ['api', 'worker']) {
      const d = find(objects, 'Deployment', `sy-switchyard-${role}`);
      const spec = podSpec(d);
      const c = spec.containers[0]!;
      expect(c.args).toEqual([role]);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(c.volumeMounts.find((m) => m.mountPath === '/tmp')).toBeTruthy();
      expect(c.resources.requests?.cpu).toBeTruthy();
      expect(c.resources.limits?.memory).toBeTruthy();
      const selector = (d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const pdb = find(objects, 'PodDisruptionBudget', `sy-switchyard-${role}`);
      expect((pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual(selector);
      expect((pdb.spec as { minAvailable: number }).minAvailable).toBeLessThan((d.spec as { replicas: number }).replicas);
    }
    const service = find(objects, 'Service', 'sy-switchyard-api');
    const apiDeployment = find(objects, 'Deployment', 'sy-switchyard-api');
    expect((service.spec as { selector: unknown }).selector).toEqual((apiDeployment.spec as { selector: { matchLabels: unknown } }).selector.matchLabels);
  });

  it('probes /livez and /readyz on the API port (9000) and the worker port (9001), with a startup probe that outlasts the boot deadline', () => {
    const objects = rendered['credentials-values.yaml']!;
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as { bootDeadlineSeconds: number };
    for (const [role, port] of [['api', 9000], ['worker', 9001]] as const) {
      const c = podSpec(find(objects, 'Deployment', `sy-switchyard-${role}`)).containers[0]!;
      const portName = c.ports[0]!.name;
      expect(c.ports[0]!.containerPort).toBe(port);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: portName });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: portName });
      expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThan(values.bootDeadlineSeconds);
    }
    // The processes are told the same numbers.
    const config = find(objects, 'ConfigMap', 'sy-switchyard-config').data!;
    expect(config.BOOT_DEADLINE_SECONDS).toBe(String(values.bootDeadlineSeconds));
    const worker = podSpec(find(objects, 'Deployment', 'sy-switchyard-worker')).containers[0]!;
    expect(worker.env.find((e) => e.name === 'WORKER_HTTP_PORT')?.value).toBe(String(worker.ports[0]!.containerPort));
  });

  it('gives the API a drain notice longer than its readiness probe takes to see a drain, and notice + drain within the grace period', () => {
    const pod = podSpec(find(rendered['credentials-values.yaml']!, 'Deployment', 'sy-switchyard-api'));
    const c = pod.containers[0]!;
    const env = (name: string) => Number(c.env.find((e) => e.name === name)?.value);
    const notice = env('API_DRAIN_NOTICE_SECONDS');
    const drain = env('API_DRAIN_SECONDS');
    const probe = c.readinessProbe;
    // The kubelet marks the pod unready after failureThreshold failed probes, each up to timeoutSeconds late.
    expect(notice).toBeGreaterThan(probe.periodSeconds * probe.failureThreshold + probe.timeoutSeconds);
    expect(notice + drain).toBeLessThan(pod.terminationGracePeriodSeconds);
    // The chart refuses values whose drain the kubelet would cut short with SIGKILL.
    const bad = runTool(tool('helm'), ['template', 'sy', chart, '-f', join(chart, 'ci', 'credentials-values.yaml'), '--set', 'api.drainNoticeSeconds=25']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/api\.drainNoticeSeconds \(25\) \+ api\.drainSeconds \(10\) must be less than api\.terminationGracePeriodSeconds \(30\)/);
  });

  for (const v of valuesFiles) {
    it(`passes each role only real configuration keys, every key a deployment must set, and a configuration that loads (${v})`, () => {
      const objects = rendered[v]!;
      const config = find(objects, 'ConfigMap', 'sy-switchyard-config').data!;
      const secret = objects.find((o) => o.kind === 'Secret');
      const values = parse(readFileSync(join(chart, 'ci', 'credentials-values.yaml'), 'utf8')) as { secrets: { values: Record<string, string> } };
      // The existing-Secret case: the operator's Secret holds the same keys.
      const files = secret?.stringData ?? { ...values.secrets.values, KAFKA_SASL_PASSWORD: 'stand-in-kafka-password' };
      for (const role of ['api', 'worker']) {
        const d = find(objects, 'Deployment', `sy-switchyard-${role}`);
        const spec = podSpec(d);
        const c = spec.containers[0]!;
        expect(c.envFrom[0]!.configMapRef.name).toBe('sy-switchyard-config');
        const env: Record<string, string> = { ...imageEnv(), ...config, ...Object.fromEntries(c.env.map((e) => [e.name, e.value])) };
        const passed = [...Object.keys(config), ...c.env.map((e) => e.name)];
        expect(passed.filter((k) => !realKeyNames.has(k))).toEqual([]);
        expect(requiredDeploymentKeys().filter((k) => !setsKey(env, k)).map((k) => k.name)).toEqual([]);
        // Every _FILE points into the mounted Secret, at a key the Secret holds.
        const mount = c.volumeMounts.find((m) => m.name === 'credentials')!;
        const volume = spec.volumes.find((vol) => vol.name === 'credentials')!;
        expect(volume.secret?.secretName).toBe(secret?.metadata.name ?? 'switchyard-credentials');
        for (const e of c.env.filter((x) => x.name.endsWith('_FILE'))) {
          expect(e.value.startsWith(`${mount.mountPath}/`), e.name).toBe(true);
          expect(files[e.value.split('/').pop()!], e.name).toBeTruthy();
        }
        const loaded = loadContainerConfig(env, files);
        expect(loaded.env).toBe('PRODUCTION');
        expect(loaded.api.host).toBe('0.0.0.0');
        if (v === 'autoscaling-values.yaml') expect(loaded.kafka).toMatchObject({ saslUsername: 'switchyard', saslPassword: 'stand-in-kafka-password', ssl: true });
      }
    });
  }

  it('scales workers with KEDA on the task queues backlog when asked, and leaves replicas to it', () => {
    const objects = rendered['autoscaling-values.yaml']!;
    const worker = find(objects, 'Deployment', 'sy-switchyard-worker');
    expect((worker.spec as { replicas?: number }).replicas).toBeUndefined();
    const config = find(objects, 'ConfigMap', 'sy-switchyard-config').data!;
    const scaled = find(objects, 'ScaledObject', 'sy-switchyard-worker').spec as {
      scaleTargetRef: { name: string };
      triggers: { type: string; metadata: Record<string, string> }[];
    };
    expect(scaled.scaleTargetRef.name).toBe(worker.metadata.name);
    expect(scaled.triggers.map((t) => t.metadata.taskQueue)).toEqual(['switchyard', 'switchyard.fifo', 'service.echo']);
    for (const t of scaled.triggers) {
      expect(t.type).toBe('temporal');
      expect(t.metadata).toMatchObject({ endpoint: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, queueTypes: 'workflow,activity' });
    }
    expect(rendered['credentials-values.yaml']!.some((o) => o.kind === 'ScaledObject')).toBe(false);
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });
});
