import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatFigures, type Figures } from '../faults/audit.js';
import { Deployment } from '../faults/deployment.js';
import { reapLeftovers } from '../faults/private-stack.js';
import { POISON_ENV, SCENARIOS, SIZES, scenarioTag, type ScenarioContext, type ScenarioId } from '../faults/scenarios.js';
import { verdict } from '../faults/verdict.js';

// The fault suite's short versions (npm run test:faults runs the full ones): one private deployment (its own
// Temporal, FerretDB and Kafka on free ports, two real `switchyard api` and two `switchyard worker` processes),
// and the six faults one after another, each under a small mixed load across the four dialects. Nothing here is
// timed: deadlines are only there so that a stuck job fails the test instead of hanging it.
vi.setConfig({ testTimeout: 900_000, hookTimeout: 300_000 });

const log = (line: string) => process.stdout.write(`${line}\n`);
const ctx: ScenarioContext = { size: SIZES.short, log };
let d: Deployment;

beforeAll(async () => {
  await reapLeftovers(log);
  // POISON_ENV: the workers die on scenario 7's poison job (a test hook that does nothing without its marker).
  d = await Deployment.create({ tag: scenarioTag('it'), apis: 2, workers: 2, gpuTaskMs: 1500, log, env: POISON_ENV });
  await d.start();
});

afterAll(async () => {
  await d?.destroy();
});

async function check(id: ScenarioId): Promise<void> {
  const figures: Figures[] = await SCENARIOS[id].run(d, ctx);
  for (const f of figures) {
    log(`\n${formatFigures(f)}\n`);
    expect(f.accepted).toBeGreaterThan(0);
    expect(verdict(f), f.scenario).toEqual([]);
  }
}

describe('faults under mixed load (short versions)', () => {
  it('1. a worker SIGKILLed mid-run, then the owner of a pinned host: every job ends', () => check('1'));
  it('2. the API SIGKILLed and restarted while clients submit: every accepted job ends, nothing twice', () => check('2'));
  it('3. FerretDB stopped: clear 503s in every dialect, then the mirror agrees with Temporal', () => check('3'));
  it('4. Kafka stopped: create_task still answers, hand-offs sent once, ingest resumes', () => check('4'));
  it('5. the Temporal dev server restarted: jobs, schedules and the GPU dispatcher carry on', () => check('5'));
  it('6. two APIs and two workers: same results, GPU priority and capacity hold, one leader', () => check('6'));
  it('7. a poison pill under load: it ends WorkerLost after 3 lost workers, nothing lost or duplicated, every worker alive', () => check('7'));
  it('8. upgrade under load: v2 workflow code joins, v1 drains; nothing lost or twice, no non-determinism, all on v2', () => check('8'));
});
