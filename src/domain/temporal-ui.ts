/**
 * Deep links into the Temporal UI (web UI 2.x routes). Every job of every dialect is a workflow whose id is the
 * job's own id, so its page is one click from an API answer; a scheduler task is a Temporal Schedule.
 */
export interface TemporalUi {
  /** TEMPORAL_UI_URL, e.g. http://127.0.0.1:8233 */
  uiUrl: string;
  namespace: string;
}

const base = (ui: TemporalUi) => `${ui.uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}`;

/** The workflow's page (its latest run: the UI resolves a workflow id without a run id to its newest run). */
export function workflowUiUrl(ui: TemporalUi, workflowId: string): string {
  return `${base(ui)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function scheduleUiUrl(ui: TemporalUi, scheduleId: string): string {
  return `${base(ui)}/schedules/${encodeURIComponent(scheduleId)}`;
}

/** The UI's workflow list filtered by a visibility query (the README's ready-made queries). */
export function workflowsQueryUiUrl(ui: TemporalUi, query: string): string {
  return `${base(ui)}/workflows?query=${encodeURIComponent(query)}`;
}

/** An RFC 8288 `Link` header value for dialects whose bodies have no room for a link. */
export function temporalLinkHeader(urls: readonly string[]): string {
  return urls.map((u) => `<${u}>; rel="temporal"`).join(', ');
}
