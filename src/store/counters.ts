import type { Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';

export const COUNTERS_COLLECTION = 'counters';

interface CounterDoc {
  _id: string;
  /** The highest number known to be taken: a hint to start from, never the guarantee. */
  seq: number;
}

export async function ensureCounterIndexes(_db: Db): Promise<void> {
  // Every document is looked up by `_id`, whose index comes with the collection.
}

/**
 * Monotonic integer ids (scheduler task ids). Each number is claimed by inserting a document whose `_id` is
 * `<name>:<n>`: the unique `_id` lets exactly one caller win a number. An `$inc` counter is not enough, because
 * FerretDB 1.24 loses concurrent updates to one document (50 parallel `$inc` left 14), which would hand out
 * the same id twice. The counter document only remembers where to start looking.
 */
export async function nextSequence(db: Db, name: string): Promise<number> {
  const counters = db.collection<CounterDoc>(COUNTERS_COLLECTION);
  const hint = await counters.findOne({ _id: name });
  let n = (hint?.seq ?? 0) + 1;
  for (;;) {
    try {
      await counters.insertOne({ _id: `${name}:${n}`, seq: n });
      break;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      n += 1;
    }
  }
  // A lost or late hint update only costs the next caller a few extra probes.
  await counters.updateOne({ _id: name }, { $max: { seq: n } }, { upsert: true });
  return n;
}
