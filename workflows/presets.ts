import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** Mirror writes are short bookkeeping: local activities, retried until MongoDB answers. */
export const MIRROR_LOCAL = {
  startToCloseTimeout: '15s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} as const satisfies LocalActivityOptions;

/** Short real work on the main queue. */
export const SHORT_ACTIVITY = {
  startToCloseTimeout: '60s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
} as const satisfies ActivityOptions;

/**
 * A host lane's workflow task timeout (seconds). Its tasks are short; one started by a worker that then dies holds
 * the lane until this timeout (Temporal's default, 10 s, was most of the time a host waited after its owner was
 * SIGKILLed).
 */
export const LANE_WORKFLOW_TASK_TIMEOUT_S = 3;
