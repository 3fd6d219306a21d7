import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, redactedConfig, type Config } from './config/index.js';
import { createLogger, type Logger } from './logging.js';
import { createApiRuntime, type ApiRuntime } from './api/server.js';
import { mintSchedulerToken } from './api/scheduler/auth.js';
import { createWorkerRuntime, type WorkerRuntime } from './worker.js';
import { WORKER_PLUGINS } from './worker-plugins.js';
import { GPU_AGENT_USAGE, runGpuAgentCommand } from './gpu-agent/cli.js';
import { reconcileAll } from './reconcile/command.js';
import { BootDeadlineError } from './lifecycle/wait.js';
import { ListenError } from './lifecycle/probes.js';
import { migrateCommand } from './lifecycle/migrate.js';
import { runDev, stopWithDevParent } from './lifecycle/dev.js';

const USAGE = `usage: switchyard <command>

commands:
  api        serve the HTTP API (all four dialects)
  worker     run a Temporal worker
  dev        check the configuration, start the local stack (scripts/stack/up.sh), then the api and a worker
             as two processes; Ctrl-C or SIGTERM stops both and the stack it started
  config     print the effective configuration with secrets redacted
  gpu-agent  run a GPU node agent (switchyard gpu-agent --help)
  reconcile  compare every waiting/running mirror record with Temporal and repair it, once
             (reconcile [grace seconds, default RECONCILE_GRACE_SECONDS]); api and worker processes
             also do it every RECONCILE_INTERVAL_SECONDS in the cluster leader. A record with no
             workflow at all is ended only after RECONCILE_ORPHAN_SECONDS
  token      print a scheduler-dialect JWT: token <user> [admin|user] [expiry, default 12h]
  migrate    repair data that blocks a required unique index, build every index, and print what changed
             (api and worker processes do the same at every start, before they serve)
`;

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `stop` once on SIGINT/SIGTERM (or when the `dev` process it belongs to is gone); a second signal exits at once. */
function onSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals | 'dev process gone') => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: (e as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  stopWithDevParent(() => handler('dev process gone'));
}

async function runApi(config: Config, logger: Logger): Promise<ApiRuntime> {
  const api = await createApiRuntime({ config, logger: logger.child({ proc: 'api' }) });
  return api;
}

async function runWorker(config: Config, logger: Logger): Promise<{ runtime: WorkerRuntime; done: Promise<void> }> {
  const runtime = await createWorkerRuntime({ config, logger: logger.child({ proc: 'worker' }), plugins: WORKER_PLUGINS });
  const done = runtime.run();
  return { runtime, done };
}

function stackScript(name: 'up' | 'down'): void {
  const result = spawnSync('bash', [`${REPO_ROOT}/scripts/stack/${name}.sh`], { stdio: 'inherit', env: process.env });
  if (result.status !== 0) throw new Error(`scripts/stack/${name}.sh failed (exit ${result.status ?? result.signal})`);
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  // An invalid setting is reported (ConfigError, exit 2) before anything starts, `dev`'s local stack included.
  const config = loadConfig();
  if (command === 'dev') stackScript('up');
  const logger = createLogger(config.logLevel, { service: 'switchyard' });

  switch (command) {
    case 'config':
      process.stdout.write(`${JSON.stringify(redactedConfig(config), null, 2)}\n`);
      return;
    case 'token': {
      const role = argv[2] ?? 'user';
      if (!argv[1] || (role !== 'admin' && role !== 'user')) throw new Error('usage: switchyard token <user> [admin|user] [expiry]');
      process.stdout.write(`${await mintSchedulerToken(config.auth.schedulerJwtSecret, argv[1], role, argv[3] ?? '12h')}\n`);
      return;
    }
    case 'api': {
      const api = await runApi(config, logger);
      onSignals(logger, () => api.shutdown());
      return;
    }
    case 'worker': {
      const { runtime, done } = await runWorker(config, logger);
      onSignals(logger, () => runtime.shutdown().then(() => done));
      await done;
      return;
    }
    case 'dev': {
      const apiUrl = `http://${config.api.host}:${config.api.port}`;
      const code = await runDev({
        logger,
        entry: process.argv[1]!,
        execArgv: process.execArgv,
        apiUrl,
        banner: () => `\nSwitchyard is running:\n  API          ${apiUrl}  (docs: ${apiUrl}/docs)\n  Temporal UI  ${config.temporal.uiUrl}\nPress Ctrl-C to stop everything.\n\n`,
        stackDown: () => stackScript('down'),
      });
      process.exit(code);
      return;
    }
    case 'reconcile': {
      const grace = argv[1] === undefined ? config.reconcile.graceSeconds : Number(argv[1]);
      if (!Number.isInteger(grace) || grace < 0) throw new Error('usage: switchyard reconcile [grace seconds]');
      const report = await reconcileAll(config, logger, grace);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    case 'migrate': {
      const changes = await migrateCommand(config, logger);
      process.stdout.write(`${JSON.stringify({ changes }, null, 2)}\n`);
      return;
    }
    case 'gpu-agent': {
      if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(GPU_AGENT_USAGE);
        return;
      }
      const agent = await runGpuAgentCommand(argv.slice(1), config, logger.child({ proc: 'gpu-agent' }));
      process.stdout.write(`GPU agent listening on ${agent.url}\n`);
      onSignals(logger, () => agent.stop());
      return;
    }
    default:
      process.stderr.write(`switchyard: unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  // A dependency that never came, or a port that cannot be bound: one line, no stack (the log said the rest).
  if (e instanceof BootDeadlineError || e instanceof ListenError) {
    process.stderr.write(`switchyard ${process.argv[2] ?? ''}: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`switchyard: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
