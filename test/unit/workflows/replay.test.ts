/**
 * The replay gate: every history recorded from the real stack (test/fixtures/histories/, `npm run
 * histories:record`) replays against the current workflow code. A change that would break running workflows
 * fails here, naming the workflow type, the recorded run and Temporal's non-determinism message (the event and
 * the command that no longer match). docs/DEVELOPING.md says when a change needs a patch.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { LONG_LIVED_WORKFLOW_TYPES } from '../../../src/temporal/versioning.js';
import * as workflows from '../../../workflows/index.js';
import { historyTraits, loadRecordedHistories, replayHistories, type RecordedHistory } from '../../support/replay.js';

/** Every workflow type the worker bundle exports: a new type without a recorded history fails the gate. */
const ALL_TYPES = Object.keys(workflows);

let histories: RecordedHistory[];
beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  histories = loadRecordedHistories();
});

function variant(file: string): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL(`../../support/workflow-tests/${file}`, import.meta.url)), logger: new DefaultLogger('ERROR') });
}

describe('recorded histories', { timeout: 120_000 }, () => {
  it('cover every workflow type', () => {
    expect([...new Set(histories.map((h) => h.workflowType))].sort()).toEqual([...ALL_TYPES].sort());
    for (const t of LONG_LIVED_WORKFLOW_TYPES) expect(ALL_TYPES).toContain(t);
  });

  it('hold a dispatcher round that failed a task over to another node, and long-lived runs that continued as new', async () => {
    const traits = await Promise.all(histories.map(async (h) => ({ type: h.workflowType, ...(await historyTraits(h)) })));
    expect(traits.some((t) => t.type === 'gpuDispatcher' && t.dispatcherFailover)).toBe(true);
    const continued = new Set(traits.filter((t) => t.continuedAsNew).map((t) => t.type));
    for (const t of LONG_LIVED_WORKFLOW_TYPES) expect(continued, t).toContain(t);
  });

  it('all replay against the current workflow code', async () => {
    const failures = await replayHistories(histories);
    expect(failures.map((f) => `${f.workflowType} (${f.file}): ${f.message}`)).toEqual([]);
  });

  it('catch a change that is not behind a patch, and let the same change through behind patched()', async () => {
    const monitors = histories.filter((h) => h.workflowType === 'gpuMonitor');
    expect(monitors.length).toBeGreaterThan(0);
    const broken = await replayHistories(monitors, await variant('monitor-v2-unpatched.ts'));
    // Every recorded monitor that had swept at least once (a run recorded before its first sweep has nothing to differ in).
    expect(broken.length).toBeGreaterThan(0);
    expect(broken[0]!.workflowType).toBe('gpuMonitor');
    expect(broken[0]!.message).toMatch(/[Nn]ondeterminism|DeterminismViolation/);
    expect(await replayHistories(monitors, await variant('monitor-v2-patched.ts'))).toEqual([]);
  });
});
