import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';

describe('search attributes', () => {
  it('are the same in temporal-config/ (the server) and in the code (the workflows)', () => {
    const lines = readFileSync(new URL('../../temporal-config/search-attributes.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean)
      .map((l) => l.split(/\s+/));
    const fromFile = Object.fromEntries(lines.map(([name, type]) => [name, type!.toUpperCase()]));
    const fromCode = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, k.type]));
    expect(fromFile).toEqual(fromCode);
  });
});
