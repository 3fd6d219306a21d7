import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_DEFAULTS } from './schema.js';

/**
 * Defaults run the whole service against the local stack of scripts/stack/ with no configuration at all.
 * `cacheDir` is where scripts/stack/install.sh puts what it downloads (`SWITCHYARD_CACHE`).
 */
export function defaultConfig(cacheDir: string = join(homedir(), '.cache', 'switchyard')): Record<string, unknown> {
  return {
    env: 'TEST',
    logLevel: 'info',
    api: { host: '127.0.0.1', port: 9000, bodyLimitBytes: 1_048_576, uiOrigins: ['http://localhost:8233', 'http://127.0.0.1:8233'], drainSeconds: 10, drainNoticeSeconds: 0 },
    boot: { deadlineSeconds: 120 },
    temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'switchyard', uiUrl: 'http://127.0.0.1:8233' },
    mongo: { url: 'mongodb://127.0.0.1:27017', db: 'switchyard', serviceTaskCollection: 'dev_task', timeoutMs: 5000 },
    kafka: {
      brokers: ['127.0.0.1:9092'],
      clientId: 'switchyard',
      saslMechanism: 'plain',
      ssl: false,
      eventsTopic: 'switchyard.task-events',
      ingestTopics: ['switchyard.ingest'],
      ingestGroup: 'switchyard-ingest',
      deadLetterTopic: 'switchyard.ingest.dlq',
    },
    auth: {
      deviceApiKey: DEV_DEFAULTS.deviceApiKey,
      schedulerJwtSecret: DEV_DEFAULTS.schedulerJwtSecret,
      gpuApiKey: DEV_DEFAULTS.gpuApiKey,
      serviceAuthToken: DEV_DEFAULTS.serviceAuthToken,
      codecOperatorToken: DEV_DEFAULTS.codecOperatorToken,
    },
    codec: { key: DEV_DEFAULTS.codecKey, keyId: 'dev', previousKeys: {} },
    worker: { maxConcurrentActivities: 200, maxConcurrentWorkflowTasks: 40, heartbeatSeconds: 5, deadAfterSeconds: 30, shutdownGraceSeconds: 30, httpHost: '127.0.0.1', httpPort: 9001, sdkMetricsPort: 0 },
    device: {
      defaultTtlSeconds: 300,
      bulkTtlSeconds: 600,
      defaultExecutionTimeoutSeconds: 120,
      sessionIdleSeconds: 60,
      fifoConcurrency: 16,
      parseBudgetMs: 5000,
      parseThreads: 2,
      ntcTemplatesDir: join(cacheDir, 'ntc-templates'),
      renderTimeMs: 500,
      renderMemoryMb: 32,
      renderOutputChars: 1_000_000,
    },
    scheduler: {
      projects: [{ id: 1, name: 'default', entry_command: 'echo "project 1 ran at $(date -u +%FT%TZ)"' }],
      workspaceRoot: join(tmpdir(), 'switchyard-workspaces'),
      maxLogBytes: 1_048_576,
      commandUsers: [],
    },
    gpu: {
      heartbeatTimeoutSeconds: 30,
      defaultTaskTimeoutSeconds: 3600,
      maxRetries: 3,
      failureThreshold: 5,
      queueAlertThreshold: 100,
      failureRateAlertThreshold: 0.5,
      nodeCallTimeoutMs: 5000,
    },
    cluster: { id: 'switchyard', heartbeatSeconds: 5, leaseSeconds: 15 },
    reconcile: { intervalSeconds: 60, graceSeconds: 60, orphanSeconds: 600 },
    tracing: { serviceName: 'switchyard', sampleRatio: 1 },
    outbound: { schemes: ['http', 'https'], allowCidrs: [], allowHosts: [], denyCidrs: [], denyHosts: [], allowOnly: false, defaults: 'auto', maxRedirects: 5 },
    services: {
      maxStatusTask: 10,
      list: [
        { name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 300 },
        { name: 'http', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 300 },
      ],
    },
    mongoEnvironments: {},
  };
}
