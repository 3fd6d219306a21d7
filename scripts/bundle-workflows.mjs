// Bundles the compiled workflows (dist/workflows/index.js) into dist/workflow-bundle.js, the file a worker run
// from dist/ loads (src/worker.ts, PREBUILT_WORKFLOW_BUNDLE). Plain JavaScript: it runs with node alone, after tsc.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
// The build options every production bundle shares (tree shaking; src/temporal/bundling.ts).
import { WORKFLOW_BUNDLE_OPTIONS } from '../dist/src/temporal/bundling.js';

const workflowsPath = fileURLToPath(new URL('../dist/workflows/index.js', import.meta.url));
// The workflow interceptors every production bundle holds (src/worker.ts, WORKFLOW_INTERCEPTOR_MODULES).
const workflowInterceptorModules = [fileURLToPath(new URL('../dist/workflows/interceptors.js', import.meta.url))];
const out = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));
const started = Date.now();
const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
