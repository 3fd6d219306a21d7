import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { startGpuAgent, type GpuAgent } from '../../src/gpu-agent/index.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';

const env = testEnv('gpuagent', {
  gpu: { heartbeatTimeoutSeconds: 3, defaultTaskTimeoutSeconds: 120, maxRetries: 1, failureThreshold: 5, queueAlertThreshold: 1000, failureRateAlertThreshold: 0.99, nodeCallTimeoutMs: 2000 },
  cluster: { id: 'agent-cluster', heartbeatSeconds: 1, leaseSeconds: 3 },
});
const KEY = env.config.auth.gpuApiKey;
const REPO = fileURLToPath(new URL('../..', import.meta.url));
let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
const agents: GpuAgent[] = [];

type Env<T = unknown> = { code: number; message: string; data: T };
async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: Env<T> }> {
  const res = await fetch(`${api.url}/api/v2${path}`, { method, headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Env<T> };
}
interface TaskDO {
  taskId: string;
  status: string;
  gpuId: string | null;
  result: string | null;
  errorMessage: string | null;
}
const task = async (id: string) => (await call<TaskDO>('GET', `/tasks/${id}`)).body.data;
const create = async (body: Record<string, unknown>) => (await call<{ taskId: string }>('POST', '/tasks', body)).body.data.taskId;
const waitStatus = (id: string, status: string, ms = 60_000) => eventually(async () => ((await task(id)).status === status ? task(id) : null), `${id} ${status}`, ms, 200);

async function agent(gpuId: string, taskTypes: number[], command: string, maxConcurrentTasks = 1): Promise<GpuAgent> {
  const a = await startGpuAgent({
    api: api.url,
    apiKey: KEY,
    gpuId,
    advertiseIp: '127.0.0.1',
    bindHost: '127.0.0.1',
    port: 0,
    taskTypes,
    priorityClass: 'NORMAL',
    maxConcurrentTasks,
    command,
    heartbeatSeconds: 1,
    version: 'test',
    gpuModel: 'TestGPU',
    memory: '8GB',
    cudaVersion: '12.0',
    logger: env.logger,
  });
  agents.push(a);
  return a;
}

beforeAll(async () => {
  worker = await createWorkerRuntime({ config: env.config, logger: env.logger, workflowBundle: await workflowBundle(), kafka: false });
  workerDone = worker.run();
  api = await createApiRuntime({ config: env.config, logger: env.logger, port: 0, kafka: false });
});

afterAll(async () => {
  for (const a of agents) await a.stop().catch(() => undefined);
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await env.cleanup();
});

describe('the GPU node agent, end to end', () => {
  it('registers with its hardware, runs the command with the payload on stdin, reports progress and the result', async () => {
    const a = await agent('agent_a', [701], 'read x; echo "PROGRESS 30"; sleep 0.5; echo "PROGRESS 80"; sleep 0.5; echo "{\\"echo\\":\\"$x\\",\\"task\\":\\"$TASK_ID\\"}"');
    const node = (await call<{ status: string; metadata: Record<string, string>; port: number; maxConcurrentTasks: number }>('GET', '/gpus/agent_a')).body.data;
    expect(node).toMatchObject({ status: 'ACTIVE', port: a.port, maxConcurrentTasks: 1 });
    expect(node.metadata).toHaveProperty('gpuModel');
    const id = await create({ taskType: 701, payload: 'hello' });
    const progress = await eventually(async () => {
      const p = (await call<{ progress: number; status: string }>('GET', `/tasks/${id}/progress`)).body.data;
      return p.status === 'PROCESSING' && p.progress >= 30 ? p : null;
    }, 'progress from the agent');
    expect(progress.progress).toBeGreaterThanOrEqual(30);
    const done = await waitStatus(id, 'COMPLETED');
    expect(done.gpuId).toBe('agent_a');
    expect(JSON.parse(done.result!)).toEqual({ echo: 'hello', task: id });
  });

  it('honours maxConcurrentTasks: the extra tasks wait and then run', async () => {
    const a = await agent('agent_b', [702], 'sleep 0.3; cat', 2);
    const ids = await Promise.all([1, 2, 3, 4, 5].map((i) => create({ taskType: 702, payload: `p${i}` })));
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, a.running().length)), 20);
    for (const id of ids) await waitStatus(id, 'COMPLETED');
    clearInterval(watch);
    expect(most).toBeLessThanOrEqual(2);
    expect((await task(ids[4]!)).result).toBe('p5');
  });

  it('reports a failing command as FAILED, and a timed-out task is stopped on the agent (DELETE /tasks/{id})', async () => {
    const a = await agent('agent_c', [703, 704], 'if [ "$TASK_TYPE" = 703 ]; then echo boom >&2; exit 3; fi; sleep 30');
    const failed = await create({ taskType: 703 });
    const f = await waitStatus(failed, 'FAILED');
    expect(f.errorMessage).toContain('boom');
    const slow = await create({ taskType: 704, timeout: 2500 });
    await eventually(async () => a.running().includes(slow), 'the slow task running on the agent');
    const t = await waitStatus(slow, 'TIMEOUT');
    expect(t.errorMessage).toContain('timed out');
    await eventually(async () => a.running().length === 0, 'the agent stopped the timed-out task');
  });

  it('runs as `switchyard gpu-agent` and deregisters on SIGTERM', async () => {
    const child = spawn(`${REPO}node_modules/.bin/tsx`, ['src/cli.ts', 'gpu-agent', '--api', api.url, '--key', KEY, '--gpu-id', 'agent_cli', '--task-types', '705', '--max-concurrent', '2', '--command', 'tr a-z A-Z', '--heartbeat-seconds', '1', '--gpu-model', 'CliGPU'], {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually(async () => (await call('GET', '/gpus/agent_cli')).status === 200, 'the CLI agent registered', 60_000, 300);
      const id = await create({ taskType: 705, payload: 'shout' });
      expect((await waitStatus(id, 'COMPLETED')).result).toBe('SHOUT');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect((await call('GET', '/gpus/agent_cli')).status, err).toBe(404);
  });
});
