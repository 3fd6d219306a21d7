import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FREE_FORM_MAX_BYTES, FREE_FORM_MAX_DEPTH, freeFormObject, jsonValueDepth } from '../../src/domain/free-form.js';
import { AS_JSON_KEY, fromStorable, fromStorableEach, needsJsonText, toStorable, toStorableEach } from '../../src/store/free-form.js';
import { MAX_DATE_YEAR, MAX_INTERVAL_SECONDS, parseSchedule } from '../../src/scheduler/spec.js';

/** What a value becomes after a BSON round trip (the driver's own serializer), as MongoDB would store it. */
function throughBson(value: unknown): unknown {
  return BSON.deserialize(BSON.serialize({ v: value })).v as unknown;
}

const hostile: unknown[] = [
  { 'a\u0000b': 1 },
  { '\u0000': { x: 1 } },
  { $ne: null },
  { nested: { $where: 'sleep(1000)' } },
  { 'a.b': 1 },
  { '': 1 },
  { x: [[1, [2]]] },
  { k: '\ud800' },
  { '\udc00': 'lone low surrogate key' },
  { [AS_JSON_KEY]: 'not JSON at all' },
  { [AS_JSON_KEY]: '{"looks":"encoded"}' },
  [[1]],
  'text with \ud800',
];

describe('free-form values in MongoDB', () => {
  it('stores every hostile value losslessly through BSON', () => {
    for (const v of hostile) {
      expect(needsJsonText(v), JSON.stringify(v)).toBe(true);
      const stored = toStorable(v);
      // The encoded form is plain BSON the driver serialises without complaint.
      expect(() => BSON.serialize({ v: stored }), JSON.stringify(v)).not.toThrow();
      expect(fromStorable(throughBson(stored)), JSON.stringify(v)).toEqual(v);
    }
  });

  it('the driver itself refuses or changes these values (so the encoding is needed)', () => {
    expect(() => BSON.serialize({ v: { 'a\u0000b': 1 } })).toThrow(/null bytes/);
    expect(throughBson({ k: '\ud800' })).not.toEqual({ k: '\ud800' });
  });

  it('stores ordinary values as they are, so they stay readable and queryable', () => {
    for (const v of [null, 'text', 3, { 'show clock': '12:00' }, [{ a: [1, 2] }], { exit_code: 0, nested: { deep: ['x'] } }, { emoji: '😀' }]) {
      expect(toStorable(v)).toEqual(v);
      expect(fromStorable(v)).toEqual(v);
    }
  });

  it('encodes a record’s details per value, keeping its other keys as they are', () => {
    const details = { schedule_id: 3, request: { context: { $ne: 1 } } };
    const stored = toStorableEach(details);
    expect(stored.schedule_id).toBe(3);
    expect(stored.request).toEqual({ [AS_JSON_KEY]: JSON.stringify(details.request) });
    expect(fromStorableEach(throughBson(stored))).toEqual(details);
  });
});

describe('free-form bounds', () => {
  const schema = z.object({ condition: freeFormObject('the condition') });

  it('refuses a value too large or too deep, naming the field', () => {
    const big = schema.safeParse({ condition: { x: 'y'.repeat(FREE_FORM_MAX_BYTES) } });
    expect(big.success).toBe(false);
    expect(big.error?.issues[0]?.path).toEqual(['condition']);
    expect(big.error?.issues[0]?.message).toMatch(/bytes as JSON/);
    let deep: unknown = 1;
    for (let i = 0; i < FREE_FORM_MAX_DEPTH + 1; i++) deep = { a: deep };
    const tooDeep = schema.safeParse({ condition: deep });
    expect(tooDeep.success).toBe(false);
    expect(tooDeep.error?.issues[0]?.message).toMatch(/deeper than/);
  });

  it('accepts any keys within the bounds', () => {
    expect(schema.safeParse({ condition: { 'a\u0000b': 1, $ne: 2, 'c.d': [[3]] } }).success).toBe(true);
  });

  it('measures depth without recursion', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(jsonValueDepth(v)).toBeGreaterThan(FREE_FORM_MAX_DEPTH);
    expect(jsonValueDepth({ a: [1, { b: 2 }] })).toBe(3);
  });
});

describe('schedule bounds', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  it('refuses an INTERVAL longer than 366 days and a DATE after 2100', () => {
    expect(parseSchedule('INTERVAL', String(MAX_INTERVAL_SECONDS), now).ok).toBe(true);
    for (const text of [String(MAX_INTERVAL_SECONDS + 1), '99999999999', '35000000000000000']) expect(parseSchedule('INTERVAL', text, now).ok, text).toBe(false);
    expect(parseSchedule('DATE', `${MAX_DATE_YEAR}-12-31T23:59:59Z`, now).ok).toBe(true);
    expect(parseSchedule('DATE', `${MAX_DATE_YEAR + 1}-01-01T00:00:00Z`, now).ok).toBe(false);
  });
});
