import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { fromConnectionArgs, type ConnectionArgs, type DeviceSession } from '../src/ssh/connection.js';
import { redactSecrets, SshError } from '../src/ssh/errors.js';
import { withFreshSession, type SessionPool, type SessionSpec } from '../src/ssh/session-pool.js';
import { secretsOfRequest, type DeviceJobRequest } from '../src/device/request.js';
import { driverOptions } from '../src/device/driver-args.js';
import { toJobView } from '../src/device/job-view.js';
import { headersProblem } from '../src/domain/http-headers.js';
import { outboundFor, OutboundRefusedError } from '../src/net/outbound.js';
import type { WorkerStore } from '../src/store/workers.js';
import type { ActivityDeps } from './deps.js';
import { laneResultSignal } from '../src/device/contract.js';
import { deviceFinalWrite, jobOutcomeOfRun, type DeviceRunReport } from '../src/domain/device-outcome.js';
import { publishTaskEvent, writeMirror } from './mirror.js';
import { activityResources } from './resources.js';
import { NtcTemplateNotFoundError } from '../src/parsing/ntc-templates.js';
import { ntcTemplatesDir, NtcTemplatesUnavailableError } from '../src/parsing/ntc-templates-dir.js';
import type { ParseItem } from '../src/parsing/parse-job.js';
import { ParseThreadLostError, ParseTimeoutError } from '../src/parsing/parse-pool.js';

export interface DeviceRunInput {
  jobId: string;
  request: DeviceJobRequest;
  /** Dialect queue word and owner, written with the `started` state. */
  queue: string;
  owner?: string | null;
}

export interface DeviceRunOutcome extends DeviceRunReport {
  /** False when the pooled session was reused (pinned only). */
  login?: boolean;
}

/** The session the job needs: its driver, connection, and the session options of its driver_args. */
export function sessionSpec(req: DeviceJobRequest): SessionSpec {
  return {
    driver: req.driver,
    connection: fromConnectionArgs(req.connection as unknown as ConnectionArgs),
    options: driverOptions(req.driver, req.driverArgs).session,
  };
}

/** Runs a job's parsing off the event loop under its budget (a ParsePool). */
export interface ParseRunner {
  run(items: ParseItem[]): Promise<Record<string, unknown>>;
}

export interface ParseContext {
  /** The ntc-templates folder (config `device.ntcTemplatesDir`). */
  ntcTemplatesDir: string;
  parser: ParseRunner;
  /** The session's platform (the family of its device_type, the detected one after autodetect). */
  platform?: string;
}

/** A parsing failure whose error type is not the generic `ParsingError` (the job shows `type`). */
export class JobParsingError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobParsingError';
  }
}

/**
 * Applies the job's `parsing` to each command's output; one entry per command, as `retval`. The templates are
 * chosen here; every pattern runs on a parse thread (ctx.parser), never on this event loop: a template is the
 * request's code for a backtracking engine. `regex` is Python's `re` (`(?P<name>…)`; `(?<name>…)` is accepted too).
 * @throws JobParsingError (`ParseTimeout` over the budget, `NtcTemplateNotFound`, …), or the parser's own error
 */
export async function parseOutputs(req: DeviceJobRequest, output: Record<string, string>, ctx: ParseContext): Promise<Record<string, unknown>> {
  const parsing = req.parsing;
  if (!parsing) return output;
  const items: ParseItem[] = [];
  for (const [cmd, text] of Object.entries(output)) {
    if ('ntc' in parsing) {
      const platform = parsing.ntc.platform ?? ctx.platform;
      if (!platform) throw new JobParsingError('NtcTemplateNotFound', 'parsing without a template needs a platform, and this session has none');
      try {
        const selection = await (await ntcTemplatesDir(ctx.ntcTemplatesDir)).select(platform, parsing.ntc.command ?? cmd);
        items.push({ key: cmd, engine: 'ntc', templates: selection.texts, text });
      } catch (e) {
        if (e instanceof NtcTemplateNotFoundError) throw new JobParsingError('NtcTemplateNotFound', e.message);
        if (e instanceof NtcTemplatesUnavailableError) throw new JobParsingError('NtcTemplatesUnavailable', e.message);
        throw e;
      }
    } else items.push({ key: cmd, engine: parsing.name, template: parsing.template, text });
  }
  try {
    return await ctx.parser.run(items);
  } catch (e) {
    if (e instanceof ParseTimeoutError || e instanceof ParseThreadLostError) throw new JobParsingError(e.name, e.message);
    throw e;
  }
}

function errorOf(e: unknown, secrets: string[]): { type: string; message: string } {
  const err = e as Error & { type?: string };
  const type = e instanceof SshError ? e.type : err.name || 'Error';
  return { type, message: redactSecrets(err.message ?? String(e), secrets) };
}

export interface DeviceRunDeps {
  deps: ActivityDeps;
  workers: WorkerStore;
  pool?: SessionPool;
  /** Where jobs' parsing runs (the worker's parse threads). */
  parser: ParseRunner;
}

/** A pinned lane's batch: its host's waiting jobs, run back to back on the owner's pooled session. */
export interface DeviceBatchInput {
  jobs: DeviceRunInput[];
  owner: string;
}

/** One job of a batch: its outcome, or `skipped` when its cancel won the decision before it started. */
/** `signalled`: the job's workflow was told its outcome by the batch itself (the lane tells the others). */
export type DeviceBatchItem = { jobId: string; outcome: DeviceRunOutcome; signalled?: boolean } | { jobId: string; skipped: true };

/**
 * The SSH work of one job: claim it (queued → started) in MongoDB, run it, parse, report. Null: its cancel was
 * decided first, so it did not run.
 */
async function runJob(d: DeviceRunDeps, input: DeviceRunInput, pooled: boolean, details?: () => unknown): Promise<DeviceRunOutcome | null> {
  const run = await startJob(d, input, pooled, details);
  return run && (await run.recorded);
}

/** A claimed job whose device work has ended: its outcome, once its terminal record has been written. */
interface JobRun {
  recorded: Promise<DeviceRunOutcome>;
}

/**
 * Claims the job and does its device work; the records are written beside it. The `started` write runs while
 * the command does, and the terminal write after it: a pinned batch starts its next job as soon as the device
 * is free (the decision is the only MongoDB round trip between two jobs). Null: its cancel was decided first.
 */
async function startJob(d: DeviceRunDeps, input: DeviceRunInput, pooled: boolean, details?: () => unknown): Promise<JobRun | null> {
  const ctx = Context.current();
  const { deps } = d;
  const req = input.request;
  const startedAt = new Date();
  const rev = startedAt.getTime() * 1000 + 999;
  // A job races its cancel (DELETE /job) through one recorded decision, so it cannot both start and be
  // cancelled. Then the record says `started`, written by `_id`.
  const decided = await deps.tasks.decideOnce(input.jobId, 'run').catch((e: unknown) => {
    // MongoDB did not answer: nothing was sent to the device, so the attempt can safely be made again.
    throw ApplicationFailure.create({ message: `job not claimed: ${(e as Error).message}`, type: 'DeviceClaimError', nonRetryable: false });
  });
  if (decided !== 'run') {
    if (pooled) return null;
    throw ApplicationFailure.nonRetryable(`job ${input.jobId} is no longer queued`, 'JobNotClaimable');
  }
  // Settles either way: a `started` write MongoDB refused is overtaken by the terminal one (a higher revision).
  const startedWrite = deps.tasks
    .apply({ task_id: input.jobId, rev, state: 'running', status: 'started', start_time: startedAt, worker: deps.workerName, owner: input.owner ?? null, waiting_reason: null }, startedAt)
    .then((outcome) => {
      if (outcome === 'applied') publishTaskEvent(deps, { task_id: input.jobId, kind: 'device', state: 'running', status: 'started', queue: input.queue });
    })
    .catch((e: unknown) => deps.logger.warn({ jobId: input.jobId, err: (e as Error).message }, 'started record not written'));
  // The terminal record follows the `started` one, so the events reach Kafka in that order.
  const end = (outcome: DeviceRunOutcome): JobRun => ({ recorded: startedWrite.then(() => recordEnd(deps, input, outcome)) });

  const secrets = secretsOfRequest(req);
  const beat = setInterval(() => ctx.heartbeat(details?.()), 1000);
  beat.unref?.();
  let platform: string | undefined;
  const call = driverOptions(req.driver, req.driverArgs).call;
  const run = async (session: DeviceSession) => {
    platform = session.platform;
    const opts = { timeout: req.executionTimeoutSeconds, ...call };
    return req.mode === 'command' ? session.sendCommands(req.lines, opts) : session.sendConfig(req.lines, { ...opts, save: req.save });
  };
  let login: boolean | undefined;
  try {
    const spec = sessionSpec(req);
    const res = pooled && d.pool ? await d.pool.withSession(spec, (s, info) => ((login = !info.reused), run(s))) : await withFreshSession(spec, run);
    const output: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.output)) output[redactSecrets(k, secrets)] = redactSecrets(v, secrets);
    let retval: unknown = output;
    let error: DeviceRunOutcome['error'] = null;
    try {
      retval = await parseOutputs(req, output, { ntcTemplatesDir: deps.config.device.ntcTemplatesDir, parser: d.parser, ...(platform ? { platform } : {}) });
    } catch (e) {
      error = { type: e instanceof JobParsingError ? e.type : 'ParsingError', message: redactSecrets((e as Error).message, secrets) };
    }
    // A generic shell reports exit statuses: a command that ran and failed is a failed job, not a retry.
    const bad = Object.entries(res.exitCodes ?? {}).filter(([, c]) => c !== 0);
    if (!error && bad.length > 0) error = { type: 'CommandFailed', message: `exit status ${bad.map(([c, s]) => `${String(s)} from '${redactSecrets(c, secrets)}'`).join(', ')}` };
    d.workers.countJob(deps.workerName, !error);
    return end({ ok: !error, retval, error, worker: deps.workerName, started_at: startedAt.toISOString(), ended_at: new Date().toISOString(), rev, ...(login === undefined ? {} : { login }) });
  } catch (e) {
    const err = errorOf(e, secrets);
    if (e instanceof SshError && e.retryable) {
      // Connection trouble: Temporal retries it (fifo) or the lane does (pinned). The message is already redacted.
      await startedWrite;
      throw ApplicationFailure.create({ message: err.message, type: err.type, nonRetryable: false });
    }
    d.workers.countJob(deps.workerName, false);
    return end({ ok: false, retval: null, error: err, worker: deps.workerName, started_at: startedAt.toISOString(), ended_at: new Date().toISOString(), rev });
  } finally {
    clearInterval(beat);
  }
}

/**
 * Writes the job's terminal record as soon as its run has ended, rather than leaving it to the job's workflow
 * (a local activity there, one workflow task later): the outcome is visible sooner and the workflow does less.
 * A write MongoDB does not answer is left to the workflow, which retries it.
 */
async function recordEnd(deps: ActivityDeps, input: DeviceRunInput, outcome: DeviceRunOutcome): Promise<DeviceRunOutcome> {
  const write = deviceFinalWrite(input.jobId, outcome.rev + 1, { ...outcome, state: outcome.ok ? 'succeeded' : 'failed' });
  try {
    await writeMirror(deps, { ...write, kind: 'device', queue: input.queue });
    return { ...outcome, recorded: true };
  } catch (e) {
    deps.logger.warn({ jobId: input.jobId, err: (e as Error).message }, 'terminal record left to the job workflow');
    return outcome;
  }
}

/** Signals a pinned job's workflow its outcome (the signal the lane would send); false when it could not. */
async function tellJob(deps: ActivityDeps, jobId: string, outcome: DeviceRunOutcome): Promise<boolean> {
  try {
    const { client } = await activityResources(deps);
    await client.workflow.getHandle(jobId).signal(laneResultSignal, jobOutcomeOfRun(outcome));
    return true;
  } catch {
    return false;
  }
}

/** Activities of the SSH queues (fifo and the worker's own queue), registered by the device worker plugin. */
export function createDeviceRunActivities(d: DeviceRunDeps) {
  return {
    async deviceRunFifo(input: DeviceRunInput): Promise<DeviceRunOutcome> {
      const outcome = await runJob(d, input, false);
      if (!outcome) throw ApplicationFailure.nonRetryable(`job ${input.jobId} is no longer queued`, 'JobNotClaimable');
      return outcome;
    },
    /**
     * Runs a lane's batch in order on the pooled session. Each finished job is in the heartbeat details, so a
     * lane that loses this worker knows which outcomes it already has and re-runs only the others.
     */
    async deviceRunPinnedBatch(input: DeviceBatchInput): Promise<DeviceBatchItem[]> {
      const done: DeviceBatchItem[] = [];
      const ctx = Context.current();
      // Each job's records and its workflow's signal complete beside the next job's run; a job is reported
      // (heartbeat, result) only once both are done, so what the lane learns is always written.
      const tails: Promise<void>[] = [];
      const report = (item: DeviceBatchItem) => {
        done.push(item);
        ctx.heartbeat(done);
      };
      try {
        for (const job of input.jobs) {
          if (ctx.cancellationSignal.aborted) break;
          const run = await startJob(d, { ...job, owner: input.owner }, true, () => done);
          if (!run) {
            report({ jobId: job.jobId, skipped: true });
            continue;
          }
          tails.push(
            run.recorded.then(async (outcome) => {
              // Told straight away: the job's workflow ends without waiting for the batch, and the lane does not signal it.
              const signalled = await tellJob(d.deps, job.jobId, outcome);
              report({ jobId: job.jobId, outcome, signalled });
            }),
          );
        }
      } catch (e) {
        // Connection trouble: report what ran; the lane sends the rest again and retries this job on its own.
        await Promise.all(tails);
        if (done.length > 0) return done;
        throw e;
      }
      await Promise.all(tails);
      return done;
    },
    /** Live workers that serve their own task queue under `base`, by name (for pinned ownership). */
    async deviceLiveWorkers(input: { base: string }): Promise<string[]> {
      const now = new Date();
      const all = await d.workers.list();
      const deadMs = d.deps.config.worker.deadAfterSeconds * 1000;
      return all
        .filter((w) => !w.stopped_at && !w.stop_requested && now.getTime() - new Date(w.last_heartbeat).getTime() <= deadMs)
        .filter((w) => (w.task_queues ?? []).includes(`${input.base}.worker.${w.name}`))
        .map((w) => w.name)
        .sort();
    },
  };
}

export type DeviceRunActivities = ReturnType<typeof createDeviceRunActivities>;

/** Activities of the main queue: the cancel decision for fifo jobs (local) and webhooks. */
export function createDeviceActivities(deps: ActivityDeps) {
  return {
    /** queued → cancelled, only if the run has not claimed the job first (the same recorded decision). */
    async deviceCancelQueued(input: { jobId: string; rev: number; at: string }): Promise<boolean> {
      if ((await deps.tasks.decideOnce(input.jobId, 'cancel')) !== 'cancel') return false;
      await deps.tasks.apply({
        task_id: input.jobId,
        rev: input.rev,
        state: 'cancelled',
        status: 'cancelled',
        end_time: new Date(input.at),
        waiting_reason: null,
        error: { type: 'Cancelled', message: 'job was cancelled before it started' },
      });
      return true;
    },
    /** Calls the job's webhook with the job view; a non-2xx answer fails the attempt so Temporal retries it. */
    async deviceWebhook(input: { jobId: string; webhook: NonNullable<DeviceJobRequest['webhook']> }): Promise<number> {
      const record = await deps.tasks.get(input.jobId);
      if (!record) throw new Error(`job ${input.jobId} not found for its webhook`);
      const view = toJobView(record, deps.config.temporal);
      const { url, method, headers, timeout } = input.webhook;
      // Checked again here: a job submitted before a header rule or the policy changed, or replayed from history.
      const problem = headersProblem(headers ?? {});
      if (problem) throw ApplicationFailure.nonRetryable(`webhook: ${problem}`, 'WebhookInputError');
      let res;
      try {
        // Through the outbound policy: every resolved address and every redirect is checked (src/net/outbound.ts).
        res = await outboundFor(deps.config).fetch(url, {
          method,
          headers: { 'content-type': 'application/json', ...(headers ?? {}) },
          ...(method === 'GET' ? {} : { body: JSON.stringify(view) }),
          signal: AbortSignal.timeout(timeout * 1000),
        });
      } catch (e) {
        if (e instanceof OutboundRefusedError) {
          deps.logger.warn({ jobId: input.jobId, err: e.message }, 'webhook refused by the outbound policy');
          throw ApplicationFailure.nonRetryable(`webhook: ${e.message}`, 'OutboundRefused');
        }
        throw e;
      }
      await res.body?.cancel().catch(() => undefined);
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
      return res.status;
    },
  };
}
