import { spawn } from 'node:child_process';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createBaselineActivities } from './activities.js';

// node --import tsx bench/engine-baseline/worker-process.ts <address> <namespace> <task queue> <max activities>
// A bare worker in its own process, as a GPU node is: its activity runs a command per task (`cat`, the payload on
// stdin, stdout the result), as `switchyard gpu-agent --command cat` does. Prints "ready" once it polls.
const [address, namespace, taskQueue, max] = process.argv.slice(2);
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: address! });
const worker = await Worker.create({
  connection,
  namespace: namespace!,
  taskQueue: taskQueue!,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: {
    ...createBaselineActivities(),
    async runCommand(command: string, stdin: string): Promise<string> {
      const t0 = Date.now();
      const slow = setTimeout(() => process.stderr.write(`bare worker: ${command} still running after 5 s\n`), 5000);
      return new Promise<string>((resolve, reject) => {
        const child = spawn(command, { shell: false, stdio: ['pipe', 'pipe', 'ignore'] });
        child.once('exit', (code) => Date.now() - t0 > 5000 && process.stderr.write(`bare worker: ${command} exited ${code} after ${Date.now() - t0} ms\n`));
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`))));
        child.stdin.end(stdin);
      }).finally(() => clearTimeout(slow));
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
