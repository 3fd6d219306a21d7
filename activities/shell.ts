import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { executionPaths } from '../src/scheduler/host.js';
import { ExecutionLogStore } from '../src/store/execution-logs.js';
import { ExecutionStore } from '../src/store/executions.js';
import type { ActivityDeps } from './deps.js';
import { LogShipper } from './log-shipping.js';
import { writeMirror, type MirrorWrite } from './mirror.js';

export interface RunCommandInput {
  executionId: string;
  command: string;
  /** Extra variables from the task's `action.env`; nothing of the worker's own environment is passed on. */
  env: Record<string, string>;
  /** Working directory: the fresh workspace unless the project names its own. */
  cwd?: string;
  timeoutSeconds: number;
  attempt: number;
  /**
   * The execution's RUNNING record, written once the command has started rather than by the workflow before
   * handing it over: no MongoDB write between the scheduled time and the command's start.
   */
  running?: MirrorWrite;
}

export interface RunCommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  maxMemoryMb: number | null;
  avgCpuPercent: number | null;
  outputSummary: string | null;
  errorTail: string | null;
  logFilePath: string;
  errorLogPath: string;
  workspacePath: string;
  truncated: boolean;
}

const TIME_BIN = '/usr/bin/time';
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The command's whole environment: a fixed base, the execution's coordinates and the task's own variables. */
export function cleanEnv(executionId: string, workspace: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: SAFE_PATH,
    HOME: workspace,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    ...extra,
    SWITCHYARD_EXECUTION_ID: executionId,
    SWITCHYARD_WORKSPACE: workspace,
  };
}

/**
 * A log that stops growing at `limit` bytes and says so once: written to the worker's own file and shipped to
 * MongoDB (where the API reads it: the worker's disk is not the API's).
 */
class BoundedLog {
  private written = 0;
  truncated = false;
  private tail = '';
  readonly stream: WriteStream;

  constructor(
    path: string,
    private readonly limit: number,
    readonly shipper: LogShipper,
  ) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  private emit(chunk: Buffer): void {
    this.stream.write(chunk);
    this.shipper.write(chunk);
  }

  write(chunk: Buffer): void {
    this.tail = (this.tail + chunk.toString('utf8')).slice(-4096);
    if (this.truncated) return;
    const room = this.limit - this.written;
    if (chunk.length <= room) {
      this.emit(chunk);
      this.written += chunk.length;
      return;
    }
    if (room > 0) this.emit(chunk.subarray(0, room));
    this.written = this.limit;
    this.truncated = true;
    this.emit(Buffer.from(`\n[switchyard: output truncated at ${this.limit} bytes]\n`));
  }

  lastLine(): string | null {
    const lines = this.tail.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const last = lines.at(-1);
    return last ? last.slice(0, 500) : null;
  }

  async close(): Promise<void> {
    await Promise.all([new Promise<void>((resolve) => this.stream.end(resolve)), this.shipper.close()]);
  }
}

/** `/usr/bin/time -f '%M %U %S'` output: peak RSS (KiB), user and system CPU seconds of the command. */
function parseTimeFile(text: string): { maxKb: number; cpuSeconds: number } | null {
  const line = text.trim().split('\n').at(-1) ?? '';
  const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(line.trim());
  if (!m) return null;
  return { maxKb: Number(m[1]), cpuSeconds: Number(m[2]) + Number(m[3]) };
}

export function createShellActivities(deps: ActivityDeps) {
  const { workspaceRoot, maxLogBytes } = deps.config.scheduler;
  const logStore = new ExecutionLogStore(deps.tasks.collection.db);
  return {
    /**
     * Runs a shell command in a fresh workspace with a clean environment. stdout/stderr go to output.log/error.log
     * (each bounded by `scheduler.maxLogBytes`); the timeout kills the whole process group. A non-zero exit is a
     * result, not an error: the workflow decides about retries.
     */
    async runCommand(input: RunCommandInput): Promise<RunCommandResult> {
      const ctx = Context.current();
      const paths = executionPaths(workspaceRoot, input.executionId);
      await mkdir(paths.workspace, { recursive: true });
      await mkdir(paths.logDir, { recursive: true });
      const order = { attempt: input.attempt, activityAttempt: ctx.info.attempt };
      const out = new BoundedLog(paths.output, maxLogBytes, new LogShipper(logStore, input.executionId, 'output', order, deps.logger));
      const err = new BoundedLog(paths.error, maxLogBytes, new LogShipper(logStore, input.executionId, 'error', order, deps.logger));
      if (input.attempt > 1) {
        const note = Buffer.from(`[switchyard: attempt ${input.attempt}]\n`);
        out.write(note);
        err.write(note);
      }
      const timeFile = join(paths.logDir, `.rusage-${input.attempt}`);
      const useTime = existsSync(TIME_BIN);
      const argv = useTime ? [TIME_BIN, '-f', '%M %U %S', '-o', timeFile, '/bin/sh', '-c', input.command] : ['/bin/sh', '-c', input.command];
      const started = Date.now();
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: input.cwd ?? paths.workspace,
        env: cleanEnv(input.executionId, paths.workspace, input.env),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let timedOut = false;
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const runningWritten = input.running
        ? writeMirror(deps, { ...input.running, start_time: input.attempt === 1 ? new Date(started).toISOString() : input.running.start_time }).catch((e: unknown) => {
            // The workflow's final write makes the record whole; only the RUNNING state is missed meanwhile.
            deps.logger.warn({ executionId: input.executionId, err: (e as Error).message }, 'RUNNING record not written');
          })
        : Promise.resolve();
      child.stdout.on('data', (b: Buffer) => out.write(b));
      child.stderr.on('data', (b: Buffer) => err.write(b));
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, input.timeoutSeconds * 1000);
      const beat = setInterval(() => ctx.heartbeat({ elapsedMs: Date.now() - started }), 1000);
      ctx.cancellationSignal.addEventListener('abort', killGroup);
      const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        child.on('error', (e) => {
          err.write(Buffer.from(`[switchyard: could not start the command: ${e.message}]\n`));
          resolve({ code: 127, signal: null });
        });
        child.on('close', (code, signal) => resolve({ code, signal }));
      });
      const ended = Date.now();
      clearTimeout(timer);
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', killGroup);
      if (timedOut) err.write(Buffer.from(`\n[switchyard: killed after the ${input.timeoutSeconds} s timeout]\n`));
      // The RUNNING record lands before the activity returns, so it never follows the workflow's final write.
      await Promise.all([out.close(), err.close(), runningWritten]);
      const usage = useTime ? parseTimeFile(await readFile(timeFile, 'utf8').catch(() => '')) : null;
      const wall = (ended - started) / 1000;
      // /usr/bin/time reports "Command exited with non-zero status N" lines into its -o file, not into error.log.
      const exitCode = timedOut ? null : exit.code;
      return {
        exitCode,
        signal: exit.signal,
        timedOut,
        startedAt: new Date(started).toISOString(),
        endedAt: new Date(ended).toISOString(),
        durationSeconds: Math.round(wall * 1000) / 1000,
        maxMemoryMb: usage ? Math.round((usage.maxKb / 1024) * 100) / 100 : null,
        avgCpuPercent: usage && wall > 0 ? Math.round((usage.cpuSeconds / wall) * 1000) / 10 : null,
        outputSummary: out.lastLine(),
        errorTail: err.lastLine(),
        logFilePath: paths.output,
        errorLogPath: paths.error,
        workspacePath: paths.workspace,
        truncated: out.truncated || err.truncated,
      };
    },

    /** How many executions of a scheduled task are running now (max_instances > 1 is enforced with it). */
    async countRunningExecutions(input: { scheduleId: number; excluding: string }): Promise<number> {
      return new ExecutionStore(deps.tasks.collection.db).countRunning(input.scheduleId, { excluding: input.excluding });
    },
  };
}
