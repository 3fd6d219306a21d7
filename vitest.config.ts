import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each file owns its database, topics and task queues, but they share one 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        // The deployment files, checked offline by real loaders (compose-go, helm, Kubernetes types, Temporal's
        // config loader); the first run builds those checkers (scripts/stack/install.sh deploy-tools).
        test: { name: 'deploy', include: ['test/deploy/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 1_800_000 },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // The fault suite stops servers and kills processes on its own private stack and keeps both cores busy:
          // it runs on its own, after the other integration tests, so it cannot starve their timing.
          exclude: ['test/integration/faults*.test.ts', 'test/integration/topology*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/integration/faults*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The production topology (Temporal's own server on PostgreSQL, two APIs, two isolated workers): on its
        // own as well; its first run builds the server (scripts/stack/install.sh temporal-server).
        test: {
          name: 'topology',
          include: ['test/integration/topology*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
