/**
 * A whole Switchyard deployment for one fault scenario: its private stack, real `switchyard api` and
 * `switchyard worker` processes, and the targets jobs run against (OpenSSH, network-device emulators, GPU nodes,
 * a module for the Kafka-dispatched service). `destroy()` stops everything it started, also after a failure.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createKafka } from '../../src/kafka/client.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connection.js';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { FakeGpuNode } from '../support/gpu-fake-node.js';
import { startSshd, type SshdHandle } from '../support/sshd.js';
import { DialectClients } from './dialects.js';
import { ModuleSim } from './module-sim.js';
import { freePort, PrivateStack, REPO_ROOT, type StackEngine } from './private-stack.js';
import { privateMounts, ServiceProcess } from './service-process.js';

export const GPU_TASK_TYPE = 7;

/** A command takes a moment on the device; a `slow-line` config line takes seconds (a push that is mid-way). */
function deviceDelay(command: string): number {
  return command.includes('slow-line') ? 4000 : command === 'show clock' ? 300 : 0;
}
export const KAFKA_SERVICE = 'faultmod';

export interface DeploymentOptions {
  /** Short name of the scenario; names the state directory, database, task queue and topics. */
  tag: string;
  apis?: number;
  workers?: number;
  /** GPU nodes: [priority class, capacity] each (default one VIP and one NORMAL node of capacity 2). */
  gpuNodes?: Array<{ priorityClass: 'VIP' | 'NORMAL'; capacity: number }>;
  /** How long a GPU node takes per task. */
  gpuTaskMs?: number;
  /** Extra environment of every api/worker process. */
  env?: Record<string, string>;
  /** The private stack's Temporal: the dev server (default) or Temporal's own server on PostgreSQL. */
  engine?: StackEngine;
  /**
   * Each worker in a mount namespace of its own with a private tmpfs over the workspace root and its temp
   * directory (TMPDIR): nothing a worker writes there is seen by the APIs or the other worker.
   */
  isolateWorkers?: boolean;
  log?: (line: string) => void;
}

export class Deployment {
  readonly apis: ServiceProcess[] = [];
  readonly workers: ServiceProcess[] = [];
  readonly gpuNodes: FakeGpuNode[] = [];
  readonly devices: DeviceEmulator[] = [];
  sshd: SshdHandle | null = null;
  module: ModuleSim | null = null;
  clients!: DialectClients;
  config!: Config;
  temporal: TemporalClientHandle | null = null;
  mongo: MongoClient | null = null;
  readonly runDir: string;
  readonly runsFile: string;
  readonly ingestTopic: string;
  readonly serviceTopic: string;
  private readonly log: (line: string) => void;

  private constructor(
    readonly opts: DeploymentOptions,
    readonly stack: PrivateStack,
  ) {
    this.log = opts.log ?? (() => undefined);
    this.runDir = join(stack.stateDir, 'run');
    this.runsFile = join('/tmp', `sy-faults-${opts.tag}`, 'command-runs.log');
    this.ingestTopic = `faults.${opts.tag}.ingest`;
    this.serviceTopic = `faults.${opts.tag}.${KAFKA_SERVICE}`;
  }

  static async create(opts: DeploymentOptions): Promise<Deployment> {
    const stack = await PrivateStack.create({ tag: opts.tag, log: opts.log, engine: opts.engine ?? 'dev' });
    return new Deployment(opts, stack);
  }

  /** Settings every api and worker process of this deployment shares, as environment variables. */
  baseEnv(): Record<string, string> {
    const t = this.opts.tag;
    return {
      ...this.stack.serviceEnv(),
      SWITCHYARD_ENV: 'TEST',
      LOG_LEVEL: 'info',
      MONGO_DB: `faults_${t}`,
      MONGO_TIMEOUT_MS: '3000',
      TEMPORAL_TASK_QUEUE: `faults-${t}`,
      KAFKA_EVENTS_TOPIC: `faults.${t}.events`,
      KAFKA_INGEST_TOPICS: this.ingestTopic,
      KAFKA_INGEST_GROUP: `faults-${t}-ingest`,
      KAFKA_DEAD_LETTER_TOPIC: `faults.${t}.dlq`,
      SERVICES: JSON.stringify([
        { name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 900 },
        { name: KAFKA_SERVICE, source_name: 'faults-module', topic_name: this.serviceTopic, dispatch: 'kafka', timeout_seconds: 900 },
      ]),
      SCHEDULER_WORKSPACE_ROOT: this.workspaceRoot,
      WORKER_HEARTBEAT_SECONDS: '1',
      WORKER_DEAD_AFTER_SECONDS: '5',
      WORKER_SHUTDOWN_GRACE_SECONDS: '5',
      CLUSTER_HEARTBEAT_SECONDS: '1',
      CLUSTER_LEASE_SECONDS: '5',
      GPU_HEARTBEAT_TIMEOUT_SECONDS: '15',
      API_DRAIN_SECONDS: '3',
      // Passes often, so the audit sees what reconciliation repairs within its wait.
      RECONCILE_INTERVAL_SECONDS: '5',
      RECONCILE_GRACE_SECONDS: '15',
      RECONCILE_ORPHAN_SECONDS: '60',
      ...(this.opts.env ?? {}),
    };
  }

  /** The scheduler's workspace root: one path, on each isolated worker a private tmpfs. */
  get workspaceRoot(): string {
    return join(this.runDir, 'workspaces');
  }

  /** The temp directory (TMPDIR) of every worker: private per worker when they are isolated. */
  get workerTmp(): string {
    return join(this.runDir, 'worker-tmp');
  }

  /** Replaces which APIs clients send requests to (a load balancer's view: `apiUrls` by default). */
  routeTo: (() => string[]) | null = null;

  apiUrls(): string[] {
    return this.routeTo ? this.routeTo() : this.allApiUrls();
  }

  allApiUrls(): string[] {
    return this.apis.map((a) => a.opts.url!);
  }

  async addApi(): Promise<ServiceProcess> {
    const n = this.apis.length + 1;
    const port = await freePort();
    const proc = new ServiceProcess({
      kind: 'api',
      name: `api${n}`,
      env: { ...this.baseEnv(), API_HOST: '127.0.0.1', API_PORT: String(port) },
      logFile: join(this.runDir, 'logs', `api${n}.log`),
      url: `http://127.0.0.1:${port}`,
    });
    await proc.start();
    this.apis.push(proc);
    return proc;
  }

  /** `entry`: a worker script of other workflow code (faults/worker-v2.ts) instead of `switchyard worker`. */
  async addWorker(opts: { entry?: string } = {}): Promise<ServiceProcess> {
    const name = `w${this.workers.length + 1}_${this.opts.tag}`;
    // Each worker's probe port (/livez, /readyz, /metrics) is a free one of its own: two workers run side by side.
    const probePort = await freePort();
    const proc = new ServiceProcess({
      kind: 'worker',
      name,
      env: { ...this.baseEnv(), WORKER_NAME: name, WORKER_HTTP_HOST: '127.0.0.1', WORKER_HTTP_PORT: String(probePort), TMPDIR: this.workerTmp },
      logFile: join(this.runDir, 'logs', `${name}.log`),
      url: `http://127.0.0.1:${probePort}`,
      ...(opts.entry ? { entry: opts.entry } : {}),
      ...(this.opts.isolateWorkers ? { wrap: privateMounts([this.workspaceRoot, this.workerTmp]) } : {}),
    });
    await proc.start();
    this.workers.push(proc);
    return proc;
  }

  /** Brings the stack, the job targets and the processes up. */
  async start(): Promise<void> {
    const started = Date.now();
    await this.stack.up();
    this.log(`[${this.opts.tag}] private stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${this.stack.engine === 'server' ? `server on PostgreSQL :${this.stack.ports.postgres}` : 'dev server'} :${this.stack.ports.temporal}, FerretDB :${this.stack.ports.ferret}, Kafka :${this.stack.ports.kafka})`);
    this.config = loadConfig({ env: { ...this.baseEnv(), LOG_LEVEL: 'warn' } });
    await mkdir(join(this.runDir, 'logs'), { recursive: true });
    await mkdir(this.workerTmp, { recursive: true });
    // Fifo jobs append to this file as the SSH test user: the directory must be writable by it.
    const runsDir = join('/tmp', `sy-faults-${this.opts.tag}`);
    await mkdir(runsDir, { recursive: true });
    await chmod(runsDir, 0o1777);
    await writeFile(this.runsFile, '', { mode: 0o666 });
    await chmod(this.runsFile, 0o666);

    const [sshd, ...devices] = await Promise.all([
      startSshd(),
      startDeviceEmulator({ listenHost: '127.0.0.11', commandDelayMs: deviceDelay }),
      startDeviceEmulator({ listenHost: '127.0.0.12', commandDelayMs: deviceDelay }),
    ]);
    this.sshd = sshd;
    this.devices.push(...devices);

    // Workers first: the API's health and the GPU dispatcher want a worker.
    for (let i = 0; i < (this.opts.workers ?? 2); i++) await this.addWorker();
    for (let i = 0; i < (this.opts.apis ?? 1); i++) await this.addApi();
    this.temporal = await connectTemporalClient(this.config);
    this.mongo = new MongoClient(this.config.mongo.url, { serverSelectionTimeoutMS: 3000 });
    await this.mongo.connect();

    const nodes = this.opts.gpuNodes ?? [
      { priorityClass: 'VIP' as const, capacity: 2 },
      { priorityClass: 'NORMAL' as const, capacity: 2 },
    ];
    for (const [i, n] of nodes.entries()) {
      const api = this.apiUrls()[i % this.apis.length]!;
      const node = new FakeGpuNode({
        api,
        key: this.config.auth.gpuApiKey,
        gpuId: `gpu-${this.opts.tag}-${i + 1}`,
        taskTypes: [GPU_TASK_TYPE],
        capacity: n.capacity,
        priorityClass: n.priorityClass,
        completeAfterMs: this.opts.gpuTaskMs ?? 1000,
        heartbeatMs: 1000,
        reportAttempts: 200,
      });
      await node.start();
      this.gpuNodes.push(node);
    }

    this.clients = new DialectClients(this.config, () => this.apiUrls(), {
      sshd: { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password },
      runsFile: this.runsFile,
      devices: devices.map((d) => ({ host: d.host, port: d.port, username: d.username, password: d.password, secret: d.enableSecret })),
      gpuTaskType: GPU_TASK_TYPE,
      kafkaService: KAFKA_SERVICE,
      ingestTopic: this.ingestTopic,
      brokers: this.stack.brokers,
    }, this.opts.tag);

    // A module's topic exists before anything is handed off to it (as an operator would create it).
    await ensureTopics(createKafka(this.config), [this.serviceTopic]);
    this.module = new ModuleSim({ brokers: this.stack.brokers, topic: this.serviceTopic, groupId: `faults-${this.opts.tag}-module`, apis: () => this.apiUrls(), token: this.config.auth.serviceAuthToken });
    await this.module.start();
    this.log(`[${this.opts.tag}] deployment up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${this.workers.length} worker(s), ${this.apis.length} api(s), ${this.gpuNodes.length} GPU node(s), ${this.devices.length} device emulator(s)`);
  }

  /** Stops everything this deployment started, whatever state it is in; never throws. */
  async destroy(opts: { keepState?: boolean } = {}): Promise<void> {
    const quiet = async (what: string, f: () => Promise<unknown> | unknown) => {
      try {
        await f();
      } catch (e) {
        this.log(`[${this.opts.tag}] cleanup: ${what}: ${(e as Error).message}`);
      }
    };
    await quiet('module', () => this.module?.stop());
    for (const n of this.gpuNodes) await quiet('gpu node', () => n.stop());
    for (const p of [...this.apis, ...this.workers]) await quiet(p.name, () => p.killAndWait());
    for (const p of [...this.apis, ...this.workers]) p.closeLog();
    await quiet('temporal client', () => this.temporal?.close());
    await quiet('mongo client', () => this.mongo?.close());
    for (const d of this.devices) await quiet('emulator', () => d.close());
    await quiet('sshd', () => this.sshd?.close());
    await quiet('stack', () => (opts.keepState ? this.stack.stopAll() : this.stack.destroy()));
    await quiet('runs dir', () => rm(join('/tmp', `sy-faults-${this.opts.tag}`), { recursive: true, force: true }));
  }
}

export { REPO_ROOT };
