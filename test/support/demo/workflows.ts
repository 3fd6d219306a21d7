// The test bundle: every production workflow, plus the test-only demoTask (chain.test.ts, bench/chain.ts). The
// worker runs it with the demo's activities (`createWorkerRuntime({ activities: createDemoActivities })`).
export * from '../../../workflows/index.js';
export { demoTask, type DemoTaskInput } from './demo-task.js';
