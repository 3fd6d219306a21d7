import type { ApiDeps } from './context.js';

export interface HealthReport {
  healthy: boolean;
  checks: Record<string, { ok: boolean; ms: number; detail?: string }>;
}

const CHECK_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Runs every dependency check at once, each bounded in time, so /health answers quickly even when one hangs. */
export async function runHealthChecks(checks: ApiDeps['checks']): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const started = Date.now();
      try {
        const detail = await withTimeout(check(), CHECK_TIMEOUT_MS);
        return [name, { ok: true, ms: Date.now() - started, ...(typeof detail === 'string' ? { detail } : {}) }] as const;
      } catch (e) {
        return [name, { ok: false, ms: Date.now() - started, detail: (e as Error).message }] as const;
      }
    }),
  );
  const report: HealthReport['checks'] = Object.fromEntries(entries);
  return { healthy: Object.values(report).every((r) => r.ok), checks: report };
}
