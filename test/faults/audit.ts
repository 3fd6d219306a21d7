/**
 * The fault suite's accounting: what was submitted, what was accepted, what reached a terminal state, what was
 * lost and what was duplicated, judged from three independent places: each dialect's own API (what a client
 * sees), Temporal's workflow executions (the source of truth) and the MongoDB mirror, plus the Kafka topic as
 * kcat reads it and the SSH target's own record of what ran.
 */
import { readFile } from 'node:fs/promises';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Db } from 'mongodb';
import { TERMINAL_STATES, type CanonicalState } from '../../src/domain/status.js';
import type { TaskRecord } from '../../src/domain/task.js';
import { kcatConsumeAll } from '../support/kcat.js';
import { JOB_KINDS, SUCCESS_WORDS, type DialectClients, type DialectView, type JobKind, type Submission } from './dialects.js';

export interface KindFigures {
  submitted: number;
  accepted: number;
  terminal: number;
  lost: number;
  duplicated: number;
  /** Terminal but not successful, and not an outcome the job allows (`WorkerLost` for a config push). */
  failed: number;
}

export interface Figures extends KindFigures {
  scenario: string;
  /** HTTP answers ≥ 500 the clients got (503 among them), and requests with no answer at all. */
  fiveXX: number;
  fiveOhThree: number;
  noAnswer: number;
  /** Seconds from the end of the fault until new work of every kind completed again. */
  recoverySeconds: number | null;
  /**
   * Commands that ran more than once (fifo device jobs, scheduled commands): re-run because the worker running
   * them was lost or their completion did not reach Temporal. At least once is the documented contract for
   * command jobs (a config push is never re-run unless marked safe); it is counted, not hidden.
   */
  reRuns: number;
  byKind: Partial<Record<JobKind, KindFigures>>;
  /** Mirror records that disagree with Temporal after the scenario (must be none). */
  mirrorDisagreements: string[];
  /** Anything else the scenario's own checks found wrong (a non-503 5xx, a refused report, …): must be none. */
  problems: string[];
  notes: string[];
  lostIds: string[];
  duplicatedIds: string[];
  failedIds: string[];
}

/** Polls each dialect until every accepted job is terminal or the deadline passes; answers the last views. */
export async function waitTerminal(clients: DialectClients, subs: Submission[], timeoutMs: number, everyMs = 2000): Promise<Map<string, DialectView>> {
  const views = new Map<string, DialectView>();
  const deadline = Date.now() + timeoutMs;
  const accepted = uniqueAccepted(subs);
  for (;;) {
    const open = accepted.filter((s) => !views.get(s.id!)?.terminal);
    if (open.length === 0 || Date.now() > deadline) return views;
    for (const kind of JOB_KINDS) {
      const ids = open.filter((s) => s.kind === kind).map((s) => s.id!);
      if (ids.length === 0) continue;
      for (const v of await clients.view(kind, ids)) views.set(v.id, v);
    }
    if (accepted.every((s) => views.get(s.id!)?.terminal)) return views;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Accepted submissions, one per id (an ingest retry with the same id is the same job). */
export function uniqueAccepted(subs: Submission[]): Submission[] {
  const seen = new Map<string, Submission>();
  for (const s of subs) if (s.accepted && s.id && !seen.has(s.id)) seen.set(s.id, s);
  return [...seen.values()];
}

/** Every workflow execution in the (private) namespace, by workflow id. */
export async function workflowRuns(client: Client): Promise<Map<string, WorkflowExecutionInfo[]>> {
  const out = new Map<string, WorkflowExecutionInfo[]>();
  for await (const w of client.workflow.list()) {
    const list = out.get(w.workflowId) ?? [];
    list.push(w);
    out.set(w.workflowId, list);
  }
  return out;
}

/** The canonical states a closed workflow's own outcome allows its record to be in. */
async function statesFromTemporal(client: Client, w: WorkflowExecutionInfo): Promise<CanonicalState[]> {
  const status = w.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') return ['ready', 'queued', 'running'];
  if (status === 'CANCELLED') return ['cancelled'];
  if (status === 'TIMED_OUT') return ['timed_out', 'failed'];
  if (status !== 'COMPLETED') return ['failed', 'timed_out', 'cancelled'];
  const result = (await client.workflow.getHandle(w.workflowId, w.runId).result()) as Record<string, unknown> | null;
  switch (w.type) {
    case 'deviceJob':
    case 'commandRun':
      return [result?.state as CanonicalState];
    case 'gpuTask':
      return result?.status === 'COMPLETED' ? ['succeeded'] : result?.status === 'TIMEOUT' ? ['timed_out'] : ['failed', 'cancelled'];
    case 'serviceTask':
      return result?.status === 'finished' ? ['succeeded'] : ['failed', 'timed_out'];
    default:
      return [];
  }
}

const JOB_WORKFLOW_TYPES = new Set(['deviceJob', 'commandRun', 'gpuTask', 'serviceTask']);

/**
 * Compares every task record in MongoDB with its workflow in Temporal: a closed workflow's record must be
 * terminal in the state the workflow ended with, a running one's must not be terminal, and no record may be
 * waiting or running without a workflow (a `ready` service task, created but never started, may).
 */
export async function mirrorDisagreements(client: Client, db: Db, runs?: Map<string, WorkflowExecutionInfo[]>): Promise<string[]> {
  const all = runs ?? (await workflowRuns(client));
  const out: string[] = [];
  const records = await db.collection<TaskRecord>('tasks').find({}, { projection: { task_id: 1, state: 1, kind: 1, status: 1 } }).toArray();
  const byId = new Map(records.map((r) => [r.task_id, r]));
  for (const r of records) {
    const list = all.get(r.task_id);
    const latest = list?.sort((a, b) => b.startTime.getTime() - a.startTime.getTime())[0];
    if (!latest) {
      if (r.state !== 'ready' && !TERMINAL_STATES.has(r.state)) out.push(`${r.task_id}: record ${r.state} (${r.status}) but no workflow`);
      continue;
    }
    const allowed = await statesFromTemporal(client, latest);
    if (!allowed.includes(r.state)) out.push(`${r.task_id}: record ${r.state} (${r.status}), workflow ${latest.type} ${latest.status.name} allows ${allowed.join('|')}`);
  }
  for (const [id, list] of all) {
    const w = list[0]!;
    if (JOB_WORKFLOW_TYPES.has(w.type) && !byId.has(id)) out.push(`${id}: workflow ${w.type} ${w.status.name} but no record`);
  }
  return out;
}

/** Hand-off messages per task id on a topic, read with kcat (an independent client). */
export function handOffCounts(brokers: string, topic: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of kcatConsumeAll(brokers, topic)) {
    let id: string | undefined;
    try {
      id = (JSON.parse(m.payload ?? '') as { Task?: { task_id?: string } }).Task?.task_id;
    } catch {
      continue;
    }
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** How many times each command ran, from the lines the commands appended where they ran. */
export async function commandRunCounts(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const m = line.trim();
    if (m) counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  return counts;
}

export interface AuditInput {
  scenario: string;
  subs: Submission[];
  views: Map<string, DialectView>;
  runs: Map<string, WorkflowExecutionInfo[]>;
  handOffs: Map<string, number>;
  commandRuns: Map<string, number>;
  mirror: string[];
  http: { '5xx': number; '503': number; noAnswer: number };
  recoverySeconds: number | null;
  notes?: string[];
}

/** Turns what the scenario saw into its figures. */
export function figuresOf(a: AuditInput): Figures {
  const byKind: Partial<Record<JobKind, KindFigures>> = {};
  const lostIds: string[] = [];
  const duplicatedIds: string[] = [];
  const failedIds: string[] = [];
  let reRuns = 0;
  const kindOf = (k: JobKind) => (byKind[k] ??= { submitted: 0, accepted: 0, terminal: 0, lost: 0, duplicated: 0, failed: 0 });
  for (const s of a.subs) kindOf(s.kind).submitted++;
  for (const s of uniqueAccepted(a.subs)) {
    const f = kindOf(s.kind);
    const id = s.id!;
    f.accepted++;
    const v = a.views.get(id);
    if (v?.terminal) {
      f.terminal++;
      const ok = SUCCESS_WORDS.has(v.status ?? '') || (v.error !== null && v.error !== undefined && (s.allowed ?? []).includes(v.error));
      if (!ok) {
        f.failed++;
        failedIds.push(`${s.kind} ${id}: ${v.status} ${v.error ?? ''}`.trim());
      }
    } else {
      f.lost++;
      lostIds.push(`${s.kind} ${id}: ${v ? `${v.status ?? 'unknown to its dialect'}` : 'not readable'}`);
    }
    // Duplicates: a second workflow run for one id, a second hand-off message, a second run of a ONCE task.
    const runs = a.runs.get(id)?.length ?? 0;
    const handOffs = s.kind === 'service-kafka' ? (a.handOffs.get(id) ?? 0) : 0;
    const schedulerRuns = s.kind === 'scheduler' ? (v?.runs ?? 0) : 0;
    if (runs > 1 || handOffs > 1 || schedulerRuns > 1) {
      f.duplicated++;
      duplicatedIds.push(`${s.kind} ${id}: ${runs} workflow run(s)${s.kind === 'service-kafka' ? `, ${handOffs} hand-off message(s)` : ''}${s.kind === 'scheduler' ? `, ${schedulerRuns} execution(s)` : ''}`);
    }
    if (s.kind === 'service-kafka' && v?.terminal && handOffs === 0) {
      f.lost++;
      lostIds.push(`${s.kind} ${id}: no hand-off message on the topic`);
    }
    const ran = s.marker ? (a.commandRuns.get(s.marker) ?? 0) : null;
    if (ran !== null && ran > 1) reRuns++;
    // A job that says it finished must have run: its command leaves a line on the machine it ran on.
    if (ran === 0 && v?.terminal && SUCCESS_WORDS.has(v.status ?? '')) {
      f.lost++;
      lostIds.push(`${s.kind} ${id}: ${v.status}, but its command never ran`);
    }
  }
  const sum = (k: keyof KindFigures) => Object.values(byKind).reduce((n, f) => n + f[k], 0);
  return {
    scenario: a.scenario,
    submitted: sum('submitted'),
    accepted: sum('accepted'),
    terminal: sum('terminal'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    failed: sum('failed'),
    fiveXX: a.http['5xx'],
    fiveOhThree: a.http['503'],
    noAnswer: a.http.noAnswer,
    recoverySeconds: a.recoverySeconds,
    reRuns,
    byKind,
    mirrorDisagreements: a.mirror,
    problems: [],
    notes: a.notes ?? [],
    lostIds,
    duplicatedIds,
    failedIds,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The scenario's table: one line per kind of job, then the totals, then what went wrong (if anything). */
export function formatFigures(f: Figures): string {
  const head = ['kind', 'submitted', 'accepted', 'terminal', 'lost', 'duplicated', 'failed'];
  const w = [15, 10, 9, 9, 5, 11, 7];
  const row = (cells: (string | number)[]) => cells.map((c, i) => pad(String(c), w[i]!)).join(' ');
  const lines = [`== ${f.scenario}`, row(head)];
  for (const k of JOB_KINDS) {
    const x = f.byKind[k];
    if (x) lines.push(row([k, x.submitted, x.accepted, x.terminal, x.lost, x.duplicated, x.failed]));
  }
  lines.push(row(['TOTAL', f.submitted, f.accepted, f.terminal, f.lost, f.duplicated, f.failed]));
  lines.push(
    `5xx answers: ${f.fiveXX} (503: ${f.fiveOhThree}), requests without an answer: ${f.noAnswer}, commands re-run: ${f.reRuns}, ` +
      `seconds to recover: ${f.recoverySeconds === null ? 'n/a' : f.recoverySeconds.toFixed(1)}, mirror disagreements: ${f.mirrorDisagreements.length}`,
  );
  for (const n of f.notes) lines.push(`  note: ${n}`);
  for (const [what, list] of [['lost', f.lostIds], ['duplicated', f.duplicatedIds], ['failed', f.failedIds], ['mirror', f.mirrorDisagreements], ['problem', f.problems]] as const) {
    for (const x of list.slice(0, 15)) lines.push(`  ${what}: ${x}`);
    if (list.length > 15) lines.push(`  ${what}: … ${list.length - 15} more`);
  }
  return lines.join('\n');
}
