/**
 * Reads of jobs by id for `GET /job?id=`, batched without waiting: at most one read is in flight per API process,
 * and the ids asked for meanwhile go together in the next one (one `_id $in` query, which FerretDB serves from
 * its `_id` index). An idle API reads at once, as before; a busy one makes one database round trip for many
 * polls instead of one each. Each answer is a read made after the poll arrived, so it is never older than the poll.
 */
export class JobReads<R> {
  private waiting = new Map<string, Array<{ resolve: (r: R | null) => void; reject: (e: unknown) => void }>>();
  private busy = false;

  constructor(
    private readonly readMany: (ids: string[]) => Promise<Map<string, R>>,
    private readonly maxBatch = 200,
  ) {}

  get(id: string): Promise<R | null> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(id);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      if (!this.busy) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.waiting.size > 0) {
        const batch = new Map<string, Array<{ resolve: (r: R | null) => void; reject: (e: unknown) => void }>>();
        for (const [id, list] of this.waiting) {
          if (batch.size >= this.maxBatch) break;
          batch.set(id, list);
        }
        for (const id of batch.keys()) this.waiting.delete(id);
        try {
          const found = await this.readMany([...batch.keys()]);
          for (const [id, list] of batch) for (const w of list) w.resolve(found.get(id) ?? null);
        } catch (e) {
          for (const list of batch.values()) for (const w of list) w.reject(e);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
