import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, MirrorWrite } from '../activities/index.js';
import type { CanonicalState } from '../src/domain/status.js';
import { SA_KIND, SA_SERVICE, SA_STATUS } from '../src/temporal/search-attributes.js';
import { MIRROR_LOCAL } from './presets.js';
import { serviceTaskQueue } from '../src/temporal/task-queues.js';
import {
  RUN_SERVICE_ACTIVITY,
  serviceStatusUpdate,
  statusReportRefusal,
  TRANSITION_REFUSED,
  type ReportedStatus,
  type ServiceTaskInput,
  type ServiceTaskMessage,
  type ServiceTaskResult,
  type StatusChange,
  type StatusChangeReply,
} from '../src/service-tasks/contract.js';

const { mirrorServiceTask } = proxyLocalActivities<Pick<Activities, 'mirrorServiceTask'>>(MIRROR_LOCAL);
// Each attempt already retries inside the Kafka client for several seconds; a short gap between attempts hands
// the task off within seconds once a broker that was away returns (the fault suite measured 33 s with 30 s gaps).
const { publishServiceTask } = proxyActivities<Pick<Activities, 'publishServiceTask'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

type Status = 'waiting' | ReportedStatus;

const STATE_OF: Record<Status, CanonicalState> = { waiting: 'queued', running: 'running', finished: 'succeeded', failed: 'failed' };

/**
 * One long-running service task (the long-task document). `dispatch: kafka` publishes the documented message to
 * the service's topic and waits, up to `timeoutSeconds`, for the module's `update_status_task` calls, which arrive
 * as the `serviceStatus` Update (its validator refuses illegal transitions). `dispatch: temporal` runs activity
 * `runServiceTask` on task queue `service.<name>`. Each state change is mirrored (`tasks` + the documented
 * collection) before the next one, in order.
 */
export async function serviceTask(input: ServiceTaskInput): Promise<ServiceTaskResult> {
  const taskId = input.taskId;
  let seq = 0;
  let chain: Promise<unknown> = Promise.resolve();
  // Inputs recorded before `taskQueue` existed have none: those ran on `service.<name>`, as they still do.
  const queue = input.taskQueue ?? serviceTaskQueue(input.service);
  const base = {
    kind: 'service' as const,
    queue,
    service: input.service,
    source_name: input.sourceName,
    condition: input.condition,
  };
  let status: Status = 'waiting';
  let timedOut = false;
  const messages: Record<ReportedStatus, string | null> = { failed: null, running: null, finished: null };
  let startTime: string | null = null;
  let endTime: string | null = null;
  let handedOffAt: string | null = null;
  let data: unknown = null;

  // Writes run one after another, each with a newer revision than the last (a re-run's revisions are newer still).
  const write = (fields: Omit<MirrorWrite, 'task_id' | 'rev'>): Promise<unknown> => {
    seq += 1;
    const rev = Date.now() * 1000 + (seq % 1000);
    chain = chain.then(() => mirrorServiceTask({ ...base, ...fields, task_id: taskId, rev, publish: true }));
    return chain;
  };

  const snapshot = (): Omit<MirrorWrite, 'task_id' | 'rev'> => ({
    state: status === 'failed' && timedOut ? 'timed_out' : STATE_OF[status],
    status,
    start_time: startTime,
    end_time: endTime,
    status_message: { ...messages },
    result: data,
    error: status === 'failed' ? { type: timedOut ? 'Timeout' : 'ServiceFailed', message: messages.failed ?? 'failed' } : null,
  });

  const apply = (change: StatusChange): Promise<unknown> => {
    const now = new Date().toISOString();
    status = change.status;
    if (change.message !== undefined) messages[change.status] = change.message;
    if (change.data !== undefined) data = change.data;
    if (change.status === 'running') startTime ??= now;
    else {
      startTime ??= handedOffAt ?? now;
      endTime = now;
    }
    upsertSearchAttributes([{ key: SA_STATUS, value: status }]);
    return write(snapshot());
  };

  const terminal = () => status === 'finished' || status === 'failed';

  setHandler(
    serviceStatusUpdate,
    async (change: StatusChange): Promise<StatusChangeReply> => {
      await apply(change);
      return { task_id: taskId, status: change.status };
    },
    {
      validator: (change: StatusChange) => {
        const refusal = statusReportRefusal({ taskId, dispatch: input.dispatch, status }, change);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, TRANSITION_REFUSED);
      },
    },
  );

  upsertSearchAttributes([
    { key: SA_KIND, value: 'service' },
    { key: SA_SERVICE, value: input.service },
    { key: SA_STATUS, value: 'waiting' },
  ]);
  handedOffAt = new Date().toISOString();
  // A (re-)run starts clean: no times, messages or result of an earlier run.
  await write({ ...snapshot(), enqueue_time: handedOffAt });

  const message: ServiceTaskMessage = { task_id: taskId, service: input.service, source_name: input.sourceName, condition: input.condition };

  if (input.dispatch === 'kafka') {
    await publishServiceTask({ message, topic: input.topic ?? input.service, runId: workflowInfo().runId });
    const settled = await condition(terminal, input.timeoutSeconds * 1000);
    if (!settled) {
      timedOut = true;
      await apply({ status: 'failed', message: `timeout: no final status within ${input.timeoutSeconds} s` });
    }
  } else {
    const { runServiceTask } = proxyActivities<{ runServiceTask(task: ServiceTaskMessage): Promise<unknown> }>({
      taskQueue: queue,
      startToCloseTimeout: input.timeoutSeconds * 1000,
      scheduleToCloseTimeout: input.timeoutSeconds * 1000,
      // Without it an attempt whose worker died would hold the task until timeout_seconds, then fail it unrun.
      ...(input.heartbeatSeconds ? { heartbeatTimeout: input.heartbeatSeconds * 1000 } : {}),
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3, nonRetryableErrorTypes: ['ServiceInputError', 'ResponseTooLarge'] },
    });
    void RUN_SERVICE_ACTIVITY; // the proxy's property name is the activity type: runServiceTask
    await apply({ status: 'running' });
    try {
      const result = await runServiceTask(message);
      await apply({ status: 'finished', data: result ?? null });
    } catch (e) {
      const cause = e instanceof ActivityFailure ? e.cause : e;
      timedOut = cause instanceof TimeoutFailure;
      const why = timedOut ? `timeout: the service did not finish within ${input.timeoutSeconds} s` : ((cause as Error | undefined)?.message ?? String(e));
      await apply({ status: 'failed', message: why });
    }
  }

  await chain;
  await condition(allHandlersFinished);
  return { status: status as 'finished' | 'failed', data, message: messages[status as ReportedStatus] };
}
