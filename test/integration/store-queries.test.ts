import { MongoClient, type Collection, type Document, type Filter } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/env.js';

// The queries the stores send, checked against what MongoDB's semantics say they must return. The local stack's
// FerretDB build answers filters on indexed fields, counts and sorted pages in SQLite through the indexes
// (scripts/stack/ferretdb/); this proves it returns what the plain evaluation does, on fields of one scalar type
// each, with nulls, missing fields, ties and dotted paths, the way Switchyard's documents are shaped.

const env = testEnv('storequeries');
let client: MongoClient;
let coll: Collection<Doc>;

interface Doc {
  _id: string;
  kind?: string | null;
  state: string;
  n?: number;
  x?: number;
  flag: boolean;
  at?: Date | null;
  details: { sid: number; tag?: string };
  note: string;
  /** One field holding numbers, booleans and dates: they must never match each other. */
  mixed?: number | boolean | Date;
}

const KINDS = ['device', 'command', 'gpu', 'service', "it's", 'ünï'];
const STATES = ['queued', 'running', 'succeeded', 'failed'];
const docs: Doc[] = [];

// A seeded generator keeps failures reproducible.
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;

beforeAll(async () => {
  client = await MongoClient.connect(env.config.mongo.url);
  coll = client.db(env.config.mongo.db).collection<Doc>('q');
  await coll.createIndex({ kind: 1, at: -1 });
  await coll.createIndex({ state: 1 });
  await coll.createIndex({ n: -1 });
  await coll.createIndex({ x: 1 });
  await coll.createIndex({ flag: 1 });
  await coll.createIndex({ at: -1 });
  await coll.createIndex({ 'details.sid': 1 });
  await coll.createIndex({ mixed: 1 });
  for (let i = 0; i < 600; i++) {
    const d: Doc = {
      _id: `d${i}`,
      state: pick(STATES),
      flag: rand() < 0.5,
      details: { sid: Math.floor(rand() * 20), ...(rand() < 0.5 ? { tag: pick(['a', 'b']) } : {}) },
      note: `note ${i % 7}`,
    };
    const k = rand();
    if (k < 0.85) d.kind = pick(KINDS);
    else if (k < 0.92) d.kind = null;
    if (rand() < 0.9) d.n = Math.floor(rand() * 50) - 10; // ties on purpose, negatives and zero too
    if (rand() < 0.9) d.x = Math.round(rand() * 1e6) / 100; // doubles
    const a = rand();
    if (a < 0.8) d.at = new Date(Date.UTC(1990 + Math.floor(rand() * 60), 0, 1) + Math.floor(rand() * 1e10));
    else if (a < 0.9) d.at = null;
    const m = rand();
    if (m < 0.3) d.mixed = Math.floor(rand() * 3);
    else if (m < 0.6) d.mixed = rand() < 0.5;
    else if (m < 0.9) d.mixed = new Date(Math.floor(rand() * 3));
    docs.push(d);
  }
  await coll.insertMany(docs);
});

afterAll(async () => {
  await client?.close();
  await env.cleanup();
});

// ---- the reference evaluation (MongoDB semantics for fields of one scalar type, null or missing)
type Scalar = string | number | boolean | Date | null | undefined;
const get = (d: Doc, path: string): Scalar => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], d) as Scalar;
const key = (v: Scalar) => (v instanceof Date ? v.getTime() : (v ?? null));
const sameType = (a: Scalar, b: Scalar) => (a instanceof Date) === (b instanceof Date) && typeof a === typeof b;
const eq = (v: Scalar, want: Scalar) => (want === null ? v === null || v === undefined : v !== null && v !== undefined && sameType(v, want) && key(v) === key(want));
const cmp = (v: Scalar, want: Scalar, op: string) => {
  if (v === null || v === undefined || !sameType(v, want)) return false;
  const a = key(v) as number | string;
  const b = key(want) as number | string;
  return op === '$gt' ? a > b : op === '$gte' ? a >= b : op === '$lt' ? a < b : a <= b;
};

function matches(d: Doc, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([path, cond]) => {
    if (path === '$and') return (cond as Record<string, unknown>[]).every((b) => matches(d, b));
    if (path === '$or') return (cond as Record<string, unknown>[]).some((b) => matches(d, b));
    const v = get(d, path);
    if (cond && typeof cond === 'object' && !(cond instanceof Date)) {
      return Object.entries(cond as Record<string, unknown>).every(([op, arg]) => {
        if (op === '$eq') return eq(v, arg as Scalar);
        if (op === '$ne') return !eq(v, arg as Scalar);
        if (op === '$in') return (arg as Scalar[]).some((a) => eq(v, a));
        if (op === '$nin') return !(arg as Scalar[]).some((a) => eq(v, a));
        return cmp(v, arg as Scalar, op);
      });
    }
    return eq(v, cond as Scalar);
  });
}

/** MongoDB's order of a field holding one scalar type, with null and missing first. */
function order(a: Scalar, b: Scalar): number {
  const na = a === null || a === undefined;
  const nb = b === null || b === undefined;
  if (na || nb) return na && nb ? 0 : na ? -1 : 1;
  const x = key(a) as number | string;
  const y = key(b) as number | string;
  return x < y ? -1 : x > y ? 1 : 0;
}

const FILTERS: Record<string, unknown>[] = [
  {},
  { kind: 'device' },
  { kind: "it's" },
  { kind: 'ünï', state: 'queued' },
  { kind: null },
  { kind: { $in: ['gpu', 'service'] }, state: { $in: ['queued', 'running'] } },
  { kind: { $eq: 'command' } },
  { state: 'failed', flag: true },
  { flag: false },
  { n: 0 },
  { n: 1 },
  { n: { $gte: -3, $lt: 7 } },
  { n: { $in: [0, 1, 5] } },
  { x: { $gt: 5000.5 } },
  { at: { $gte: new Date('2020-01-01T00:00:00Z') } },
  { kind: 'device', at: { $lt: new Date('2005-06-01T00:00:00Z') } },
  { at: null },
  { 'details.sid': 7 },
  { 'details.sid': { $in: [1, 2, 3] }, state: 'running' },
  { 'details.tag': 'a' },
  { state: { $ne: 'queued' } },
  { kind: { $nin: ['device'] }, state: 'succeeded' },
  { note: 'note 3', state: 'queued' },
  { $or: [{ kind: 'gpu' }, { state: 'failed', flag: true }] },
  { state: 'queued', $or: [{ n: { $gt: 20 } }, { n: 5, at: { $lt: new Date('2010-01-01T00:00:00Z') } }] },
  { $and: [{ n: { $gte: 0 } }, { n: { $lte: 3 } }], kind: { $in: ['device', null] } },
  { $or: [{ kind: 'gpu' }, { note: 'note 1' }] },
  { kind: { $gte: 'd', $lt: 'h' } },
  { kind: { $lt: 'd' } },
  { flag: { $gt: false } },
  { n: null },
  { x: { $in: [null, 1.5] } },
  { 'details.tag': null, state: 'running' },
  { mixed: 1 },
  { mixed: 0 },
  { mixed: true },
  { mixed: { $in: [false, 2] } },
  { mixed: { $gte: new Date(1) } },
  { mixed: { $lt: 2 } },
  { mixed: { $gt: false } },
  { _id: 'd17' },
  { _id: { $in: ['d1', 'd599', 'nope'] } },
];

const SORTS: { field: keyof Doc | 'details.sid'; dir: 1 | -1 }[] = [
  { field: 'at', dir: -1 },
  { field: 'at', dir: 1 },
  { field: 'n', dir: -1 },
  { field: 'x', dir: 1 },
  { field: 'kind', dir: 1 },
  { field: 'state', dir: -1 },
  { field: 'note', dir: 1 },
];

describe('store queries answer as MongoDB semantics say', () => {
  it('finds exactly the matching documents for every filter', async () => {
    for (const f of FILTERS) {
      const want = docs.filter((d) => matches(d, f)).map((d) => d._id).sort();
      const got = (await coll.find(f as Filter<Doc>).toArray()).map((d) => d._id).sort();
      expect(got, JSON.stringify(f)).toEqual(want);
    }
  });

  it('counts exactly, with and without skip and limit', async () => {
    for (const f of FILTERS) {
      const want = docs.filter((d) => matches(d, f)).length;
      expect(await coll.countDocuments(f as Filter<Doc>), JSON.stringify(f)).toBe(want);
      expect(await coll.countDocuments(f as Filter<Doc>, { skip: 3, limit: 10 }), JSON.stringify(f)).toBe(Math.max(0, Math.min(10, want - 3)));
    }
  });

  it('counts per value of a field, with missing and null together', async () => {
    for (const f of FILTERS) {
      for (const field of ['state', 'kind', 'n', 'flag', 'details.tag'] as const) {
        const want = new Map<string, number>();
        for (const d of docs.filter((x) => matches(x, f))) {
          const k = JSON.stringify(key(get(d, field)));
          want.set(k, (want.get(k) ?? 0) + 1);
        }
        const rows = await coll.aggregate<{ _id: Scalar; n: number }>([{ $match: f }, { $group: { _id: `$${field}`, n: { $sum: 1 } } }]).toArray();
        const got = new Map(rows.map((r) => [JSON.stringify(key(r._id)), r.n]));
        expect(got, `${JSON.stringify(f)} by ${field}`).toEqual(want);
      }
    }
  });

  it('pages through sorted results in order, every match once', async () => {
    for (const f of FILTERS.slice(0, 12)) {
      for (const s of SORTS) {
        const label = `${JSON.stringify(f)} sort ${s.field} ${s.dir}`;
        const matching = docs.filter((d) => matches(d, f));
        // (Array#sort puts undefined last whatever the comparator says: missing becomes null first.)
        const wantKeys = matching.map((d) => get(d, s.field) ?? null).sort((a, b) => order(a, b) * s.dir).map(key);
        const pageSize = 7;
        const seen: string[] = [];
        const keys: unknown[] = [];
        for (let skip = 0; skip < matching.length + pageSize; skip += pageSize) {
          const page = await coll.find(f as Filter<Doc>).sort({ [s.field]: s.dir }).skip(skip).limit(pageSize).toArray();
          for (const d of page) {
            expect(matches(d, f), label).toBe(true);
            seen.push(d._id);
            keys.push(key(get(d, s.field)));
          }
        }
        expect(new Set(seen).size, `${label}: a document on two pages`).toBe(seen.length);
        expect(keys, label).toEqual(wantKeys);
        expect(new Set(seen).size, `${label}: a document on two pages`).toBe(seen.length);
        expect(seen.length, label).toBe(matching.length);
      }
    }
  });

  it('keeps updates and deletes by indexed fields exact', async () => {
    const f = { kind: 'gpu', state: 'queued' };
    const want = docs.filter((d) => matches(d, f)).length;
    const res = await coll.updateMany(f, { $set: { note: 'touched' } });
    expect(res.matchedCount).toBe(want);
    expect(await coll.countDocuments({ note: 'touched' })).toBe(want);
    const del = await coll.deleteMany({ kind: 'service', flag: true });
    expect(del.deletedCount).toBe(docs.filter((d) => matches(d, { kind: 'service', flag: true })).length);
  });

  it('finds numeric _ids by value, whatever the number type', async () => {
    const c = client.db(env.config.mongo.db).collection<{ _id: number; v: string }>('num');
    await c.insertMany([{ _id: 1, v: 'a' }, { _id: 2.5, v: 'b' }, { _id: 3, v: 'c' }, { _id: -7, v: 'd' }, { _id: 1e15, v: 'e' }]);
    expect((await c.findOne({ _id: 1 }))?.v).toBe('a');
    expect((await c.findOne({ _id: 1.0 }))?.v).toBe('a');
    expect((await c.findOne({ _id: 2.5 }))?.v).toBe('b');
    expect((await c.findOne({ _id: -7 }))?.v).toBe('d');
    expect((await c.findOne({ _id: 1e15 }))?.v).toBe('e');
    expect(await c.findOne({ _id: 4 })).toBeNull();
    expect((await c.find({ _id: { $in: [3, 1, 99] } }).toArray()).map((d) => d.v).sort()).toEqual(['a', 'c']);
    await c.updateOne({ _id: 3 }, { $set: { v: 'C' } });
    expect((await c.findOne({ _id: 3 }))?.v).toBe('C');
    await expect(c.insertOne({ _id: 1.0, v: 'again' })).rejects.toMatchObject({ code: 11000 });
  });

  it('enforces unique indexes as before', async () => {
    const u = client.db(env.config.mongo.db).collection<Document>('u');
    await u.createIndex({ owner: 1, name: 1 }, { unique: true });
    await u.insertOne({ owner: 'a', name: 'x' });
    await u.insertOne({ owner: 'b', name: 'x' });
    await expect(u.insertOne({ owner: 'a', name: 'x' })).rejects.toMatchObject({ code: 11000 });
    await u.createIndex({ seq: 1 }, { unique: true });
    await u.insertOne({ seq: 1 });
    await expect(u.insertOne({ seq: 1.0 })).rejects.toMatchObject({ code: 11000 });
  });
});
