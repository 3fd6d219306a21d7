import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiRuntime, type ApiRuntime } from '../../src/api/server.js';
import { createDeviceWorkerPlugin } from '../../src/device/worker-plugin.js';
import { createServiceTasksPlugin } from '../../src/service-tasks/plugin.js';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.js';
import { CliProcess, runCli } from '../support/cli-process.js';
import { eventually, testEnv, workflowBundle } from '../support/env.js';
import { startSshd, type SshdHandle } from '../support/sshd.js';

// `switchyard` as a user runs it (bin/switchyard.js, a child process), against a real API and worker on the shared
// stack, with a private sshd as the device.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const env = testEnv('cli');
const { config } = env;

let api: ApiRuntime;
let worker: WorkerRuntime;
let workerDone: Promise<void>;
let sshd: SshdHandle;

/** The CLI run to its end with only PATH and HOME inherited, plus the API's address and credentials and `extra`. */
const cli = (args: string[], extra: Record<string, string> = {}, timeoutMs = 150_000) =>
  runCli(args, { SWITCHYARD_API_URL: api.url, SWITCHYARD_API_KEY: config.auth.deviceApiKey, SWITCHYARD_AUTH_TOKEN: config.auth.serviceAuthToken, ...extra }, timeoutMs);

const device = () => ['--host', sshd.host, '--port', String(sshd.port), '--username', sshd.username];
const devicePassword = () => ({ SWITCHYARD_DEVICE_PASSWORD: sshd.password });

beforeAll(async () => {
  sshd = await startSshd();
  worker = await createWorkerRuntime({
    config,
    logger: env.logger,
    workflowBundle: await workflowBundle(),
    plugins: [createDeviceWorkerPlugin(), createServiceTasksPlugin({ ingest: false })],
    kafka: false,
  });
  workerDone = worker.run();
  api = await createApiRuntime({ config, logger: env.logger, port: 0, kafka: false });
});

afterAll(async () => {
  await api?.shutdown();
  await worker?.shutdown();
  await workerDone;
  await sshd?.close();
  await env.cleanup();
});

describe('switchyard CLI: help, version, usage errors', () => {
  it('prints its version, and help for every command without starting anything', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const version = await cli(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    // Every command's --help is checked in-process (test/unit/cli-program.test.ts); here, as processes, the ones
    // that would start servers: they answer and exit, with nothing logged (an API or worker that started would).
    const commands = [['api'], ['worker'], ['jobs', 'submit']];
    const runs = await Promise.all(commands.map((c) => cli([...c, '--help'], { LOG_LEVEL: 'info' })));
    for (const [i, r] of runs.entries()) {
      const name = ['switchyard', ...commands[i]!].join(' ');
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(r.stdout, name).toMatch(new RegExp(`^Usage: ${name} `));
      expect(r.stdout, name).not.toContain('"level"');
    }
    expect(runs[2]!.stdout).toContain('--file <path>');
  });

  it('answers a usage error with one line and a hint, exit code 2, no stack trace', async () => {
    const cases: [string[], RegExp, string][] = [
      [['bogus'], /^switchyard: unknown command 'bogus'/, 'switchyard --help'],
      [['jobs', 'get'], /^switchyard: missing required argument 'id'$/, 'switchyard jobs get --help'],
      [['jobs', 'submit', '--host', 'h', '--port', 'x', '-c', 'ls'], /^switchyard: --port must be 1-65535, got "x"$/, 'switchyard jobs submit --help'],
      [['gpu-agent', '--nope'], /^switchyard: Unknown option '--nope'/, 'switchyard gpu-agent --help'],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [i, r] of runs.entries()) {
      const [args, first, hint] = cases[i]!;
      const lines = r.stderr.trimEnd().split('\n');
      expect({ args, code: r.code, lines: lines.length, stdout: r.stdout }).toEqual({ args, code: 2, lines: 2, stdout: '' });
      expect(lines[0]).toMatch(first);
      expect(lines[1]).toBe(`Try '${hint}'.`);
    }
  });

  it('refuses an invalid configuration before starting anything, naming the key (exit 2)', async () => {
    const r = await cli(['config'], { SCHEDULER_COMMAND_USERS: '["alice","bob"' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Invalid configuration: SCHEDULER_COMMAND_USERS must be a JSON array of strings/);
    const ok = await cli(['config'], { SCHEDULER_COMMAND_USERS: '["alice","bob"]' });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { scheduler: { commandUsers: string[] } }).scheduler.commandUsers).toEqual(['alice', 'bob']);
  });

  it('says in one line when the API cannot be reached (exit 1)', async () => {
    // A port nothing listens on: one this test held a moment ago.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await cli(['workers', '--api', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`switchyard workers: cannot reach the API at http://127.0.0.1:${port} (ECONNREFUSED): is it running? (--api or SWITCHYARD_API_URL)\n`);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('switchyard worker: a healthy start', () => {
  it('logs no warning and no error (the activity-only workers\' "No workflows registered" is debug)', async () => {
    const w = new CliProcess('worker', {
      LOG_LEVEL: 'info',
      MONGO_DB: config.mongo.db,
      TEMPORAL_TASK_QUEUE: `${config.temporal.taskQueue}-proc`,
      KAFKA_EVENTS_TOPIC: config.kafka.eventsTopic,
      WORKER_NAME: `w_cli_proc_${env.suffix}`,
      WORKER_HTTP_PORT: '0',
    });
    try {
      await w.waitForLog((r) => r.msg === 'worker running', 'the worker to run', 170_000);
      const loud = w.logs().filter((r) => Number(r.level) >= 40);
      expect(loud).toEqual([]);
      // Not a terminal: every line is JSON.
      expect(w.stdout.filter((l) => l.trim() !== '' && !l.startsWith('{'))).toEqual([]);
      w.child.kill('SIGTERM');
      expect(await w.exited).toEqual({ code: 0, signal: null });
    } finally {
      await w.kill();
    }
  });
});

describe('switchyard CLI: client commands against a running API', () => {
  it('submits one job, waits, and prints a summary table; get shows its output; --json is parseable', async () => {
    const r = await cli(['jobs', 'submit', ...device(), '-c', 'echo cli-$((40+2))'], devicePassword());
    expect({ code: r.code, stderr: r.stderr.includes('1/1') }).toEqual({ code: 0, stderr: true });
    const [header, row, , summary] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^#\s+ID\s+HOST\s+STATUS\s+TOOK\s+ERROR$/);
    expect(row).toMatch(new RegExp(`^1\\s+job_[0-9a-f]{32}\\s+${sshd.host.replace(/\./g, '\\.')}\\s+finished\\s`));
    expect(summary).toBe('1 job(s): 1 finished, 0 failed, 0 cancelled, 0 refused');
    const id = /job_[0-9a-f]{32}/.exec(row!)![0];

    const got = await cli(['jobs', 'get', id]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^id\\s+${id}\\nstatus\\s+finished\\n`));
    expect(got.stdout).toContain('--- echo cli-$((40+2))\ncli-42\n');
    const json = await cli(['jobs', 'get', id, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, status: 'finished', result: { type: 'success', retval: { 'echo cli-$((40+2))': 'cli-42\n' } } });
    // The password never shows in anything the CLI prints.
    for (const text of [r.stdout, r.stderr, got.stdout, json.stdout]) expect(text).not.toContain(sshd.password);
  });

  it('submits many jobs from a file with a progress bar and a summary table; exit 1 when one failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-cli-'));
    const file = join(dir, 'jobs.json');
    const conn = { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password };
    const bodies = [
      ...[1, 2, 3, 4].map((i) => ({ driver: 'ssh', connection_args: conn, command: [`echo many-${i}`], queue_strategy: 'fifo' })),
      { driver: 'ssh', connection_args: { ...conn, password: 'wrong-password' }, command: ['echo never'], queue_strategy: 'fifo' },
      { driver: 'nope', connection_args: conn, command: ['echo refused'] },
    ];
    writeFileSync(file, JSON.stringify(bodies));
    const r = await cli(['jobs', 'submit', '--file', file, '--concurrency', '3']);
    expect(r.code).toBe(1);
    // Not a terminal: progress comes as lines, the last one complete.
    const progress = r.stderr.trimEnd().split('\n');
    expect(progress.every((l) => /^\[[#-]{30}\] \d\/6 ended · finished \d, failed \d, cancelled 0, refused \d · [\d.]+ s$/.test(l))).toBe(true);
    expect(progress.at(-1)).toMatch(/^\[#{30}\] 6\/6 ended · finished 4, failed 1, cancelled 0, refused 1 · /);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('6 job(s): 4 finished, 1 failed, 0 cancelled, 1 refused');
    expect(lines.find((l) => l.startsWith('5 '))).toMatch(/failed\s.*SshAuthError/);
    expect(lines.find((l) => l.startsWith('6 '))).toMatch(/^6\s+-\s+\S+\s+refused\s+-\s+\S/);
    expect(r.stdout + r.stderr).not.toContain(sshd.password);

    const json = await cli(['jobs', 'submit', '--file', file, '--json']);
    const out = JSON.parse(json.stdout) as { index: number; status?: string; error?: string }[];
    expect(out.map((o) => o.status ?? 'refused')).toEqual(['finished', 'finished', 'finished', 'finished', 'failed', 'refused']);
    expect(json.stderr).toBe('');
  });

  it('watches a job live until it ends, one line per state change', async () => {
    // The job waits behind a slower one on its device's pinned lane: queued, then started, then finished.
    const conn = { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password };
    const submit = async (command: string) => {
      const res = await fetch(`${api.url}/device/exec`, {
        method: 'POST',
        headers: { 'X-API-KEY': config.auth.deviceApiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ driver: 'ssh', connection_args: conn, command: [command], queue_strategy: 'pinned' }),
      });
      return ((await res.json()) as { data: { id: string } }).data.id;
    };
    await submit('sleep 12');
    const id = await submit('sleep 2; echo watched');
    const watched = await cli(['jobs', 'watch', id, '--interval', '100']);
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trimEnd().split('\n');
    const states = lines.map((l) => l.split(/\s+/)[2]);
    expect(states).toEqual(['queued', 'started', 'finished']);
    expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\S+Z  ${id}  queued  .*behind job`));
  });

  it('lists jobs and workers, cancels nothing that does not wait, and reads service tasks', async () => {
    const created = await fetch(`${api.url}/api/create_task`, {
      method: 'POST',
      headers: { Authorization: config.auth.serviceAuthToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { service: 'echo', condition: { from: 'cli' } } }),
    });
    const taskId = ((await created.json()) as { task_id: string }).task_id;
    await eventually(async () => {
      const st = await fetch(`${api.url}/api/status_task`, {
        method: 'POST',
        headers: { Authorization: config.auth.serviceAuthToken, 'content-type': 'application/json' },
        body: JSON.stringify({ data: [{ task_id: taskId }] }),
      });
      return ((await st.json()) as { status: { status: string }[] }).status[0]!.status === 'finished';
    }, 'the echo task finished');

    // Each a process of its own, side by side (each one starts node and tsx).
    const [list, workers, cancel, task, tasks, missing] = await Promise.all([
      cli(['jobs', 'list', '--status', 'finished', '--limit', '5']),
      cli(['workers']),
      cli(['jobs', 'cancel', taskId]),
      cli(['tasks', 'get', taskId]),
      cli(['tasks', 'list', '--service', 'echo', '--json']),
      cli(['tasks', 'get', 'ts_echo_nope']),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+KIND\s+QUEUE\s+HOST\s+CREATED\s+TOOK\s+ERROR \/ WAITING$/);
    expect(list.stdout).toMatch(new RegExp(`^${taskId}\\s+finished\\s+service\\s`, 'm'));
    expect(workers.code).toBe(0);
    expect(workers.stdout).toMatch(new RegExp(`^${worker.name}\\s+(idle|busy)\\s`, 'm'));
    expect(cancel).toMatchObject({ code: 1, stdout: 'nothing cancelled (no such job waiting)\n' });
    expect(task.code).toBe(0);
    expect(task.stdout).toMatch(new RegExp(`^task id\\s+${taskId}\\nstatus\\s+finished\\n`));
    expect(task.stdout).toContain('"from": "cli"');
    expect((JSON.parse(tasks.stdout) as { task_id: string }[]).map((t) => t.task_id)).toContain(taskId);
    expect(missing).toMatchObject({ code: 1, stderr: 'switchyard tasks get: task ts_echo_nope not found\n' });
  });
});
