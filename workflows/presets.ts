import type { LocalActivityOptions } from '@temporalio/workflow';

/** Mirror writes are short bookkeeping: local activities, retried until MongoDB answers. */
export const MIRROR_LOCAL = {
  startToCloseTimeout: '15s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} as const satisfies LocalActivityOptions;
