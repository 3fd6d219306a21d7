/**
 * The Python test-oracle venv (`$SWITCHYARD_CACHE/pytools`, created by the install script with textfsm,
 * ntc-templates, netmiko and schemathesis) and a way to run a script in it with JSON in and JSON out.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const switchyardCache: string = process.env.SWITCHYARD_CACHE || join(homedir(), '.cache', 'switchyard');
export const pytoolsDir: string = join(switchyardCache, 'pytools');
export const pytoolsPython: string = join(pytoolsDir, 'bin', 'python');

export function pytoolsAvailable(): boolean {
  return existsSync(pytoolsPython);
}

export class PythonScriptError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'PythonScriptError';
  }
}

/**
 * Runs `script` with the venv's python, writes `input` as JSON to its stdin and parses its stdout as JSON.
 * Rejects with the script's stderr when it exits non-zero or prints something that is not JSON.
 */
export function runPythonJson<T = unknown>(
  script: string,
  input: unknown,
  opts: { args?: string[]; timeoutMs?: number; python?: string; env?: Record<string, string> } = {},
): Promise<T> {
  const python = opts.python ?? pytoolsPython;
  return new Promise<T>((resolve, reject) => {
    const child = spawn(python, [script, ...(opts.args ?? [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...(opts.env ?? {}), PYTHONIOENCODING: 'utf-8', PYTHONHASHSEED: '0' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    }
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new PythonScriptError(`cannot run ${python}: ${e.message}`, null, ''));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        const why = signal ? `killed by ${signal}` : `exited with ${code}`;
        reject(new PythonScriptError(`${script} ${why}: ${stderr.slice(-4000)}`, code, stderr));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as T);
      } catch (e) {
        reject(new PythonScriptError(`${script} printed invalid JSON: ${(e as Error).message}`, code, stderr));
      }
    });
    child.stdin.on('error', () => {
      // The script may exit before reading all input; its exit status tells what happened.
    });
    child.stdin.end(JSON.stringify(input));
  });
}
