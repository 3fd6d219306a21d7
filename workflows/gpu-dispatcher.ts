import { allHandlersFinished, condition, continueAsNew, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { gpuEnqueueSignal, gpuRemoveSignal, gpuWakeSignal, type GpuDispatcherState } from '../src/gpu/contract.js';
import { orderQueue } from '../src/gpu/priority.js';
import { moveToNewCodeSignal, WORKFLOW_CODE_VERSION, workflowCodeVersionQuery } from '../src/temporal/versioning.js';

const { gpuDispatchRound } = proxyLocalActivities<Pick<Activities, 'gpuDispatchRound'>>({
  startToCloseTimeout: '60s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

/** Most waiting tasks one round looks at (the head of the ordered queue). */
const ROUND_WINDOW = 500;
/** Re-check even without a wake-up, in case one was missed (a node came back, a claim was freed elsewhere). */
const IDLE_RECHECK = '5s';
/** The pause between back-to-back rounds that lets waiting signals in. */
const YIELD = 1;
/** How soon a task whose record or workflow was not there yet is looked at again. */
const SOON_RECHECK = '200ms';

/**
 * The one arbiter of a task type: owns its queue (tasks are signalled in), and in each round a local activity
 * claims node capacity atomically in MongoDB, sends the tasks to their nodes and tells each task workflow where
 * it runs. Continues as new before its history grows large.
 */
export async function gpuDispatcher(state: GpuDispatcherState): Promise<void> {
  const queue = new Map(state.queue.map((e) => [e.taskId, e]));
  let dirty = queue.size > 0;
  setHandler(gpuEnqueueSignal, (e) => {
    const cur = queue.get(e.taskId);
    if (!cur || e.attempt >= cur.attempt) queue.set(e.taskId, e);
    dirty = true;
  });
  setHandler(gpuWakeSignal, () => {
    dirty = true;
  });
  setHandler(gpuRemoveSignal, (taskId) => {
    queue.delete(taskId);
  });
  // A new deployment asks the dispatcher to continue on its code after the round in progress, queue carried.
  let moveOn = false;
  setHandler(moveToNewCodeSignal, () => {
    moveOn = true;
    dirty = true;
  });
  setHandler(workflowCodeVersionQuery, () => WORKFLOW_CODE_VERSION);

  // A ticker that is never cancelled, rather than a timeout on each wait: cancelling a timer as it fires trips
  // the SDK's timer state machine (sdk-core "CancelTimerCommandSent … TimerFired"), which failed this workflow's
  // tasks under load, and a timer per wait costs two commands per round.
  void (async () => {
    for (;;) {
      await sleep(IDLE_RECHECK);
      dirty = true;
    }
  })();

  for (;;) {
    await condition(() => dirty);
    dirty = false;
    if (queue.size > 0) {
      const waiting = orderQueue([...queue.values()]).slice(0, ROUND_WINDOW);
      const out = await gpuDispatchRound({ taskType: state.taskType, waiting });
      for (const id of out.placed) queue.delete(id);
      for (const id of out.dropped) queue.delete(id);
      for (const f of out.failed) {
        const e = queue.get(f.taskId);
        if (!e) continue;
        queue.set(f.taskId, { ...e, attempt: e.attempt + 1, excluded: [...e.excluded, f.gpuId] });
      }
      // Something moved: there may be more to place (a failed task goes to another node at once). Tasks to
      // retry wait for the ticker, so a task that cannot be told yet does not spin the dispatcher.
      if (out.placed.length > 0 || out.failed.length > 0) {
        dirty = true;
        // Rounds run back to back as local activities would hold one workflow task open (heartbeated every 8 s),
        // and signals — new tasks, freed capacity — wait outside until it completes: a timer ends it now.
        await sleep(YIELD);
      }
      // A task created a moment ago is looked at again soon (a timer that is let fire, never cancelled).
      if (out.soon.length > 0) void sleep(SOON_RECHECK).then(() => (dirty = true));
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > 3000 || moveOn) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof gpuDispatcher>({ taskType: state.taskType, queue: [...queue.values()] });
    }
  }
}
