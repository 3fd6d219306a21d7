import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const TICK_MS = 10;

/** CPU milliseconds a process has used (user + system, all threads); null when it is gone or not readable. */
function processCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** The local stack's servers this clone started (scripts/stack/up.sh writes their pid files). */
function stackServers(): Array<{ name: string; pid: number }> {
  const dir = join(process.env.SWITCHYARD_STATE ?? join(ROOT, '.stack'), 'pids');
  const out: Array<{ name: string; pid: number }> = [];
  for (const name of ['temporal', 'ferretdb', 'kafka']) {
    try {
      out.push({ name, pid: Number(readFileSync(join(dir, `${name}.pid`), 'utf8').trim()) });
    } catch {
      // not started by this clone: not measured
    }
  }
  return out;
}

export interface CpuSplit {
  /** CPU ms per process name: `bench` is this process (API, worker, load), the others are the stack's servers. */
  ms: Record<string, number>;
}

/**
 * Where the machine's CPU went while `fn` ran: this process and each stack server. On a machine this small the
 * CPU is the shared limit, so a run that costs more CPU per job leaves less of it to the engine.
 */
export async function measureCpu<T>(fn: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit }> {
  const servers = stackServers();
  const before = servers.map((s) => processCpuMs(s.pid));
  const self = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(self);
  const ms: Record<string, number> = { bench: (used.user + used.system) / 1000 };
  servers.forEach((s, i) => {
    const after = processCpuMs(s.pid);
    if (after !== null && before[i] !== null) ms[s.name] = after - before[i]!;
  });
  return { result, cpu: { ms } };
}

/** "CPU per job: bench 31 ms, temporal 40 ms, ferretdb 6 ms (all 77 ms)". */
export function formatCpuPer(cpu: CpuSplit, count: number, unit: string): string {
  const parts = Object.entries(cpu.ms).map(([name, ms]) => `${name} ${(ms / count).toFixed(1)} ms`);
  const all = Object.values(cpu.ms).reduce((a, b) => a + b, 0);
  return `CPU per ${unit}: ${parts.join(', ')} (all ${(all / count).toFixed(1)} ms)`;
}
