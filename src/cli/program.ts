import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, redactedConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging.js';
import { createApiRuntime, type ApiRuntime } from '../api/server.js';
import { mintSchedulerToken } from '../api/scheduler/auth.js';
import { createWorkerRuntime, type WorkerRuntime } from '../worker.js';
import { WORKER_PLUGINS } from '../worker-plugins.js';
import { GPU_AGENT_USAGE, runGpuAgentCommand } from '../gpu-agent/cli.js';
import { reconcileAll } from '../reconcile/command.js';
import { BootDeadlineError } from '../lifecycle/wait.js';
import { ListenError } from '../lifecycle/probes.js';
import { migrateCommand } from '../lifecycle/migrate.js';
import { runDev, stopWithDevParent } from '../lifecycle/dev.js';
import { connectTemporalClient } from '../temporal/connection.js';
import { moveLongLivedToNewCode } from '../temporal/upgrade.js';
import { startBanner } from './banner.js';
import { addClientCommands } from './client-commands.js';
import { addDialectTaskCommands } from './dialect-task-commands.js';
import { ApiError } from './http.js';
import { UsageError } from './usage.js';


const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

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

/**
 * The version in the package's package.json: two folders up from src/cli/ in the source tree, three from
 * dist/src/cli/ in a build (the image keeps package.json beside dist/).
 */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'switchyard' && pkg.version) return pkg.version;
    } catch {
      // not there: look one folder further up
    }
  }
  return 'unknown';
}

const VERSION = packageVersion();

/** Server commands load the configuration once, when they run (never for --help). */
function setup(): { config: Config; logger: Logger } {
  const config = loadConfig();
  return { config, logger: createLogger(config.logLevel, { service: 'switchyard' }) };
}

export interface CliOutput {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** The whole command tree; `io` receives help, version and client output (a test passes its own). */
export function buildProgram(io: CliOutput = { out: process.stdout, err: process.stderr }): Command {
  const program = new Command('switchyard')
    .description('Durable job orchestration on Temporal, speaking four documented HTTP dialects')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (each command has its own: switchyard <command> --help)')
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .addHelpCommand('help [command]', 'show help for a command');
  // Usage errors reach the catch below as one CommanderError; commander prints nothing itself.
  program.exitOverride().configureOutput({ outputError: () => undefined, writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  program
    .command('api')
    .description('serve the HTTP API (all four dialects)')
    .action(async () => {
      const { config, logger } = setup();
      const api = await runApi(config, logger);
      onSignals(logger, () => api.shutdown());
    });

  program
    .command('worker')
    .description('run a Temporal worker')
    .action(async () => {
      const { config, logger } = setup();
      const { runtime, done } = await runWorker(config, logger);
      onSignals(logger, () => runtime.shutdown().then(() => done));
      await done;
    });

  program
    .command('dev')
    .description('check the configuration, start the local stack (scripts/stack/up.sh), then the api and a worker as two processes; Ctrl-C or SIGTERM stops both and the stack it started')
    .action(async () => {
      // An invalid setting is reported (ConfigError, exit 2) before anything starts, the local stack included.
      const { config, logger } = setup();
      stackScript('up');
      const apiUrl = `http://${config.api.host}:${config.api.port}`;
      const code = await runDev({
        logger,
        entry: process.argv[1]!,
        execArgv: process.execArgv,
        apiUrl,
        banner: () => startBanner(config),
        stackDown: () => stackScript('down'),
      });
      process.exit(code);
    });

  program
    .command('config')
    .description('print the effective configuration with secrets redacted (exit 2 when it is invalid)')
    .action(() => {
      const { config } = setup();
      process.stdout.write(`${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    });

  program
    .command('token')
    .description('print a scheduler-dialect JWT')
    .argument('<user>', 'the JWT subject')
    .argument('[role]', 'admin or user', 'user')
    .argument('[expiry]', 'lifetime, e.g. 12h, 30m', '12h')
    .action(async (user: string, role: string, expiry: string) => {
      if (role !== 'admin' && role !== 'user') throw new UsageError(`role must be admin or user, got "${role}"`);
      const { config } = setup();
      process.stdout.write(`${await mintSchedulerToken(config.auth.schedulerJwtSecret, user, role, expiry)}\n`);
    });

  program
    .command('reconcile')
    .description(
      'compare every waiting/running mirror record with Temporal and repair it, once; api and worker processes also do it every RECONCILE_INTERVAL_SECONDS in the cluster leader. A record with no workflow at all is ended only after RECONCILE_ORPHAN_SECONDS',
    )
    .argument('[grace]', 'seconds a record must be unchanged before it is compared (default RECONCILE_GRACE_SECONDS)')
    .action(async (graceArg: string | undefined) => {
      const grace = graceArg === undefined ? undefined : Number(graceArg);
      if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw new UsageError(`grace must be a whole number of seconds, got "${graceArg}"`);
      const { config, logger } = setup();
      const report = await reconcileAll(config, logger, grace ?? config.reconcile.graceSeconds);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    });

  program
    .command('migrate')
    .description('repair data that blocks a required unique index, build every index, and print what changed (api and worker processes do the same at every start, before they serve)')
    .action(async () => {
      const { config, logger } = setup();
      const changes = await migrateCommand(config, logger);
      process.stdout.write(`${JSON.stringify({ changes }, null, 2)}\n`);
    });

  program
    .command('move-to-new-code')
    .description(
      'ask the running host lanes, GPU dispatchers and the GPU monitor of this deployment to continue as new on the code the workers run now (after an upgrade\'s old workers have drained)',
    )
    .action(async () => {
      const { config } = setup();
      const temporal = await connectTemporalClient(config);
      try {
        const { signalled } = await moveLongLivedToNewCode(temporal.client, config.temporal.taskQueue);
        process.stdout.write(`${JSON.stringify({ signalled }, null, 2)}\n`);
      } finally {
        await temporal.close();
      }
    });

  program
    .command('gpu-agent')
    .description('run a GPU node agent (switchyard gpu-agent --help)')
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption()
    .argument('[options...]', 'the agent\'s options')
    .action(async (args: string[]) => {
      if (args.includes('--help') || args.includes('-h')) {
        io.out.write(GPU_AGENT_USAGE);
        return;
      }
      const { config, logger } = setup();
      let agent;
      try {
        agent = await runGpuAgentCommand(args, config, logger.child({ proc: 'gpu-agent' }));
      } catch (e) {
        // Its option parser's refusals are usage errors: one line, the first of the message.
        const code = (e as { code?: string }).code ?? '';
        if (code.startsWith('ERR_PARSE_ARGS') || /^--/.test((e as Error).message)) throw new UsageError((e as Error).message.split('\n')[0]!);
        throw e;
      }
      process.stdout.write(`GPU agent listening on ${agent.url}\n`);
      onSignals(logger, () => agent.stop());
    });

  addClientCommands(program, { out: io.out, err: io.err, env: process.env });
  addDialectTaskCommands(program, { out: io.out, err: io.err, env: process.env });
  return program;
}

/** The command a usage error is about, for its hint: `switchyard jobs submit --help`. */
function commandPath(argv: string[], program: Command): string {
  const names: string[] = [];
  let cmd: Command | undefined = program;
  for (const a of argv) {
    const sub: Command | undefined = cmd?.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    names.push(a);
    cmd = sub;
  }
  return ['switchyard', ...names].join(' ');
}

function usageExit(message: string, argv: string[], program: Command): never {
  process.stderr.write(`switchyard: ${message}\nTry '${commandPath(argv, program)} --help'.\n`);
  process.exit(2);
}

/** Runs the CLI on `argv` (without node and script) and turns every failure into its one line and exit code. */
export function runCli(argv: string[]): void {
  const program = buildProgram();
  program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      if (e.exitCode === 0) process.exit(0);
      usageExit(e.message.replace(/^error: /, ''), argv, program);
    }
    if (e instanceof UsageError) usageExit(e.message, argv, program);
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof ApiError) {
      process.stderr.write(`switchyard ${commandPath(argv, program).replace(/^switchyard ?/, '')}: ${e.message}\n`);
      process.exit(1);
    }
    // A dependency that never came, or a port that cannot be bound: one line, no stack (the log said the rest).
    if (e instanceof BootDeadlineError || e instanceof ListenError) {
      process.stderr.write(`switchyard ${argv[0] ?? ''}: ${e.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`switchyard: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
