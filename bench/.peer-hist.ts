import { Connection, Client } from '@temporalio/client';
const connection = await Connection.connect({ address: '127.0.0.1:7233' });
const client = new Client({ connection });
let q = '';
for await (const wf of client.workflow.list({ query: `WorkflowType='deviceLane'` })) { if (wf.taskQueue.startsWith('bench-peer-') && wf.taskQueue.endsWith('-split')) { q = wf.taskQueue; break; } }
console.log('queue', q);
const counts = new Map<string, number>();
let n = 0;
for await (const wf of client.workflow.list({ query: `WorkflowType='deviceJob' AND TaskQueue='${q}'` })) {
  if (n >= 5) break;
  n++;
  const h = await client.workflow.getHandle(wf.workflowId).fetchHistory();
  for (const e of h.events ?? []) { const k = String(e.eventType); counts.set(k, (counts.get(k) ?? 0) + 1); }
}
console.log('deviceJob per job (avg of', n, '):', [...counts].map(([k, v]) => `${k}=${v / n}`).join(' '));
const lanes = new Map<string, number>();
let laneRuns = 0;
for await (const wf of client.workflow.list({ query: `WorkflowType='deviceLane' AND TaskQueue='${q}'` })) {
  laneRuns++;
  const h = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
  for (const e of h.events ?? []) { const k = String(e.eventType); lanes.set(k, (lanes.get(k) ?? 0) + 1); }
}
console.log('lane runs', laneRuns, [...lanes].map(([k, v]) => `${k}=${v}`).join(' '));
await connection.close();
