import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type MongoHandle } from '../../src/store/mongo.js';
import { nextSequence } from '../../src/store/counters.js';
import { testEnv } from '../support/env.js';

const env = testEnv('counters');
let mongo: MongoHandle;

beforeAll(async () => {
  mongo = await connectMongo(env.config);
});

afterAll(async () => {
  await mongo?.close();
  await env.cleanup();
});

describe('nextSequence', () => {
  it('counts up from 1', async () => {
    expect(await nextSequence(mongo.db, 'plain')).toBe(1);
    expect(await nextSequence(mongo.db, 'plain')).toBe(2);
    expect(await nextSequence(mongo.db, 'other')).toBe(1);
  });

  it('never hands out the same number twice, even to 50 callers at once', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, () => nextSequence(mongo.db, 'burst')));
    expect(new Set(ids).size).toBe(50);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
