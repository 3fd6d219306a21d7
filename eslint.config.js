import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs', 'fs/promises', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'dns', 'tls',
  'stream', 'process', 'timers', 'worker_threads', 'cluster', 'dgram', 'readline', 'zlib', 'url', 'util',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', 'coverage/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Workflow code is replayed deterministically in a sandbox: no I/O, no Node built-ins, no clocks or randomness of its own.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((m) => [{ name: m }, { name: `node:${m}` }]),
          { name: 'mongodb' }, { name: 'kafkajs' }, { name: 'ssh2' }, { name: 'pino' },
          { name: '@temporalio/client' }, { name: '@temporalio/worker' }, { name: '@temporalio/activity' },
        ],
        patterns: [
          { group: ['node:*'], message: 'Node built-ins are not available in workflow code.' },
          {
            group: ['**/src/store/**', '**/src/kafka/**', '**/src/api/**', '**/src/ssh/**', '**/src/temporal/**', '!**/src/temporal/search-attributes.js', '!**/src/temporal/task-queues.js', '!**/src/temporal/versioning.js', '**/src/config/**', '**/activities/**'],
            message: 'Workflows must not import I/O modules: proxy activities and import their types only.',
            allowTypeImports: true,
          },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'No process in workflow code.' },
        { name: 'fetch', message: 'No I/O in workflow code: use an activity.' },
        { name: 'require', message: 'No require in workflow code.' },
      ],
    },
  },
);
