import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { layers } = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as { layers: Record<string, string[]> };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [relative(root, p)] : [];
  });
}

describe('layers (.dependency-cruiser.cjs, docs/DEVELOPING.md)', () => {
  it('puts every production file in a layer, so the import rules reach it', () => {
    const all = ['src', 'workflows', 'activities'].flatMap((d) => files(join(root, d)));
    const unplaced = all.filter((f) => !Object.values(layers).some((patterns) => patterns.some((p) => new RegExp(p).test(f))));
    expect(unplaced).toEqual([]);
    expect(all.length).toBeGreaterThan(100);
  });
});
