import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceClient } from '../support/device-client.js';
import { startDeviceStackWithSshd, type DeviceStackWithSshd } from '../support/device-stack.js';
import { testEnv } from '../support/env.js';

// Patterns with catastrophic backtracking, sent as a device API user would, against a real worker (in this process:
// a parse on its event loop would stall this test too). Each fails its job with ParseTimeout, once, without a
// retry, while an ordinary job submitted just after it finishes first.
const BUDGET_MS = 3000;
const env = testEnv('parseoff', { device: { parseBudgetMs: BUDGET_MS, parseThreads: 2 } });

let stack: DeviceStackWithSshd;

beforeAll(async () => {
  stack = await startDeviceStackWithSshd(env);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env.cleanup();
}, 60_000);

interface Job {
  id: string;
  status: string;
  ended_at: string | null;
  result: { retval: unknown; error: { type: string; message: string } | null } | null;
}

const { submit: submitJob, settled } = deviceClient<Job>({ url: () => stack.api.url, apiKey: env.config.auth.deviceApiKey });

function submit(command: string, parsing: Record<string, unknown>): Promise<string> {
  const { host, port, username, password } = stack.sshd;
  return submitJob({ driver: 'paramiko', queue_strategy: 'fifo', connection_args: { host, port, username, password }, command, parsing });
}

/** How many times the job's SSH activity was scheduled: 1 means it never went to another worker. */
async function runAttempts(id: string): Promise<number> {
  const history = await stack.api.deps.temporal.workflow.getHandle(id).fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deviceRunFifo').length;
}

const EVIL_LINE = `${'a'.repeat(40)}!`;
const ORDINARY = { cmd: 'printf "eth0 up\\neth1 down\\n"', retval: [{ name: 'eth0', state: 'up' }, { name: 'eth1', state: 'down' }] };

async function evilBesideOrdinary(evilParsing: Record<string, unknown>, ordinaryParsing: Record<string, unknown>): Promise<{ evil: Job; fine: Job }> {
  const evilId = await submit(`printf '${EVIL_LINE}\\n'`, evilParsing);
  const fineId = await submit(ORDINARY.cmd, ordinaryParsing);
  const [evil, fine] = await Promise.all([settled(evilId), settled(fineId)]);
  expect(fine.status).toBe('finished');
  expect(fine.result?.retval).toEqual({ [ORDINARY.cmd]: ORDINARY.retval });
  // The ordinary job was not held up behind the pattern: it ended while the pattern was still being cut off.
  expect(Date.parse(fine.ended_at!)).toBeLessThan(Date.parse(evil.ended_at!));
  expect(evil.status).toBe('failed');
  expect(await runAttempts(evilId)).toBe(1);
  return { evil, fine };
}

describe('user patterns run off the event loop under a budget', () => {
  it('a catastrophic regex fails its job with ParseTimeout, not retried; an ordinary job finishes meanwhile', async () => {
    const { evil } = await evilBesideOrdinary(
      { name: 'regex', template: '^(?P<run>(a|aa)+)$' },
      // Python's syntax, as NetPulse users write it.
      { name: 'regex', template: '^(?P<name>\\S+) (?P<state>up|down)$' },
    );
    expect(evil.result?.error?.type).toBe('ParseTimeout');
    expect(evil.result?.error?.message).toContain(`budget of ${BUDGET_MS} ms`);
    expect(evil.result?.error?.message).toContain('the regex pattern did not finish');
  });

  it('a catastrophic TextFSM rule fails its job with ParseTimeout naming the template line', async () => {
    const template = ['Value NAME (\\S+)', 'Value STATE (up|down)', '', 'Start', '  ^(a+)+$$ -> Record', '  ^${NAME} ${STATE} -> Record', ''].join('\n');
    const ordinary = ['Value name (\\S+)', 'Value state (up|down)', '', 'Start', '  ^${name} ${state} -> Record', ''].join('\n');
    const { evil } = await evilBesideOrdinary({ name: 'textfsm', template }, { name: 'textfsm', template: ordinary });
    expect(evil.result?.error?.type).toBe('ParseTimeout');
    expect(evil.result?.error?.message).toContain('stuck on template line 5: ^(a+)+$$ -> Record');
  });
});
