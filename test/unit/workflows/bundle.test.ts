/**
 * The production workflow bundle's build options (src/temporal/bundling.ts): ES modules are concatenated and
 * tree-shaken rather than kept as a factory each, and the bundle still reads in a stack trace. The SDK's default
 * build is the comparison, so the test fails if the options stop taking effect. That the workflows still behave
 * is the replay gate's and the integration suite's job: both run on a bundle built this way.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_WORKFLOW_BUNDLE } from '../../../src/worker.js';
import { moduleFactories, SDK_DEFAULT_WORKFLOW_BUNDLE } from '../../support/bundle-shape.js';

let ours: string;
let sdkDefault: string;
beforeAll(async () => {
  const logger = new DefaultLogger('ERROR');
  [ours, sdkDefault] = await Promise.all([
    bundleWorkflowCode({ ...PRODUCTION_WORKFLOW_BUNDLE, logger }).then((b) => b.code),
    bundleWorkflowCode({ ...SDK_DEFAULT_WORKFLOW_BUNDLE, logger }).then((b) => b.code),
  ]);
}, 120_000);

describe('the production workflow bundle', () => {
  it('concatenates the ES modules (the tracing packages) instead of a factory per module, as the SDK default has', () => {
    const defaults = moduleFactories(sdkDefault);
    const kept = moduleFactories(ours);
    expect(defaults.filter((m) => m.includes('@opentelemetry/')).length).toBeGreaterThan(50);
    expect(kept.filter((m) => m.includes('@opentelemetry/'))).toEqual([]);
    expect(kept.length).toBeLessThan(defaults.length / 2);
  });

  it('keeps names and the inline source map, so workflow stack traces read as before', () => {
    expect(ours).toContain('async function deviceJob(');
    expect(ours).toMatch(/sourceMappingURL=data:application\/json/);
  });
});
