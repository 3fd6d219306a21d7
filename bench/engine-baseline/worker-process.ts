import { spawn } from 'node:child_process';
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createBaselineActivities } from './activities.js';

// node --import tsx bench/engine-baseline/worker-process.ts <address> <namespace> <task queue> <max activities>
// A bare worker in its own process, as a GPU node is: its activity runs a command per task (`cat`, the payload on
// stdin, stdout the result), as `switchyard gpu-agent --command cat` does (`sh -c cat`). Prints "ready" once it polls.
//
// It also reports, one line each on stdout, what the parent bench must count rather than hide:
//   "attempt-again <workflow id> <attempt> <earlier attempt: ran-here | never-here>": an attempt after the first,
//     made by the workflow's retry after a start-to-close timeout; `never-here` means this process never ran the
//     earlier attempt although Temporal recorded it as started (by this worker's identity): the task was lost
//     between the server and the worker, not in the command;
//   "slow <workflow id> <attempt> <ms>": a command that ran over 5 s.
const [address, namespace, taskQueue, max] = process.argv.slice(2);
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: address! });
/** The attempts this process ran (workflow id → highest attempt), to tell a lost delivery from a stuck command. */
const ran = new Map<string, number>();
const worker = await Worker.create({
  connection,
  namespace: namespace!,
  taskQueue: taskQueue!,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: {
    ...createBaselineActivities(),
    async runCommand(command: string, stdin: string): Promise<string> {
      const { info, cancellationSignal } = Context.current();
      const id = info.workflowExecution?.workflowId ?? '';
      if (info.attempt > 1) process.stdout.write(`attempt-again ${id} ${info.attempt} ${(ran.get(id) ?? 0) >= info.attempt - 1 ? 'ran-here' : 'never-here'}\n`);
      ran.set(id, info.attempt);
      const t0 = Date.now();
      return new Promise<string>((resolve, reject) => {
        // As the agent runs it (src/gpu-agent/index.ts: `sh -c <command>`, a bare PATH), in a process group of its
        // own, so that ending it ends whatever it started too.
        const child = spawn('sh', ['-c', command], { detached: true, env: { PATH: '/usr/local/bin:/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'ignore'] });
        // At the attempt's start-to-close timeout the command is ended and the attempt given up, so that a stuck one
        // does not hold one of the worker's slots beyond its attempt (the SDK tells an activity that does not
        // heartbeat nothing of its timeout).
        const onCancel = () => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
          reject(new Error(`${command} ended after ${Date.now() - t0} ms: the attempt's start-to-close timeout`));
        };
        const timeout = setTimeout(onCancel, info.startToCloseTimeoutMs);
        cancellationSignal.addEventListener('abort', onCancel, { once: true });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.on('error', reject);
        child.stdin.on('error', () => undefined);
        child.on('close', (code, signal) => {
          clearTimeout(timeout);
          cancellationSignal.removeEventListener('abort', onCancel);
          const ms = Date.now() - t0;
          if (ms > 5000) process.stdout.write(`slow ${id} ${info.attempt} ${ms}\n`);
          if (code === 0) resolve(out);
          else reject(new Error(`${command} ended with ${signal ?? `exit code ${code}`} after ${ms} ms`));
        });
        child.stdin.end(stdin);
      });
    },
  },
  maxConcurrentActivityTaskExecutions: Number(max),
});
process.on('SIGTERM', () => worker.shutdown());
const running = worker.run();
process.stdout.write('ready\n');
await running;
await connection.close();
process.exit(0);
