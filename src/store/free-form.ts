/**
 * Free-form JSON (a service task's `condition`, a GPU node's `metadata`, a job's `result` and `details`, a
 * scheduled action) is stored losslessly whatever keys it holds.
 *
 * JSON accepts any key; BSON and the servers do not: a key holding a NUL byte cannot be encoded at all (the driver
 * throws before sending), MongoDB refuses `$…` keys in some operations and FerretDB 1.24 refuses keys holding a
 * dot or starting with `$`, and arrays inside arrays. A lone UTF-16 surrogate (JSON's `"\ud800"`) is silently
 * turned into U+FFFD on the way to UTF-8. A value with any of these is stored as its JSON text under one key
 * (`{switchyard_json: "…"}`) and read back as it was; every other value is stored as it is, so both servers hold
 * the same document and ordinary values stay readable and queryable in the database.
 *
 * A value that itself is an object with the one key `switchyard_json` is wrapped too, so reading never mistakes a
 * client's object for an encoded one.
 */
export const AS_JSON_KEY = 'switchyard_json';

// A UTF-16 surrogate not part of a pair: it has no UTF-8 encoding.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badKey(k: string): boolean {
  return k === '' || k.includes('\0') || k.includes('.') || k.startsWith('$') || LONE_SURROGATE.test(k);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** True when BSON cannot hold `v` as it is, or would change it. Iterative: depth never costs stack. */
export function needsJsonText(value: unknown): boolean {
  const stack: { v: unknown; inArray: boolean }[] = [{ v: value, inArray: false }];
  while (stack.length > 0) {
    const { v, inArray } = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (Array.isArray(v)) {
      if (inArray) return true;
      for (const x of v) stack.push({ v: x, inArray: true });
    } else if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === AS_JSON_KEY) return true;
      for (const k of keys) {
        if (badKey(k)) return true;
        stack.push({ v: v[k], inArray: false });
      }
    }
  }
  return false;
}

/** `value` as it can be stored: itself, or its JSON text under `AS_JSON_KEY`. */
export function toStorable(value: unknown): unknown {
  return needsJsonText(value) ? { [AS_JSON_KEY]: JSON.stringify(value) } : value;
}

/** The value `toStorable` was given. */
export function fromStorable(stored: unknown): unknown {
  if (isPlainObject(stored)) {
    const text = stored[AS_JSON_KEY];
    if (typeof text === 'string' && Object.keys(stored).length === 1) return JSON.parse(text) as unknown;
  }
  return stored;
}

/** `toStorable` on each value of an object (a record's `details`), so its other keys stay queryable. */
export function toStorableEach(obj: Record<string, unknown>): Record<string, unknown> {
  if (badKeys(obj)) return toStorable(obj) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toStorable(v)]));
}

export function fromStorableEach(obj: unknown): unknown {
  if (!isPlainObject(obj)) return obj;
  const whole = fromStorable(obj);
  if (whole !== obj) return whole;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fromStorable(v)]));
}

function badKeys(obj: Record<string, unknown>): boolean {
  const keys = Object.keys(obj);
  return keys.some(badKey) || (keys.length === 1 && keys[0] === AS_JSON_KEY);
}
