import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printLogTails, SIZES } from '../faults/scenarios.js';

// A failed fault scenario prints the end of its logs before they are removed: CI keeps only the output.
const dir = mkdtempSync(join(tmpdir(), 'sy-log-tails-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fault suite: log tails on failure', () => {
  it('prints the last lines of every .log file, cut to a readable length, and skips what it cannot read', () => {
    writeFileSync(join(dir, 'api1.log'), Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\n');
    writeFileSync(join(dir, 'worker1.log'), `${'x'.repeat(1000)}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a log\n');
    const out: string[] = [];
    printLogTails({ size: SIZES.short, log: (l) => out.push(l) }, 't1', [dir, join(dir, 'missing')], 5);
    expect(out[0]).toBe('[t1] --- api1.log, last 5 line(s):');
    expect(out.slice(1, 6)).toEqual(['[t1]   line 35', '[t1]   line 36', '[t1]   line 37', '[t1]   line 38', '[t1]   line 39']);
    expect(out[6]).toBe('[t1] --- worker1.log, last 1 line(s):');
    expect(out[7]).toBe(`[t1]   ${'x'.repeat(400)}…`);
    expect(out).toHaveLength(8);
  });
});
