import type { Db } from 'mongodb';

interface CounterDoc {
  _id: string;
  seq: number;
}

export async function ensureCounterIndexes(_db: Db): Promise<void> {
  // `_id` is the counter name: its index comes with the collection.
}

/** Monotonic integer ids (scheduler task ids, GPU display ids) from one atomic $inc. */
export async function nextSequence(db: Db, name: string): Promise<number> {
  const doc = await db
    .collection<CounterDoc>('counters')
    .findOneAndUpdate({ _id: name }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
  if (!doc) throw new Error(`counter ${name} did not return a value`);
  return doc.seq;
}
