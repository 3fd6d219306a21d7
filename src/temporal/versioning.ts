import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * How workflow code changes reach running workflows (docs/decisions.md "Workflow upgrades: patches, and
 * long-lived workflows move on"). Pure and safe inside workflows.
 *
 * A change to what a workflow does goes behind `patched(<id>)` (an id from `WORKFLOW_PATCHES`), so a run recorded
 * by the old code still replays; the replay gate (test/fixtures/histories/) fails a change that is not. The
 * long-lived workflows (host lanes, GPU dispatchers, the GPU monitor) also take `moveToNewCode`: they continue as
 * new at their next safe point, carrying their queue, so their history holds no event of the old code and a patch
 * can later be deprecated.
 */

/** Patch ids in use, one per change; never reuse or rename one while a run recorded before it may exist. */
export const WORKFLOW_PATCHES = {} as const;

/**
 * The workflow code's version, answered by `workflowCodeVersion` on the long-lived workflows: which code a
 * running lane, dispatcher or monitor is executing now (raised with each patch).
 */
export const WORKFLOW_CODE_VERSION = 1;

/** Asks a long-lived workflow to continue as new on the current code at its next safe point, queue carried. */
export const moveToNewCodeSignal = defineSignal('moveToNewCode');

/** The workflow code version the worker now executing this workflow runs. */
export const workflowCodeVersionQuery = defineQuery<number>('workflowCodeVersion');

/** The long-lived workflow types `moveToNewCode` is for. */
export const LONG_LIVED_WORKFLOW_TYPES = ['deviceLane', 'gpuDispatcher', 'gpuMonitor'] as const;
