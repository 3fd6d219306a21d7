/**
 * Every environment variable the service reads, the config path it sets and how its text is parsed.
 * The README table, the docker-compose check and the loader all use this list, so they cannot drift apart.
 */
export type EnvKind = 'string' | 'int' | 'number' | 'bool' | 'list' | 'json';

export interface EnvKey {
  name: string;
  path: string;
  kind: EnvKind;
  secret?: boolean;
  help: string;
}

export const ENV_KEYS: readonly EnvKey[] = [
  { name: 'SWITCHYARD_ENV', path: 'env', kind: 'string', help: 'TEST | STAGE | PRODUCTION (the YAML `default_env`); PRODUCTION refuses development credentials' },
  { name: 'LOG_LEVEL', path: 'logLevel', kind: 'string', help: 'pino level: trace … fatal, silent' },
  { name: 'API_HOST', path: 'api.host', kind: 'string', help: 'address the HTTP API binds' },
  { name: 'API_PORT', path: 'api.port', kind: 'int', help: 'port of the HTTP API (all four dialects)' },
  { name: 'API_BODY_LIMIT_BYTES', path: 'api.bodyLimitBytes', kind: 'int', help: 'largest accepted request body' },
  { name: 'API_DRAIN_SECONDS', path: 'api.drainSeconds', kind: 'int', help: 'how long SIGTERM waits for in-flight requests' },
  { name: 'API_DRAIN_NOTICE_SECONDS', path: 'api.drainNoticeSeconds', kind: 'int', help: 'after SIGTERM, how long the API keeps serving while /readyz answers 503, so a load balancer stops sending before the port closes' },
  { name: 'BOOT_DEADLINE_SECONDS', path: 'boot.deadlineSeconds', kind: 'int', help: 'how long api and worker wait at start-up for Temporal, MongoDB and Kafka (and their indexes, search attributes, topics) before they exit' },
  { name: 'TEMPORAL_UI_ORIGINS', path: 'api.uiOrigins', kind: 'list', help: 'browser origins of the Temporal UI allowed to call the codec endpoint; a JSON array or a comma list' },
  { name: 'TEMPORAL_ADDRESS', path: 'temporal.address', kind: 'string', help: 'Temporal frontend host:port' },
  { name: 'TEMPORAL_NAMESPACE', path: 'temporal.namespace', kind: 'string', help: 'Temporal namespace' },
  { name: 'TEMPORAL_TASK_QUEUE', path: 'temporal.taskQueue', kind: 'string', help: 'main task queue (other queues derive from it)' },
  { name: 'TEMPORAL_UI_URL', path: 'temporal.uiUrl', kind: 'string', help: 'Temporal UI base URL, for links' },
  { name: 'MONGO_URL', path: 'mongo.url', kind: 'string', secret: true, help: 'MongoDB connection string (overrides the YAML per-environment block)' },
  { name: 'MONGO_DB', path: 'mongo.db', kind: 'string', help: 'database name' },
  { name: 'SERVICE_TASK_COLLECTION', path: 'mongo.serviceTaskCollection', kind: 'string', help: 'collection of service tasks in the long-task schema (dev_task / prod_task)' },
  { name: 'MONGO_TIMEOUT_MS', path: 'mongo.timeoutMs', kind: 'int', help: 'server selection / operation timeout' },
  { name: 'KAFKA_BROKERS', path: 'kafka.brokers', kind: 'list', help: 'Kafka brokers, each host:port; a JSON array or a comma list' },
  { name: 'KAFKA_CLIENT_ID', path: 'kafka.clientId', kind: 'string', help: 'Kafka client id' },
  { name: 'KAFKA_SASL_USERNAME', path: 'kafka.saslUsername', kind: 'string', help: 'SASL user (the YAML `mq_conf.sasl_plain_username`)' },
  { name: 'KAFKA_SASL_PASSWORD', path: 'kafka.saslPassword', kind: 'string', secret: true, help: 'SASL password (the YAML `mq_conf.sasl_plain_password`)' },
  { name: 'KAFKA_SASL_MECHANISM', path: 'kafka.saslMechanism', kind: 'string', help: 'plain | scram-sha-256 | scram-sha-512' },
  { name: 'KAFKA_SSL', path: 'kafka.ssl', kind: 'bool', help: 'TLS to the brokers' },
  { name: 'KAFKA_EVENTS_TOPIC', path: 'kafka.eventsTopic', kind: 'string', help: 'topic receiving a task event at each state change' },
  { name: 'KAFKA_INGEST_TOPICS', path: 'kafka.ingestTopics', kind: 'list', help: 'topics whose {"Task": …} messages start service tasks; a JSON array or a comma list' },
  { name: 'KAFKA_INGEST_GROUP', path: 'kafka.ingestGroup', kind: 'string', help: 'consumer group of the ingest consumer' },
  { name: 'KAFKA_DEAD_LETTER_TOPIC', path: 'kafka.deadLetterTopic', kind: 'string', help: 'where malformed ingest messages go, with the reason' },
  { name: 'DEVICE_API_KEY', path: 'auth.deviceApiKey', kind: 'string', secret: true, help: 'X-API-KEY of the device-jobs dialect' },
  { name: 'SCHEDULER_JWT_SECRET', path: 'auth.schedulerJwtSecret', kind: 'string', secret: true, help: 'HS256 secret of the scheduler dialect JWTs' },
  { name: 'GPU_API_KEY', path: 'auth.gpuApiKey', kind: 'string', secret: true, help: 'API key of the GPU dialect' },
  { name: 'AUTH_TOKEN', path: 'auth.serviceAuthToken', kind: 'string', secret: true, help: 'Authorization token of the long-task dialect' },
  { name: 'CODEC_OPERATOR_TOKEN', path: 'auth.codecOperatorToken', kind: 'string', secret: true, help: 'bearer token an operator gives the Temporal UI to decode payloads' },
  { name: 'CODEC_KEY', path: 'codec.key', kind: 'string', secret: true, help: 'base64 AES-256-GCM key encrypting every Temporal payload' },
  { name: 'CODEC_KEY_ID', path: 'codec.keyId', kind: 'string', help: 'id stored beside each encrypted payload (key rotation)' },
  { name: 'CODEC_PREVIOUS_KEYS', path: 'codec.previousKeys', kind: 'json', secret: true, help: 'JSON object {"<key id>": "<base64 key>"} of retired keys still accepted for decoding (payloads written before a rotation)' },
  { name: 'WORKER_NAME', path: 'worker.name', kind: 'string', help: 'worker name shown by GET /worker (default worker_<host>_<pid>)' },
  { name: 'WORKER_MAX_CONCURRENT_ACTIVITIES', path: 'worker.maxConcurrentActivities', kind: 'int', help: 'activities a worker runs at once' },
  { name: 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', path: 'worker.maxConcurrentWorkflowTasks', kind: 'int', help: 'workflow tasks a worker processes at once (at least 2)' },
  { name: 'WORKER_HEARTBEAT_SECONDS', path: 'worker.heartbeatSeconds', kind: 'int', help: 'how often a worker records its heartbeat' },
  { name: 'WORKER_DEAD_AFTER_SECONDS', path: 'worker.deadAfterSeconds', kind: 'int', help: 'a worker silent this long is dead' },
  { name: 'WORKER_HTTP_HOST', path: 'worker.httpHost', kind: 'string', help: 'address of the worker\'s probe port (/livez, /readyz, /metrics)' },
  { name: 'WORKER_HTTP_PORT', path: 'worker.httpPort', kind: 'int', help: 'the worker\'s probe port; 0 picks a free one and logs it' },
  { name: 'WORKER_SDK_METRICS_PORT', path: 'worker.sdkMetricsPort', kind: 'int', help: 'port (on 127.0.0.1) of the Temporal SDK\'s Prometheus exporter, whose `temporal_*` series the worker\'s /metrics also serves; 0 picks a free one' },
  { name: 'WORKER_SHUTDOWN_GRACE_SECONDS', path: 'worker.shutdownGraceSeconds', kind: 'int', help: 'how long SIGTERM lets running activities finish' },
  { name: 'DEVICE_DEFAULT_TTL', path: 'device.defaultTtlSeconds', kind: 'int', help: 'seconds a device job may wait before it starts' },
  { name: 'DEVICE_BULK_TTL', path: 'device.bulkTtlSeconds', kind: 'int', help: 'the same for /device/bulk jobs' },
  { name: 'DEVICE_EXECUTION_TIMEOUT', path: 'device.defaultExecutionTimeoutSeconds', kind: 'int', help: 'seconds a device job may run' },
  { name: 'DEVICE_SESSION_IDLE_SECONDS', path: 'device.sessionIdleSeconds', kind: 'int', help: 'idle pinned SSH sessions close after this' },
  { name: 'DEVICE_FIFO_CONCURRENCY', path: 'device.fifoConcurrency', kind: 'int', help: 'fifo SSH jobs one worker runs at once' },
  { name: 'DEVICE_PARSE_BUDGET_MS', path: 'device.parseBudgetMs', kind: 'int', help: 'CPU time (ms) one job\'s parsing may take on a parse thread; over it the job fails with ParseTimeout' },
  { name: 'DEVICE_PARSE_THREADS', path: 'device.parseThreads', kind: 'int', help: 'parse threads per worker (regex and TextFSM run there, never on the event loop)' },
  { name: 'RENDER_TIME_MS', path: 'device.renderTimeMs', kind: 'int', help: 'time budget of one Jinja2 render in the sandbox in ms (10..10000; CPU time of the render thread where Node tells it, else wall clock); over it, a 400 on rendering.template' },
  { name: 'RENDER_MEMORY_MB', path: 'device.renderMemoryMb', kind: 'int', help: 'heap of the Jinja2 sandbox (QuickJS) in MiB (4..1024)' },
  { name: 'RENDER_OUTPUT_CHARS', path: 'device.renderOutputChars', kind: 'int', help: 'characters one render may produce (1000..100000000)' },
  { name: 'NTC_TEMPLATES_DIR', path: 'device.ntcTemplatesDir', kind: 'string', help: 'ntc-templates folder (index + templates) for parsing without a template; install.sh ntc-templates fills it' },
  { name: 'SCHEDULER_PROJECTS', path: 'scheduler.projects', kind: 'json', help: 'JSON list of {id, name, entry_command, workdir}' },
  { name: 'SCHEDULER_WORKSPACE_ROOT', path: 'scheduler.workspaceRoot', kind: 'string', help: 'parent folder of per-execution workspaces' },
  { name: 'SCHEDULER_MAX_LOG_BYTES', path: 'scheduler.maxLogBytes', kind: 'int', help: 'output kept per execution and stream' },
  { name: 'SCHEDULER_COMMAND_USERS', path: 'scheduler.commandUsers', kind: 'list', help: 'non-admin users allowed to schedule shell commands; a JSON array or a comma list' },
  { name: 'GPU_HEARTBEAT_TIMEOUT_SECONDS', path: 'gpu.heartbeatTimeoutSeconds', kind: 'int', help: 'a GPU node silent this long goes OFFLINE' },
  { name: 'GPU_DEFAULT_TASK_TIMEOUT_SECONDS', path: 'gpu.defaultTaskTimeoutSeconds', kind: 'int', help: 'GPU task timeout when the request gives none' },
  { name: 'GPU_MAX_RETRIES', path: 'gpu.maxRetries', kind: 'int', help: 'other nodes a GPU task is sent to after a node failure' },
  { name: 'GPU_FAILURE_THRESHOLD', path: 'gpu.failureThreshold', kind: 'int', help: 'node failures before a node is FAULTY' },
  { name: 'GPU_QUEUE_ALERT_THRESHOLD', path: 'gpu.queueAlertThreshold', kind: 'int', help: 'queue length that raises a WARNING alert' },
  { name: 'GPU_FAILURE_RATE_ALERT_THRESHOLD', path: 'gpu.failureRateAlertThreshold', kind: 'number', help: 'task failure rate (0..1) that raises a WARNING alert' },
  { name: 'GPU_NODE_CALL_TIMEOUT_MS', path: 'gpu.nodeCallTimeoutMs', kind: 'int', help: 'how long a GPU node may take to accept a task' },
  { name: 'CLUSTER_ID', path: 'cluster.id', kind: 'string', help: 'cluster name shown by /api/v2/cluster/status' },
  { name: 'CLUSTER_HEARTBEAT_SECONDS', path: 'cluster.heartbeatSeconds', kind: 'int', help: 'how often each api/worker process records itself in `instances`' },
  { name: 'CLUSTER_LEASE_SECONDS', path: 'cluster.leaseSeconds', kind: 'int', help: 'leader lease; a silent instance drops out and leadership moves after this' },
  { name: 'RECONCILE_INTERVAL_SECONDS', path: 'reconcile.intervalSeconds', kind: 'int', help: 'seconds between passes that repair mirror records from Temporal (run by the cluster leader); 0: off' },
  { name: 'RECONCILE_GRACE_SECONDS', path: 'reconcile.graceSeconds', kind: 'int', help: 'a record changed this recently is not reconciled yet' },
  { name: 'RECONCILE_ORPHAN_SECONDS', path: 'reconcile.orphanSeconds', kind: 'int', help: 'a waiting record with no workflow at all is ended (NotStarted) once older than this' },
  { name: 'OUTBOUND_SCHEMES', path: 'outbound.schemes', kind: 'list', help: 'URL schemes webhooks and the http service may use: http, https (default both); a JSON array or a comma list' },
  { name: 'OUTBOUND_ALLOW_CIDRS', path: 'outbound.allowCidrs', kind: 'list', help: 'CIDRs exempt from the built-in denials (e.g. the private network your webhook receivers live on); a JSON array or a comma list' },
  { name: 'OUTBOUND_ALLOW_HOSTS', path: 'outbound.allowHosts', kind: 'list', help: 'host names (`name` or `*.domain`) exempt from the built-in denials, whatever they resolve to; a JSON array or a comma list' },
  { name: 'OUTBOUND_DENY_CIDRS', path: 'outbound.denyCidrs', kind: 'list', help: 'CIDRs never connected to, over any allow entry; a JSON array or a comma list' },
  { name: 'OUTBOUND_DENY_HOSTS', path: 'outbound.denyHosts', kind: 'list', help: 'host names (`name` or `*.domain`) never connected to, over any allow entry; a JSON array or a comma list' },
  { name: 'OUTBOUND_ALLOW_ONLY', path: 'outbound.allowOnly', kind: 'bool', help: 'true: refuse every destination not in OUTBOUND_ALLOW_CIDRS / OUTBOUND_ALLOW_HOSTS' },
  { name: 'OUTBOUND_DEFAULTS', path: 'outbound.defaults', kind: 'string', help: 'built-in denials: auto (internal in PRODUCTION, metadata elsewhere) | internal | metadata | none' },
  { name: 'OUTBOUND_MAX_REDIRECTS', path: 'outbound.maxRedirects', kind: 'int', help: 'redirects an outbound call follows (each one checked again), 0..20' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', path: 'tracing.otlpEndpoint', kind: 'string', help: 'base URL of an OTLP/HTTP collector (protobuf; spans go to <url>/v1/traces); unset: no tracing at all' },
  { name: 'OTEL_SERVICE_NAME', path: 'tracing.serviceName', kind: 'string', help: 'service.name of the exported spans' },
  { name: 'TRACING_SAMPLE_RATIO', path: 'tracing.sampleRatio', kind: 'number', help: 'share (0..1) of requests that start a trace; a request that arrives with a W3C traceparent follows its caller\'s choice' },
  { name: 'MAX_STATUS_TASK', path: 'services.maxStatusTask', kind: 'int', help: 'most ids one status_task call may ask (the YAML `max_status_task`)' },
  { name: 'SERVICES', path: 'services.list', kind: 'json', help: 'JSON list of {name, source_name, topic_name, consumer_id, dispatch, timeout_seconds, heartbeat_seconds, task_queue}' },
];

export const SECRET_ENV_NAMES = new Set(ENV_KEYS.filter((k) => k.secret).map((k) => k.name));

/**
 * Every credential can also be given as a file: `<NAME>_FILE` names a file whose content is the value. Docker
 * and Kubernetes mount secrets as files, and a value read from a file never shows in `ps e`, `docker inspect` or
 * the pod spec. Derived from the `secret` flag, so a credential added to ENV_KEYS gets its file variant too.
 */
export const FILE_ENV_SUFFIX = '_FILE';
export interface FileEnvKey {
  name: string;
  /** The credential whose value the file holds. */
  of: EnvKey;
}
export const FILE_ENV_KEYS: readonly FileEnvKey[] = ENV_KEYS.filter((k) => k.secret).map((k) => ({ name: `${k.name}${FILE_ENV_SUFFIX}`, of: k }));
