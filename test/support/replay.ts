/**
 * Recorded workflow histories (test/fixtures/histories/) and their replay against the current workflow code: a
 * change that would break a running workflow of that type fails here with the workflow, the file and Temporal's
 * non-determinism message (which names the event and the command that no longer match).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter, type DataConverter, type Payload } from '@temporalio/common';
// A CommonJS package: Node's ESM loader cannot see its named exports.
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/index.js';
import { createDataConverter } from '../../src/temporal/connection.js';
import { PRODUCTION_WORKFLOW_BUNDLE } from '../../src/worker.js';

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

export interface RecordedHistory {
  file: string;
  workflowId: string;
  workflowType: string;
  history: proto.temporal.api.history.v1.IHistory;
}

/**
 * `<workflowType>--<workflow id>--<run>.binpb`: a History in protobuf's binary form (what `temporal workflow show
 * --output json` and the SDK's JSON helpers read and write too; the binary form needs no JSON mapping). The type is
 * in the name so a failure reads without opening the file.
 */
export function historyFileName(workflowType: string, workflowId: string, runId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 60);
  return `${workflowType}--${safe}--${runId.slice(0, 8)}.binpb`;
}

export function loadRecordedHistories(dir = HISTORIES_DIR): RecordedHistory[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.binpb'))
    .sort()
    .map((file) => {
      const history = proto.temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
      const workflowType = history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? file.split('--')[0]!;
      return { file, workflowId: file.replace(/\.binpb$/, ''), workflowType, history };
    });
}

/** The data converter the histories were recorded with: the stack's defaults (the dev codec key). */
export function recordingDataConverter(): DataConverter {
  return createDataConverter(loadConfig({ env: {} }));
}

export interface ReplayFailure {
  file: string;
  workflowType: string;
  message: string;
}

/** Replays every history against the production workflow bundle (with its interceptors, as workers run it); answers the ones that failed. */
export async function replayHistories(histories: RecordedHistory[], workflowBundle?: { code: string }): Promise<ReplayFailure[]> {
  const bundle = workflowBundle ?? (await bundleWorkflowCode({ ...PRODUCTION_WORKFLOW_BUNDLE, logger: new DefaultLogger('WARN') }));
  const byId = new Map(histories.map((h) => [h.workflowId, h]));
  const failures: ReplayFailure[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle: bundle, dataConverter: recordingDataConverter(), replayName: 'recorded-histories' },
    histories.map((h) => ({ workflowId: h.workflowId, history: h.history })),
  );
  for await (const r of results) {
    if (!r.error) continue;
    const h = byId.get(r.workflowId)!;
    const cause = r.error.cause instanceof Error ? `: ${r.error.cause.message}` : '';
    failures.push({ file: h.file, workflowType: h.workflowType, message: `${r.error.name}: ${r.error.message}${cause}` });
  }
  return failures;
}

/** What a history shows, for the coverage the replay gate asks of the recordings. */
export interface HistoryTraits {
  /** The run ended by continuing as new (a lane, dispatcher or monitor carrying its state on). */
  continuedAsNew: boolean;
  /**
   * A dispatcher run in which a round's node refused a task and a later round of the same run placed that task
   * (on another node: the refusing one is excluded from then on).
   */
  dispatcherFailover: boolean;
}

/** Reads a history's traits; the dispatcher's round results are local-activity markers, decoded with the stack's codec. */
export async function historyTraits(h: RecordedHistory): Promise<HistoryTraits> {
  const events = h.history.events ?? [];
  const continuedAsNew = events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes);
  let dispatcherFailover = false;
  if (h.workflowType === 'gpuDispatcher') {
    const converter = recordingDataConverter();
    const refused = new Set<string>();
    for (const e of events) {
      // A local-activity marker: `result` holds the round's answer (`data` is the SDK's own bookkeeping).
      const payloads = e.markerRecordedEventAttributes?.details?.result?.payloads;
      if (!payloads?.length) continue;
      let payload = payloads[0] as Payload;
      for (const codec of [...(converter.payloadCodecs ?? [])].reverse()) payload = (await codec.decode([payload]))[0]!;
      const round = defaultPayloadConverter.fromPayload<{ placed?: string[]; failed?: { taskId: string }[] } | null>(payload);
      if (!round || !Array.isArray(round.placed)) continue;
      if (round.placed.some((id) => refused.has(id))) dispatcherFailover = true;
      for (const f of round.failed ?? []) refused.add(f.taskId);
    }
  }
  return { continuedAsNew, dispatcherFailover };
}
