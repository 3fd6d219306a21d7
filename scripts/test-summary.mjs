// The last lines of `npm test`: the counts over every vitest JSON report given, then each failed test by file and
// name with the first lines of its message. CI may keep only the end of the output, so what failed is named here
// and not only in its own section far above.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const MESSAGE_LINES = 6;
const MAX_NAMED = 20;

/** The message without its stack: the lines before the first `at …` frame, at most MESSAGE_LINES. */
function firstLines(text) {
  const lines = String(text ?? '').split('\n');
  const frame = lines.findIndex((l) => /^\s+at /.test(l));
  return lines
    .slice(0, frame === -1 ? lines.length : frame)
    .slice(0, MESSAGE_LINES)
    .join('\n    ');
}

export function summarize(reports) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for (const r of reports) {
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    for (const file of r.testResults ?? []) {
      const where = relative(process.cwd(), file.name);
      const tests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
      // A file that failed outside its tests (a hook, an import) has no failed test to name.
      if (tests.length === 0 && file.status === 'failed') failures.push(`${where}\n    ${firstLines(file.message)}`);
      for (const t of tests) failures.push(`${where} > ${t.fullName}\n    ${firstLines((t.failureMessages ?? []).join('\n'))}`);
    }
  }
  const lines = [`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`];
  for (const f of failures.slice(0, MAX_NAMED)) lines.push(`failed: ${f}`);
  if (failures.length > MAX_NAMED) lines.push(`failed: ${failures.length - MAX_NAMED} more (see their sections above)`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reports = process.argv
    .slice(2)
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')));
  console.log(summarize(reports));
}
