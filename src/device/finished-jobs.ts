import type { DeviceJobView } from './job-view.js';

/**
 * Views of finished jobs, kept a few seconds per API process for `GET /job?id=`: clients poll a job by id, often
 * past its end, and a finished record does not change (its workflow wrote its last state). The time bound covers
 * the rare repair of an ended record (a lost write found later); nothing open is ever kept.
 */
export class FinishedJobViews {
  private readonly views = new Map<string, { view: DeviceJobView; until: number }>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 20_000,
  ) {}

  get(id: string, now = Date.now()): DeviceJobView | null {
    const hit = this.views.get(id);
    if (!hit) return null;
    if (hit.until > now) return hit.view;
    this.views.delete(id);
    return null;
  }

  put(id: string, view: DeviceJobView, now = Date.now()): void {
    this.views.delete(id);
    this.views.set(id, { view, until: now + this.ttlMs });
    // Map order is insertion order: the first entries are the oldest.
    for (const oldest of this.views.keys()) {
      if (this.views.size <= this.maxEntries) break;
      this.views.delete(oldest);
    }
  }
}
