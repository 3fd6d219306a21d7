import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatFigures } from '../faults/audit.js';
import { Deployment } from '../faults/deployment.js';
import { reapLeftovers } from '../faults/private-stack.js';
import { scenarioTag, SIZES, type ScenarioContext } from '../faults/scenarios.js';
import { verdict } from '../faults/verdict.js';
import { everyDialect, gpuAgentTask, logsAndCleanup, rollingRestart, TOPOLOGY_ENV, TOPOLOGY_SIZES } from '../topology/checks.js';
import { installServerEngine } from '../topology/engine.js';

// The production topology's short version (npm run test:topology runs the full one): Temporal's own server on
// PostgreSQL, FerretDB and Kafka on free ports, two real `switchyard api` and two `switchyard worker` processes,
// each worker with a private tmpfs over its workspace root and temp directory (its own mount namespace). Nothing
// is timed: deadlines only keep a stuck job from hanging the run.
vi.setConfig({ testTimeout: 900_000, hookTimeout: 1_800_000 });

const log = (line: string) => process.stdout.write(`${line}\n`);
const ctx: ScenarioContext = { size: { ...SIZES.short, drainMs: 300_000 }, log };
const size = TOPOLOGY_SIZES.short;
let d: Deployment;

beforeAll(async () => {
  await reapLeftovers(log);
  // A fresh clone builds the server here (minutes); scripts/test.sh starts that build in the background early.
  await installServerEngine(log);
  d = await Deployment.create({ tag: scenarioTag('topo'), apis: 2, workers: 2, gpuTaskMs: 1000, engine: 'server', isolateWorkers: true, env: TOPOLOGY_ENV, log });
  await d.start();
});

afterAll(async () => {
  await d?.destroy();
});

describe('production topology: real Temporal server, two APIs, two isolated workers (short)', () => {
  it('every dialect works, requests alternating between the APIs', async () => {
    const f = await everyDialect(d, ctx, size.perKind);
    log(`\n${formatFigures(f)}\n`);
    expect(verdict(f), f.scenario).toEqual([]);
  });

  it('a GPU task runs on the real node agent, created through the API the agent did not register with', async () => {
    expect(await gpuAgentTask(d, ctx)).toEqual([]);
  });

  it("scheduler logs travel from the worker's private disk to either API; cleanup reaches that worker", async () => {
    const r = await logsAndCleanup(d, ctx);
    for (const n of r.notes) log(`  ${n}`);
    expect(r.problems).toEqual([]);
  });

  it('a rolling restart of every API and worker under load loses nothing and answers no 5xx but 503', async () => {
    const f = await rollingRestart(d, ctx, size);
    log(`\n${formatFigures(f)}\n`);
    expect(f.accepted).toBeGreaterThan(0);
    expect(verdict(f), f.scenario).toEqual([]);
  });
});
