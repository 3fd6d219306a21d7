/**
 * `npm run test:topology`: the production topology of issue #18 on one machine, full size. Temporal's own server
 * (built from source by install.sh, cached) on PostgreSQL, FerretDB, Kafka, two `switchyard api` and two
 * `switchyard worker` processes, each worker in a mount namespace of its own (a private tmpfs over its workspace
 * root and temp directory). Every dialect's flows, scheduler logs and cleanup across hosts, and a rolling restart
 * of every process under load. Exits non-zero unless all of it passes.
 *
 *   npm run test:topology [-- --short] [--keep-state]
 */
import { parseArgs } from 'node:util';
import { formatFigures, type Figures } from '../faults/audit.js';
import { reapLeftovers } from '../faults/private-stack.js';
import { destroyActive, scenarioTag, SIZES, withDeployment, type ScenarioContext } from '../faults/scenarios.js';
import { verdict } from '../faults/verdict.js';
import { everyDialect, gpuAgentTask, logsAndCleanup, rollingRestart, TOPOLOGY_ENV, TOPOLOGY_SIZES } from './checks.js';
import { installServerEngine } from './engine.js';

const { values } = parseArgs({ options: { short: { type: 'boolean', default: false }, 'keep-state': { type: 'boolean', default: false } } });
const started = Date.now();
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const size = values.short ? TOPOLOGY_SIZES.short : TOPOLOGY_SIZES.full;
const ctx: ScenarioContext = { size: { ...SIZES[size.name], drainMs: 600_000 }, log, keepState: values['keep-state'] };
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the private stack and processes`);
    void destroyActive({ keepState: ctx.keepState }).finally(() => process.exit(130));
  });
}

await reapLeftovers(log);
await installServerEngine(log);
const problems: string[] = [];
const figures: Figures[] = [];
try {
  await withDeployment(ctx, { tag: scenarioTag('topo'), apis: 2, workers: 2, gpuTaskMs: 1000, engine: 'server', isolateWorkers: true, env: TOPOLOGY_ENV }, async (d) => {
    const step = async (name: string, fn: () => Promise<void>) => {
      const t0 = Date.now();
      log(`--- ${name}`);
      try {
        await fn();
      } catch (e) {
        problems.push(`${name} did not complete: ${(e as Error).stack ?? String(e)}`);
      }
      log(`--- ${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    };
    await step('every dialect', async () => {
      const f = await everyDialect(d, ctx, size.perKind);
      figures.push(f);
      problems.push(...verdict(f).map((p) => `${f.scenario}: ${p}`));
    });
    await step('GPU dispatch through the real node agent', async () => {
      problems.push(...(await gpuAgentTask(d, ctx)).map((p) => `GPU agent: ${p}`));
    });
    await step('scheduler logs and cleanup across hosts', async () => {
      const r = await logsAndCleanup(d, ctx);
      for (const n of r.notes) log(`  ${n}`);
      problems.push(...r.problems.map((p) => `logs and cleanup: ${p}`));
    });
    await step('rolling restart under load', async () => {
      const f = await rollingRestart(d, ctx, size);
      figures.push(f);
      problems.push(...verdict(f).map((p) => `${f.scenario}: ${p}`));
    });
  });
} catch (e) {
  problems.push(`the deployment did not come up: ${(e as Error).stack ?? String(e)}`);
}
for (const f of figures) process.stdout.write(`\n${formatFigures(f)}\n`);
process.stdout.write(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all\n`);
if (problems.length > 0) {
  process.stdout.write(`\nFAILED:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('topology: every dialect, logs across hosts, rolling restart: 0 lost, 0 duplicated\n');
process.exit(0);
