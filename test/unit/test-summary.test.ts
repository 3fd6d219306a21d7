import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'test-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real vitest JSON report (vitest itself, not a hand-made fixture): one file with a pass and a failure, one that fails on import. */
async function realReport(): Promise<string> {
  writeFileSync(join(dir, 'mixed.test.mjs'), "import { it, expect } from 'vitest';\nit('passes', () => expect(1).toBe(1));\nit('fails with a reason', () => expect({ a: 1 }).toEqual({ a: 2 }));\n");
  writeFileSync(join(dir, 'broken.test.mjs'), "throw new Error('cannot load: no such fixture');\n");
  const out = join(dir, 'report.json');
  await run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--root', dir, '--reporter=json', `--outputFile.json=${out}`]).catch(() => undefined);
  return out;
}

// Each test starts node, one of them vitest itself: seconds on a loaded machine, past the unit project's 5 s default.
describe("npm test's summary lines", { timeout: 120_000 }, () => {
  it('counts every report and names each failed test and file with its message, not its stack', async () => {
    const report = await realReport();
    expect(JSON.parse(readFileSync(report, 'utf8')).numFailedTests).toBeGreaterThan(0);
    const { stdout } = await run(process.execPath, ['scripts/test-summary.mjs', report, join(dir, 'missing.json')]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('tests: 1 passed, 1 failed, 0 skipped');
    expect(stdout).toMatch(/failed: .*mixed\.test\.mjs > fails with a reason\n {4}AssertionError: expected \{ a: 1 \} to deeply equal \{ a: 2 \}/);
    expect(stdout).toMatch(/failed: .*broken\.test\.mjs\n.*cannot load: no such fixture/);
    expect(stdout).not.toMatch(/^\s+at /m);
  });

  it('prints only the counts when nothing failed', async () => {
    const report = join(dir, 'green.json');
    writeFileSync(report, JSON.stringify({ numPassedTests: 3, numFailedTests: 0, numPendingTests: 1, numTodoTests: 0, testResults: [{ name: join(dir, 'a.test.ts'), status: 'passed', assertionResults: [] }] }));
    const { stdout } = await run(process.execPath, ['scripts/test-summary.mjs', report]);
    expect(stdout).toBe('tests: 3 passed, 0 failed, 1 skipped\n');
  });
});
