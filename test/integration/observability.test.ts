import { readFileSync } from 'node:fs';
import { Connection, WorkflowClient } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceClient } from '../support/device-client.js';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { startDeviceStack, type DeviceStack } from '../support/device-stack.js';
import { eventually, testEnv } from '../support/env.js';

const env = testEnv('observe');
const { config } = env;

let stack: DeviceStack;
let emu: DeviceEmulator;

beforeAll(async () => {
  emu = await startDeviceEmulator({});
  stack = await startDeviceStack(env, { apiKafka: false });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await emu?.close();
  await env.cleanup();
}, 60_000);

interface JobView {
  id: string;
  status: string;
  workflow_id?: string;
  temporal_ui_url?: string;
}

const deviceJobs = deviceClient<JobView>({ url: () => stack.api.url, apiKey: config.auth.deviceApiKey, settleTimeoutMs: 60_000 });

async function runDeviceJob(): Promise<JobView> {
  const { host, port, username, password, enableSecret } = emu;
  return deviceJobs.settled(await deviceJobs.submit({ driver: 'netmiko', connection_args: { host, port, username, password, device_type: 'cisco_ios', secret: enableSecret }, command: 'show clock' }));
}

/** Metric names a PromQL expression reads: what is left once labels, grouping clauses, functions and ranges are gone. */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b\d[\d.]*(e-?\d+)?\b/g, ' ')
    .replace(/\b[a-z_]+\s*\(/g, ' (');
  return (bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((w) => !/^\d/.test(w));
}

/** The series a histogram or counter exposes, reduced to what the dashboard names (`_bucket` of a histogram). */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/);
    if (m) names.add(m[1]!);
  }
  return names;
}

describe('observability on the real stack', () => {
  it('fills every panel of the shipped Grafana dashboard from a running API and worker', async () => {
    await runDeviceJob();
    const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/switchyard.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const queried = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsIn(t.expr).map((m) => ({ panel: p.title, metric: m }))));
    expect(queried.length).toBeGreaterThan(10);
    const scrape = async () => {
      const a = await (await fetch(`${stack.api.url}/metrics`)).text();
      const w = await (await fetch(`${stack.worker.probeUrl}/metrics`)).text();
      const exposed = new Set([...exposedNames(a), ...exposedNames(w)]);
      return { apiText: a, workerText: w, exposed, missing: queried.filter((q) => !exposed.has(q.metric)) };
    };
    // Series appear as their events happen: the outcome just after the job's last write, the leader's gauge after
    // its first lease, the SDK's workflow_completed once the workflow's last task is done (after the job's answer).
    const settled = await eventually(async () => {
      const s = await scrape();
      return s.missing.length === 0 ? s : null;
    }, 'every metric the dashboard queries', 45_000, 500).catch(() => scrape());
    const { apiText, workerText, exposed, missing } = settled;
    expect(missing, `exposed: ${[...exposed].filter((n) => n.startsWith('temporal_')).join(' ')}`).toEqual([]);

    // Standard names, no double prefix; no id or host in any job label.
    expect(apiText).toMatch(/^process_cpu_user_seconds_total /m);
    expect(apiText).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(apiText + workerText).not.toMatch(/switchyard_process_/);
    for (const line of (apiText + workerText).split('\n').filter((l) => l.startsWith('switchyard_job'))) {
      expect(line).not.toContain(emu.host);
    }
  }, 120_000);

  it('links a device job to its workflow, finds it by search attributes, shows a clear memo and masks credentials in the codec', async () => {
    const job = await runDeviceJob();
    expect(job.workflow_id).toBe(job.id);
    expect(job.temporal_ui_url).toBe(`${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${job.id}`);

    // A client without the codec, as the Temporal UI without it: the memo reads, the input does not.
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const plain = new WorkflowClient({ connection, namespace: config.temporal.namespace });
      const described = await plain.getHandle(job.id).describe();
      expect(described.memo?.summary).toBe(`switchyard: device job, 1 command line(s) via netmiko on ${emu.host} (pinned_${emu.host})`);
      expect(described.typedSearchAttributes.get({ name: 'SwitchyardHost', type: 'KEYWORD' } as never)).toBe(emu.host);
      const query = `SwitchyardKind = "device" AND SwitchyardHost = "${emu.host}" AND SwitchyardQueue = "pinned_${emu.host}" AND WorkflowId = "${job.id}"`;
      await eventually(
        async () => {
          for await (const w of plain.list({ query })) if (w.workflowId === job.id) return true;
          return null;
        },
        'the job found by its search attributes',
        20_000,
        300,
      );

      // The codec endpoint decodes the job's input and result for an operator, with the credentials masked.
      const history = await plain.getHandle(job.id).fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
      const completed = history.events?.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
      expect(started.length).toBe(1);
      expect(Buffer.from(started[0]!.data!).toString('latin1')).not.toContain(emu.password);
      const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
      });
      const res = await fetch(`${stack.api.url}/codec/decode`, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.auth.codecOperatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: [...started, ...completed].map(toJson) }),
      });
      expect(res.status).toBe(200);
      const decoded = ((await res.json()) as { payloads: Array<{ data: string }> }).payloads.map((p) => Buffer.from(p.data, 'base64').toString('utf8'));
      expect(decoded[0]).toContain(emu.username);
      expect(decoded[0]).toContain('"password":"***"');
      expect(decoded.join('\n')).not.toContain(emu.password);
      expect(decoded.length).toBe(1 + completed.length);
    } finally {
      await connection.close();
    }
  }, 120_000);
});
