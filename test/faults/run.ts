/**
 * `npm run test:faults`: the full fault suite of issue #8. Each scenario brings up its own private stack and
 * real api/worker processes, runs a mixed load across the four dialects, injects its fault, and prints what was
 * submitted, what reached a terminal state, what was lost and what was duplicated. Exits non-zero unless every
 * scenario ends with 0 lost, 0 duplicated, 0 unexpected failures and a mirror that agrees with Temporal.
 *
 *   npm run test:faults [-- --only 1,3] [--short] [--keep-state] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatFigures, type Figures } from './audit.js';
import { reapLeftovers } from './private-stack.js';
import { destroyActive, runAlone, SCENARIOS, SIZES, type ScenarioContext, type ScenarioId } from './scenarios.js';
import { verdict } from './verdict.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    short: { type: 'boolean', default: false },
    'keep-state': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const wanted = (values.only ?? Object.keys(SCENARIOS).join(',')).split(',').map((s) => s.trim()) as ScenarioId[];
for (const id of wanted) if (!SCENARIOS[id]) throw new Error(`unknown scenario ${id} (choose from ${Object.keys(SCENARIOS).join(', ')})`);

const started = Date.now();
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const ctx: ScenarioContext = { size: values.short ? SIZES.short : SIZES.full, log, keepState: values['keep-state'] };
// An interrupted run still stops every server and process it started; a run killed outright is cleaned up by
// the next one.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the private stacks and processes`);
    void destroyActive({ keepState: ctx.keepState }).finally(() => process.exit(130));
  });
}
await reapLeftovers(log);
const all: Figures[] = [];
const problems: string[] = [];
for (const id of wanted) {
  const s = SCENARIOS[id];
  log(`--- scenario ${id}: ${s.title} (${ctx.size.name})`);
  const t0 = Date.now();
  try {
    const figures = await runAlone(id, ctx);
    for (const f of figures) {
      all.push(f);
      process.stdout.write(`\n${formatFigures(f)}\n\n`);
      problems.push(...verdict(f).map((p) => `${f.scenario}: ${p}`));
    }
  } catch (e) {
    problems.push(`scenario ${id} did not complete: ${(e as Error).stack ?? String(e)}`);
    log(`scenario ${id} did not complete: ${(e as Error).message}`);
  }
  log(`--- scenario ${id} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

process.stdout.write('\n== summary\n');
process.stdout.write('scenario | submitted | accepted | terminal | lost | duplicated | failed | 5xx (503) | no answer | re-run | recover s\n');
for (const f of all) {
  process.stdout.write(
    `${f.scenario} | ${f.submitted} | ${f.accepted} | ${f.terminal} | ${f.lost} | ${f.duplicated} | ${f.failed} | ${f.fiveXX} (${f.fiveOhThree}) | ${f.noAnswer} | ${f.reRuns} | ${f.recoverySeconds === null ? 'n/a' : f.recoverySeconds.toFixed(1)}\n`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify(all, null, 2));
process.stdout.write(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all\n`);
if (problems.length > 0) {
  process.stdout.write(`\nFAILED:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('all scenarios: 0 lost, 0 duplicated\n');
process.exit(0);
