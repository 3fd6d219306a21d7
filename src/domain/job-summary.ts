/**
 * The short summary each job's workflow carries as its memo (`summary`), so the Temporal UI shows what a job is
 * without the codec. Built only from fields that are never secret: kinds, counts, queues, hosts, names. Never a
 * command line (a config line may hold a password), a payload or a credential.
 *
 * Every summary starts with PUBLIC_SUMMARY_PREFIX: the payload codec leaves exactly such a short JSON string
 * unencrypted (src/temporal/codec.ts, isPublicSummary), and encrypts everything else.
 */
export const PUBLIC_SUMMARY_PREFIX = 'switchyard: ';
export const MAX_SUMMARY_CHARS = 200;

function summary(text: string): string {
  const s = `${PUBLIC_SUMMARY_PREFIX}${text}`.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return s.length > MAX_SUMMARY_CHARS ? `${s.slice(0, MAX_SUMMARY_CHARS - 1)}…` : s;
}

export function deviceJobSummary(j: { mode: 'command' | 'config'; lineCount: number; driver: string; host: string; queue: string }): string {
  return summary(`device job, ${j.lineCount} ${j.mode} line(s) via ${j.driver} on ${j.host} (${j.queue})`);
}

export function gpuTaskSummary(t: { displayId: number; taskType: number; priority: number; app?: string | null }): string {
  return summary(`GPU task #${t.displayId}, type ${t.taskType}, priority ${t.priority}${t.app ? `, app ${t.app}` : ''}`);
}

export function serviceTaskSummary(t: { service: string }): string {
  return summary(`service task of ${t.service}`);
}

export function schedulerRunSummary(t: { taskId: number; owner: string; source: string }): string {
  return summary(`scheduled task ${t.taskId} (${t.source}) of ${t.owner}`);
}

/** The memo of a job's workflow. */
export function jobMemo(text: string): { summary: string } {
  return { summary: text };
}
