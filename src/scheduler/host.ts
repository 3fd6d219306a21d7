import { cpus, freemem, totalmem } from 'node:os';
import { mkdir, readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/** Where an execution's files live: the workspace (removable by cleanup) and its logs (kept with the history). */
export function executionPaths(workspaceRoot: string, executionId: string) {
  const logDir = join(workspaceRoot, '.logs', executionId);
  return { workspace: join(workspaceRoot, executionId), logDir, output: join(logDir, 'output.log'), error: join(logDir, 'error.log') };
}

/** Host figures for GET /metrics: CPU busy share over a short sample, memory and disk use (percent). */
export async function hostUsage(path: string, sampleMs = 200): Promise<{ cpu: number; memory: number; disk: number }> {
  const busy = () => cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, total: a.total + Object.values(c.times).reduce((x, y) => x + y, 0) }), { idle: 0, total: 0 });
  const before = busy();
  await new Promise((r) => setTimeout(r, sampleMs));
  const after = busy();
  const total = after.total - before.total;
  const cpu = total > 0 ? (1 - (after.idle - before.idle) / total) * 100 : 0;
  let available = freemem();
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(await readFile('/proc/meminfo', 'utf8'));
    if (m) available = Number(m[1]) * 1024;
  } catch {
    // not Linux: freemem()
  }
  const memory = (1 - available / totalmem()) * 100;
  await mkdir(path, { recursive: true });
  const fs = await statfs(path);
  const disk = fs.blocks > 0 ? (1 - fs.bavail / fs.blocks) * 100 : 0;
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return { cpu: r1(cpu), memory: r1(memory), disk: r1(disk) };
}

async function sizeOf(path: string): Promise<number> {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path).catch(() => [] as string[])) total += await sizeOf(join(path, e));
  return total;
}

export interface CleanupSummary {
  directories_removed: number;
  space_freed_mb: number;
  oldest_removed: Date | null;
}

/**
 * Removes execution workspaces under `root` last changed more than `maxAgeHours` ago, except those `keep` names
 * (executions still running), with the worker's own copy of their logs (`root/.logs/<id>`): the history's copy is
 * the one shipped to MongoDB.
 */
export async function cleanupWorkspaces(root: string, maxAgeHours: number, keep: (name: string) => Promise<boolean>, now = new Date()): Promise<CleanupSummary> {
  const cutoff = now.getTime() - maxAgeHours * 3600_000;
  let removed = 0;
  let bytes = 0;
  let oldest: Date | null = null;
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const path = join(root, e.name);
    const s = await stat(path).catch(() => null);
    if (!s || s.mtimeMs > cutoff) continue;
    if (await keep(e.name)) continue;
    bytes += await sizeOf(path);
    await rm(path, { recursive: true, force: true });
    await rm(join(root, '.logs', e.name), { recursive: true, force: true });
    removed += 1;
    if (!oldest || s.mtime < oldest) oldest = s.mtime;
  }
  return { directories_removed: removed, space_freed_mb: Math.round((bytes / 1048576) * 10) / 10, oldest_removed: oldest };
}
