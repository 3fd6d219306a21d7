import { RenderPool } from './pool.js';
import type { RenderLimits } from './errors.js';

// The API thread needs only these: QuickJS itself is loaded by the render thread (render-worker.ts).
export { TemplateError, TemplateLimitError, DEFAULT_RENDER_LIMITS, type RenderLimits, type RenderLimitKind } from './errors.js';
export { RenderPool } from './pool.js';

/** One render thread per process and set of limits (in practice one: the config's), started on first use. */
const pools = new Map<string, RenderPool>();

export function sharedRenderPool(limits: RenderLimits): RenderPool {
  const key = `${limits.timeMs}/${limits.memoryBytes}/${limits.outputChars}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new RenderPool(limits);
    pools.set(key, pool);
  }
  return pool;
}
