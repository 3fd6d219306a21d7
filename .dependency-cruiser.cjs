// The import graph of the production code (src/, workflows/, activities/): no cycle, and no arrow from a lower
// layer up to a higher one. The layers are described in docs/DEVELOPING.md ("Layers"); `npm run lint` runs this.
// Type-only imports count: a cycle through types is still a cycle a reader has to untangle.

/** Pure code: canonical task model, statuses, ids, request models, parsing, schedule arithmetic. */
const DOMAIN = [
  '^src/(domain|parsing)/',
  '^src/device/(request|job-view|finished-jobs|driver-args)\\.ts$',
  // The device-type catalogue (names, aliases, prompts and patterns per family): data the API validates requests
  // against, with no I/O; the drivers that use it to talk to devices stay in the infrastructure layer.
  '^src/ssh/(platforms/|terminal-text\\.ts$)',
  '^src/gpu/(priority|request)\\.ts$',
  '^src/scheduler/spec\\.ts$',
];
/** Per-kind contracts (workflow inputs, signals, updates, ids), and the pure Temporal names workflows use. */
const CONTRACTS = ['^src/[^/]+/contract\\.ts$', '^src/temporal/(search-attributes|task-queues|versioning)\\.ts$'];
/** Adapters to the outside: configuration, logging, MongoDB, Temporal client, Kafka, SSH, the cluster registry, outbound HTTP (src/net), the Jinja2 sandbox (src/rendering), tracing (src/tracing). */
const INFRA = ['^src/(config|store|temporal|kafka|ssh|cluster|net|rendering|tracing)/', '^src/logging\\.ts$'];
/** Domain logic with I/O, one folder per job kind (their pure and contract modules are in the layers below). */
const SERVICES = ['^src/(device|gpu|scheduler|service-tasks|reconcile)/'];
/** What a Temporal worker runs. */
const RUNTIME = ['^(activities|workflows)/'];
/** Processes and their wiring: the HTTP API, the worker and its plugins, boot and probes, the CLI, the GPU agent, the image's healthcheck. */
const PROCESSES = ['^src/(api|gpu-agent|lifecycle|cli)/', '^src/(cli|worker|worker-plugins|worker-metrics|healthcheck)\\.ts$', '^src/[^/]+/(worker-plugin|plugin)\\.ts$'];

const PRODUCTION = '^(src|workflows|activities)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'An import cycle: no module may reach itself through its imports (type-only imports included).',
      from: { path: PRODUCTION },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Domain code imports only domain code.',
      from: { path: DOMAIN },
      to: { path: PRODUCTION, pathNot: DOMAIN },
    },
    {
      name: 'contracts-above-domain-only',
      severity: 'error',
      comment: 'A contract is safe inside workflows: it imports only domain code and other contracts.',
      from: { path: CONTRACTS },
      to: { path: PRODUCTION, pathNot: [...DOMAIN, ...CONTRACTS] },
    },
    {
      name: 'infra-below-services',
      severity: 'error',
      comment: 'Store, Temporal, Kafka, SSH and config know nothing of services, workflows, activities or processes.',
      from: { path: INFRA, pathNot: CONTRACTS },
      to: { path: [...SERVICES, ...RUNTIME, ...PROCESSES], pathNot: [...DOMAIN, ...CONTRACTS] },
    },
    {
      name: 'services-below-runtime',
      severity: 'error',
      comment: 'A service is called by activities and dialects, never the other way round.',
      from: { path: SERVICES, pathNot: [...DOMAIN, ...CONTRACTS, ...PROCESSES] },
      to: { path: [...RUNTIME, ...PROCESSES] },
    },
    {
      name: 'workflows-import-contracts',
      severity: 'error',
      comment: 'Workflows import domain code and contracts from src/ (the bundle must stay deterministic and I/O-free).',
      from: { path: '^workflows/' },
      to: { path: '^src/', pathNot: [...DOMAIN, ...CONTRACTS] },
    },
    {
      name: 'workflows-type-activities',
      severity: 'error',
      comment: 'Workflows know activities by their types only (proxyActivities).',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'activities-not-workflows',
      severity: 'error',
      comment: 'Activities share what workflows need through the contracts, not through workflow files.',
      from: { path: '^activities/' },
      to: { path: ['^workflows/', ...PROCESSES] },
    },
    {
      name: 'no-dialect-imports-another',
      severity: 'error',
      comment: 'A dialect folder only translates; shared code lives below the API.',
      from: { path: '^src/api/([^/]+)/' },
      to: { path: '^src/api/[^/]+/', pathNot: '^src/api/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench|scripts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

// For test/unit/layers.test.ts (every production file is in a layer); not enumerable, so the config stays valid.
Object.defineProperty(module.exports, 'layers', { value: { DOMAIN, CONTRACTS, INFRA, SERVICES, RUNTIME, PROCESSES }, enumerable: false });
