/**
 * Mixed load across the dialects: a fixed number of jobs of each kind, interleaved and spread over a period, so
 * that a fault lands while work of every kind is being submitted, waiting and running.
 */
import type { DialectClients, JobKind, Submission } from './dialects.js';

export type LoadMix = Partial<Record<JobKind, number>>;

export interface LoadOptions {
  mix: LoadMix;
  /** The submissions are spread evenly over this long. */
  spreadMs: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Seconds a fifo job / a scheduled command sleeps, so that some are running when the fault hits. */
  sleepSeconds?: number;
  /** Ingest ids sent a second time (a client retry with the same id), as a share of the ingest jobs. */
  ingestRetryShare?: number;
}

export class LoadRun {
  readonly subs: Submission[] = [];
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private readonly clients: DialectClients,
    private readonly opts: LoadOptions,
  ) {
    this.done = this.run();
  }

  /** The kinds in submission order: interleaved round robin, so every kind is submitted all through the run. */
  private plan(): JobKind[] {
    const left = new Map(Object.entries(this.opts.mix) as [JobKind, number][]);
    const order: JobKind[] = [];
    while ([...left.values()].some((n) => n > 0)) {
      for (const [k, n] of left) {
        if (n <= 0) continue;
        order.push(k);
        left.set(k, n - 1);
      }
    }
    return order;
  }

  private async run(): Promise<void> {
    const order = this.plan();
    const gap = order.length > 1 ? this.opts.spreadMs / order.length : 0;
    const started = Date.now();
    const concurrency = this.opts.concurrency ?? 6;
    const inflight = new Set<Promise<void>>();
    const ingestIds: string[] = [];
    let retries = Math.round((this.opts.mix.ingest ?? 0) * (this.opts.ingestRetryShare ?? 0.2));
    for (let i = 0; i < order.length && !this.stopped; i++) {
      const due = started + i * gap;
      if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
      while (inflight.size >= concurrency) await Promise.race(inflight);
      const kind = order[i]!;
      const p = (async () => {
        const s = await this.clients.submit(kind, { sleepSeconds: this.opts.sleepSeconds });
        this.subs.push(s);
        if (kind === 'ingest' && s.id) ingestIds.push(s.id);
        // Now and then a client sends an ingest message again with the same task_id.
        if (kind === 'ingest' && retries > 0 && ingestIds.length > 1 && i % 3 === 0) {
          retries--;
          const again = ingestIds[Math.floor(ingestIds.length / 2)]!;
          this.subs.push(await this.clients.submit('ingest', { ingestId: again }));
        }
      })().finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
  }

  stop(): void {
    this.stopped = true;
  }

  get progress(): number {
    const total = Object.values(this.opts.mix).reduce((a, b) => a + (b ?? 0), 0);
    return total === 0 ? 1 : this.subs.length / total;
  }
}

/** Resolves once `share` of the load has been submitted. */
export async function untilProgress(load: LoadRun, share: number): Promise<void> {
  while (load.progress < share) await new Promise((r) => setTimeout(r, 100));
}

/** Submits one probe job (and submits again while the answer is not a success). */
export type Probe = () => Promise<Submission>;

export function probesFor(clients: DialectClients, kinds: JobKind[]): Probe[] {
  return kinds.map((k) => () => clients.submit(k));
}

/**
 * Probe jobs submitted after a fault has ended; resolves with the seconds until all of them ended (null if they
 * did not within the time given). This is the scenario's "seconds to recover".
 */
export async function probeRecovery(clients: DialectClients, probes: Probe[], timeoutMs: number, sink: Submission[], log?: (line: string) => void): Promise<number | null> {
  const started = Date.now();
  const ended: string[] = [];
  const deadline = started + timeoutMs;
  const pending = new Map<number, Submission>();
  // A probe whose submission is refused (the API is still coming back) is submitted again until it is accepted.
  const open = new Set(probes.map((_, i) => i));
  while (open.size > 0 && Date.now() < deadline) {
    for (const i of [...open]) {
      const s = pending.get(i);
      if (s) {
        const [v] = await clients.view(s.kind, [s.id!]);
        if (v?.terminal) {
          open.delete(i);
          ended.push(`${s.kind} ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
        continue;
      }
      const sub = await probes[i]!();
      sink.push(sub);
      if (sub.accepted) pending.set(i, sub);
    }
    if (open.size > 0) await new Promise((r) => setTimeout(r, 250));
  }
  log?.(`recovery probes ended: ${ended.join(', ')}${open.size > 0 ? `; ${open.size} did not end` : ''}`);
  return open.size === 0 ? (Date.now() - started) / 1000 : null;
}
