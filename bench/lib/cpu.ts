import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const TICK_MS = 10;

/** /proc/<pid>/stat's fields after the command name (ppid is [1], pgrp [2], utime [11], stime [12], cutime [13], cstime [14]); null once the process is gone. */
function statFields(pid: number | string): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return null;
  }
}

/** Every live process's stat fields. */
function liveProcesses(): string[][] {
  const out: string[][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry); // null: gone meanwhile
    if (fields) out.push(fields);
  }
  return out;
}

/** A process's own user + system time and its reaped children's, in ms. */
const withReapedMs = (f: string[]) => (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;

/** A process's CPU ms, with its exited children's once reaped (cutime, cstime); null once it is gone. */
export function processCpuMs(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? withReapedMs(fields) : null;
}

/**
 * The CPU ms of every live process in a process group, each with its reaped children's: a server that forks
 * workers (gunicorn, an rq worker's work horse per job) and the workers themselves.
 */
export function processGroupCpuMs(pgid: number): number {
  return liveProcesses()
    .filter((f) => Number(f[2]) === pgid)
    .reduce((ms, f) => ms + withReapedMs(f), 0);
}

/**
 * A server's CPU with its children's: PostgreSQL serves each connection in a forked backend. Live children are
 * read one by one, exited ones are in the parent's cutime/cstime once reaped, so the sum only grows.
 */
export function serverCpuMs(pid: number): number | null {
  let ms = processCpuMs(pid);
  if (ms === null) return null;
  for (const child of liveProcesses()) if (Number(child[1]) === pid) ms += (Number(child[11]) + Number(child[12])) * TICK_MS;
  return ms;
}

/**
 * The local stack's servers this clone started (scripts/stack/up.sh writes their pid files), in SWITCHYARD_STATE
 * or, when the servers a bench uses live in several state directories (bench/engines.ts: each engine's stack
 * beside one shared FerretDB and Kafka), in each directory BENCH_STACK_STATES names (':'-separated).
 */
export function stackServers(): Array<{ name: string; pid: number }> {
  const dirs = process.env.BENCH_STACK_STATES?.split(':').filter(Boolean) ?? [process.env.SWITCHYARD_STATE ?? join(ROOT, '.stack')];
  const out: Array<{ name: string; pid: number }> = [];
  for (const dir of dirs) {
    for (const name of ['temporal', 'temporal-server', 'postgresql', 'ferretdb', 'kafka']) {
      try {
        out.push({ name, pid: Number(readFileSync(join(dir, 'pids', `${name}.pid`), 'utf8').trim()) });
      } catch {
        // not started by this clone: not measured
      }
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
  const before = servers.map((s) => serverCpuMs(s.pid));
  const self = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(self);
  const ms: Record<string, number> = { bench: (used.user + used.system) / 1000 };
  servers.forEach((s, i) => {
    const after = serverCpuMs(s.pid);
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
