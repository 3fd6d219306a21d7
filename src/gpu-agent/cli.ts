import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';
import { startGpuAgent, type GpuAgent } from './index.js';

export const GPU_AGENT_USAGE = `usage: switchyard gpu-agent [options]

  --api URL              Switchyard API (default http://<API_HOST>:<API_PORT>)
  --key KEY              GPU API key (default GPU_API_KEY)
  --gpu-id ID            node id (default gpu_<hostname>)
  --task-types 2,3,4     task types this node runs (required)
  --priority NORMAL|VIP  priority class it serves (default NORMAL)
  --max-concurrent N     tasks at once (default 1)
  --command CMD          shell command per task; payload on stdin, "PROGRESS <n>" lines report progress,
                         stdout is the result (default: cat)
  --ip ADDR              address the API reaches this agent at (default 127.0.0.1)
  --bind ADDR            address to listen on (default: --ip)
  --port N               port to listen on (default 0: a free one)
  --heartbeat-seconds N  (default a third of GPU_HEARTBEAT_TIMEOUT_SECONDS)
  --gpu-model, --memory, --cuda-version   used when nvidia-smi is absent
`;

export async function runGpuAgentCommand(argv: string[], config: Config, logger: Logger): Promise<GpuAgent> {
  const { values } = parseArgs({
    args: argv,
    options: {
      api: { type: 'string' },
      key: { type: 'string' },
      'gpu-id': { type: 'string' },
      hostname: { type: 'string' },
      'task-types': { type: 'string' },
      priority: { type: 'string' },
      'max-concurrent': { type: 'string' },
      command: { type: 'string' },
      ip: { type: 'string' },
      bind: { type: 'string' },
      port: { type: 'string' },
      'heartbeat-seconds': { type: 'string' },
      'gpu-model': { type: 'string' },
      memory: { type: 'string' },
      'cuda-version': { type: 'string' },
      version: { type: 'string' },
    },
    strict: true,
  });
  const taskTypes = (values['task-types'] ?? '').split(',').filter(Boolean).map(Number);
  if (taskTypes.length === 0 || taskTypes.some((t) => !Number.isInteger(t))) throw new Error(`--task-types is required (e.g. 2,3,4)\n\n${GPU_AGENT_USAGE}`);
  const priority = (values.priority ?? 'NORMAL').toUpperCase();
  if (priority !== 'NORMAL' && priority !== 'VIP') throw new Error('--priority must be NORMAL or VIP');
  const apiHost = config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host;
  const ip = values.ip ?? '127.0.0.1';
  return startGpuAgent({
    api: values.api ?? `http://${apiHost}:${config.api.port}`,
    apiKey: values.key ?? config.auth.gpuApiKey,
    gpuId: values['gpu-id'] ?? `gpu_${hostname()}`,
    hostname: values.hostname,
    advertiseIp: ip,
    bindHost: values.bind ?? ip,
    port: Number(values.port ?? 0),
    taskTypes,
    priorityClass: priority,
    maxConcurrentTasks: Math.max(1, Number(values['max-concurrent'] ?? 1)),
    command: values.command ?? 'cat',
    heartbeatSeconds: Math.max(1, Number(values['heartbeat-seconds'] ?? Math.floor(config.gpu.heartbeatTimeoutSeconds / 3))),
    version: values.version ?? '1.0.0',
    gpuModel: values['gpu-model'],
    memory: values.memory,
    cudaVersion: values['cuda-version'],
    logger,
  });
}
