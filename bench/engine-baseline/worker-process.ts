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
      return new Promise((resolve, reject) => {
        const child = spawn(command, { shell: false, stdio: ['pipe', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`))));
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
