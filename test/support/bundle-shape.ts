/**
 * Reading a workflow bundle's shape, for the test and the bench that compare our build options
 * (src/temporal/bundling.ts) with the SDK's default build.
 */
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../../src/worker.js';

/** The production workflows and interceptors with none of our build options: the SDK's default build. */
export const SDK_DEFAULT_WORKFLOW_BUNDLE = { workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES };

/** Module factories of a bundle: one per module webpack kept apart (development mode names them by path). */
export function moduleFactories(code: string): string[] {
  return [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)].map((m) => m[1]!);
}
