import type { BundleOptions } from '@temporalio/worker';

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/**
 * How every workflow bundle is built beyond the SDK's defaults (docs/decisions.md, "The workflow bundle is tree-shaken").
 *
 * With the reusable V8 context, every new workflow run evaluates the workflow modules again (each run has its
 * own module cache, so no state leaks from one run to the next). The SDK bundles in webpack's development mode,
 * where every module and every export is kept, and each module is a factory of its own. Most of those were the
 * OpenTelemetry modules the tracing interceptors import, whole, for the few exports they use.
 *
 * Webpack's tree shaking (`usedExports`, `sideEffects`, `innerGraph`) leaves out the modules nothing uses, and
 * module concatenation evaluates the ES modules that are left as one scope. Nothing is minified: names and the
 * inline source map stay, so workflow stack traces read as before. What a workflow does is unchanged, only which
 * modules each run evaluates; the replay gate replays the recorded histories on a bundle built this way.
 */
export function workflowWebpackConfig(config: WebpackConfig): WebpackConfig {
  return {
    ...config,
    optimization: {
      ...config.optimization,
      usedExports: true,
      sideEffects: true,
      innerGraph: true,
      concatenateModules: true,
      minimize: false,
    },
  };
}

/** What every place that bundles the production workflows passes: the worker, the build script, the tests. */
export const WORKFLOW_BUNDLE_OPTIONS = { webpackConfigHook: workflowWebpackConfig } satisfies Pick<BundleOptions, 'webpackConfigHook'>;
