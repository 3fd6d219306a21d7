import { z } from 'zod';
import { parseCidr } from '../net/address.js';

/** Credentials that ship with a development default; the service refuses to start in PRODUCTION while any is left at it. */
export const DEV_DEFAULTS = {
  deviceApiKey: 'dev-device-key',
  schedulerJwtSecret: 'dev-scheduler-jwt-secret-change-me',
  gpuApiKey: 'dev-gpu-key',
  serviceAuthToken: 'dev-service-token',
  codecOperatorToken: 'dev-codec-operator-token',
  // 32 bytes of zeros-and-ones, base64: for local runs only.
  codecKey: 'c3dpdGNoeWFyZC1kZXYtY29kZWMta2V5LTMyYnl0ZXM=',
} as const;

const port = z.number().int().min(1).max(65535);
/**
 * A Kafka topic name as Kafka itself allows it (letters, digits, `.`, `_`, `-`; at most 249): topic names reach
 * the admin API and every log line, so anything else is refused at start-up, naming the key.
 */
const kafkaTopic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name holds 1-249 letters, digits, . _ - only');
const positiveInt = z.number().int().positive();

const projectSchema = z.object({
  id: positiveInt,
  name: z.string().min(1),
  entry_command: z.string().min(1),
  workdir: z.string().optional(),
});

const serviceSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'service names may hold letters, digits, _ . - only'),
  source_name: z.string().min(1),
  topic_name: kafkaTopic.optional(),
  consumer_id: z.string().min(1).optional(),
  dispatch: z.enum(['kafka', 'temporal']),
  timeout_seconds: positiveInt,
  /** `dispatch: temporal`: seconds without a heartbeat before an attempt's worker counts as lost (built-ins: 10). */
  heartbeat_seconds: positiveInt.optional(),
  /**
   * `dispatch: temporal`: the task queue its activity runs on (default `service.<name>`, DESIGN.md). A queue name is
   * namespace-wide, so two deployments (or test files) sharing a namespace and a built-in service set their own.
   */
  task_queue: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'a task queue name holds letters, digits, _ . : - only').optional(),
});

const cidrList = z.array(z.string().refine((v) => parseCidr(v) !== null, 'each entry must be an IP address or CIDR block (10.0.0.0/8, fd00::/8)'));
/** `example.com` (that name only) or `*.example.com` (any name under it, not the name itself). */
const hostPatternList = z.array(z.string().regex(/^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/, 'each entry must be a host name or *.domain'));

/** Where requests may make Switchyard connect (webhooks, the http service, GPU nodes): src/net/policy.ts. */
const outboundSchema = z.object({
  /** URL schemes a request may name, without the colon. */
  schemes: z.array(z.enum(['http', 'https'])).min(1),
  /** Exceptions to the built-in denials (not to denyCidrs, denyHosts or the stack's own servers). */
  allowCidrs: cidrList,
  allowHosts: hostPatternList,
  /** Always refused, whatever else says. */
  denyCidrs: cidrList,
  denyHosts: hostPatternList,
  /** Refuse every destination not in allowCidrs/allowHosts. */
  allowOnly: z.boolean(),
  /** Built-in denials: `auto` = `internal` in PRODUCTION, `metadata` elsewhere. */
  defaults: z.enum(['auto', 'internal', 'metadata', 'none']),
  maxRedirects: z.number().int().min(0).max(20),
});

const mongoEnvSchema = z.object({
  MONGO_HOST: z.string().min(1),
  MONGO_PORT: port.default(27017),
  MONGO_USERNAME: z.string().optional(),
  MONGO_PASSWORD: z.string().optional(),
  MONGO_DBNAME: z.string().min(1),
});
export type MongoEnvSettings = z.infer<typeof mongoEnvSchema>;

export const configSchema = z.object({
  env: z.enum(['TEST', 'STAGE', 'PRODUCTION']),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  api: z.object({
    host: z.string().min(1),
    port,
    bodyLimitBytes: positiveInt,
    /** Browser origins of the Temporal UI, allowed to call the codec endpoint (CORS). */
    uiOrigins: z.array(z.string().url()).min(1),
    drainSeconds: positiveInt,
    /** After SIGTERM: seconds of serving on with /readyz at 503 before the port closes (load balancers' notice). */
    drainNoticeSeconds: z.number().int().min(0),
  }),
  boot: z.object({
    /** How long start-up waits for its dependencies (connections, indexes, search attributes, topics). */
    deadlineSeconds: positiveInt,
  }),
  temporal: z.object({
    address: z.string().min(1),
    namespace: z.string().min(1),
    taskQueue: z.string().min(1),
    uiUrl: z.string().url(),
  }),
  mongo: z.object({
    url: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL'),
    db: z.string().min(1).regex(/^[^/\\. "$]+$/, 'must be a valid MongoDB database name'),
    /** Collection holding service tasks in the long-task document's schema. */
    serviceTaskCollection: z.string().min(1),
    timeoutMs: positiveInt,
  }),
  kafka: z.object({
    brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1),
    clientId: z.string().min(1),
    saslUsername: z.string().optional(),
    saslPassword: z.string().optional(),
    saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    ssl: z.boolean(),
    eventsTopic: kafkaTopic,
    ingestTopics: z.array(kafkaTopic),
    ingestGroup: z.string().min(1),
    deadLetterTopic: kafkaTopic,
  }),
  auth: z.object({
    deviceApiKey: z.string().min(8),
    schedulerJwtSecret: z.string().min(16),
    gpuApiKey: z.string().min(8),
    serviceAuthToken: z.string().min(8),
    codecOperatorToken: z.string().min(8),
  }),
  codec: z.object({
    /** base64 of a 32-byte AES-256-GCM key. */
    key: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be base64 of exactly 32 bytes'),
    keyId: z.string().min(1),
    /** Retired keys by id: decoding only, for payloads written before a rotation. */
    previousKeys: z.record(z.string().min(1), z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be base64 of exactly 32 bytes')),
  }),
  worker: z.object({
    name: z.string().optional(),
    maxConcurrentActivities: positiveInt,
    /** Workflow tasks a worker processes at once (at least 2: one sticky and one normal poller). */
    maxConcurrentWorkflowTasks: z.number().int().min(2),
    heartbeatSeconds: positiveInt,
    deadAfterSeconds: positiveInt,
    shutdownGraceSeconds: positiveInt,
    /** The worker's own small HTTP port: /livez, /readyz, /metrics. Port 0 picks a free one. */
    httpHost: z.string().min(1),
    httpPort: z.number().int().min(0).max(65535),
    /**
     * Where the Temporal SDK's own Prometheus exporter listens (on 127.0.0.1). The worker's /metrics serves its
     * series too, so only those who want to scrape the SDK apart set it; 0 picks a free port.
     */
    sdkMetricsPort: z.number().int().min(0).max(65535),
  }),
  device: z.object({
    defaultTtlSeconds: z.number().int().min(1).max(86400),
    bulkTtlSeconds: z.number().int().min(1).max(86400),
    defaultExecutionTimeoutSeconds: positiveInt,
    sessionIdleSeconds: positiveInt,
    /** SSH jobs one worker runs at once from FifoQ (each opens a connection: the handshake is CPU-bound). */
    fifoConcurrency: positiveInt,
    /**
     * Wall time one job's parsing may run on its parse thread (a thread runs one job at a time, so this is the CPU
     * it may use). Over it, the thread is stopped and the job fails with `ParseTimeout`, not retried.
     */
    parseBudgetMs: z.number().int().min(10).max(600_000),
    /** Parse threads per worker process: parses at once; one pattern over budget holds only its own thread. */
    parseThreads: z.number().int().min(1).max(64),
    /** The ntc-templates `templates` folder (its `index` and template files) for parsing without a template. */
    ntcTemplatesDir: z.string().min(1),
    /** Limits of one Jinja2 render in the sandbox (src/rendering/): wall-clock ms, QuickJS heap MiB, output chars. */
    renderTimeMs: z.number().int().min(10).max(10_000),
    renderMemoryMb: z.number().int().min(4).max(1024),
    renderOutputChars: z.number().int().min(1000).max(100_000_000),
  }),
  scheduler: z.object({
    projects: z.array(projectSchema).min(1),
    workspaceRoot: z.string().min(1),
    maxLogBytes: positiveInt,
    /** Users (JWT `sub`) allowed to run shell-command actions besides admins. */
    commandUsers: z.array(z.string()),
  }),
  gpu: z.object({
    heartbeatTimeoutSeconds: positiveInt,
    defaultTaskTimeoutSeconds: positiveInt,
    maxRetries: z.number().int().min(0),
    failureThreshold: positiveInt,
    queueAlertThreshold: positiveInt,
    failureRateAlertThreshold: z.number().min(0).max(1),
    nodeCallTimeoutMs: positiveInt,
  }),
  cluster: z.object({
    id: z.string().min(1),
    heartbeatSeconds: positiveInt,
    leaseSeconds: positiveInt,
  }),
  reconcile: z.object({
    /** Seconds between reconciliation passes (in the cluster leader); 0 turns the periodic pass off. */
    intervalSeconds: z.number().int().min(0),
    /** A record changed more recently than this is not compared yet (its workflow may be about to write). */
    graceSeconds: z.number().int().min(0),
    /**
     * A waiting record with no workflow is ended only when it is older than this: far longer than the client's
     * retries of a workflow start take, so a start still on its way is never mistaken for one that never came.
     */
    orphanSeconds: z.number().int().min(0),
  }),
  outbound: outboundSchema,
  tracing: z.object({
    /**
     * Base URL of an OTLP/HTTP collector (`http://jaeger:4318`); spans go to `<url>/v1/traces`. Unset: no tracer
     * provider, no exporter, no interceptors. No user:password in it: the URL is logged at start.
     */
    otlpEndpoint: z
      .string()
      .url()
      .refine((v) => /^https?:\/\//.test(v), 'must be an http:// or https:// URL')
      .refine((v) => {
        const u = new URL(v);
        return u.username === '' && u.password === '';
      }, 'must not carry credentials (user:password@)')
      .optional(),
    serviceName: z.string().min(1),
    /** Share of root traces kept (parent-based: a caller's sampled flag wins). */
    sampleRatio: z.number().min(0).max(1),
  }),
  services: z.object({
    maxStatusTask: positiveInt,
    list: z.array(serviceSchema),
  }),
  /** The long-task document's per-environment MongoDB blocks, kept for reference. */
  mongoEnvironments: z.record(z.string(), mongoEnvSchema),
});

export type Config = z.infer<typeof configSchema>;
export type ProjectConfig = z.infer<typeof projectSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type OutboundConfig = z.infer<typeof outboundSchema>;
