import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { workerTopics } from '../../src/kafka/topics.js';
import { Readiness } from '../../src/lifecycle/readiness.js';
import { backoffMs, BootAbortedError, BootDeadline, BootDeadlineError, oneLine, waitFor } from '../../src/lifecycle/wait.js';
import { suffixedName } from '../../src/store/migrations.js';

const silent = pino({ level: 'silent' });

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, fields, msg });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } as unknown as typeof silent };
}

describe('boot backoff', () => {
  it('doubles from the first pause up to the cap, within ±20 %', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffMs(n, 500, 10_000, () => 0.5))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffMs(1, 500, 10_000, () => 0)).toBe(400);
    expect(backoffMs(1, 500, 10_000, () => 0.999999)).toBe(600);
  });

  it('puts any error on one short line', () => {
    expect(oneLine(new Error('connect ECONNREFUSED\n   at x\n\tat y'))).toBe('connect ECONNREFUSED at x at y');
    expect(oneLine(new Error('x'.repeat(500)), 20)).toHaveLength(20);
    expect(oneLine('plain')).toBe('plain');
  });
});

describe('waitFor', () => {
  it('retries with one line per failed attempt until the attempt succeeds', async () => {
    const { lines, logger } = recordingLogger();
    let n = 0;
    const value = await waitFor(
      'mongodb',
      async () => {
        n += 1;
        if (n < 3) throw new Error(`refused\n#${n}`);
        return 'ok';
      },
      { deadline: new BootDeadline(10), logger, initialDelayMs: 10, maxDelayMs: 20 },
    );
    expect(value).toBe('ok');
    expect(lines.filter((l) => l.level === 'warn').map((l) => [l.fields.attempt, l.fields.err])).toEqual([
      [1, 'refused #1'],
      [2, 'refused #2'],
    ]);
    expect(lines.filter((l) => l.level === 'warn').every((l) => /^mongodb not ready: attempt \d failed, next try in [\d.]+ s: refused #\d$/.test(l.msg))).toBe(true);
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'mongodb ready after 3 attempts' });
  });

  it('gives up at the deadline with the last error, and never retries past it', async () => {
    const { lines, logger } = recordingLogger();
    const started = Date.now();
    const failure = await waitFor('kafka', () => Promise.reject(new Error('no broker')), { deadline: new BootDeadline(0.3), logger, initialDelayMs: 50, maxDelayMs: 50 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BootDeadlineError);
    expect((failure as Error).message).toMatch(/^kafka not ready within the boot deadline of 0.3 s \(\d+ attempts\): no broker$/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(lines.at(-1)).toMatchObject({ level: 'error', fields: { next_try_s: null } });
  });

  it('abandons an attempt that outlives the deadline and disposes of what it brings later', async () => {
    let disposed = 0;
    const failure = await waitFor('temporal', () => new Promise<string>((r) => setTimeout(() => r('late'), 300)), {
      deadline: new BootDeadline(0.1),
      logger: silent,
      dispose: () => {
        disposed += 1;
      },
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BootDeadlineError);
    await new Promise((r) => setTimeout(r, 400));
    expect(disposed).toBe(1);
  });

  it('stops between attempts when aborted', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const failure = await waitFor('mongodb', () => Promise.reject(new Error('down')), { deadline: new BootDeadline(30), logger: silent, signal: abort.signal, initialDelayMs: 5000 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BootAbortedError);
  });
});

describe('readiness', () => {
  it('is starting, then follows its checks, and draining wins over everything', async () => {
    let mongoUp = true;
    const r = new Readiness({ logger: silent, cacheMs: 0 }).addCheck('mongodb', async () => {
      if (!mongoUp) throw new Error('connect ECONNREFUSED 10.1.2.3:27017');
    });
    expect(await r.state()).toBe('starting');
    r.serving();
    expect(await r.state()).toBe('ready');
    mongoUp = false;
    expect(await r.state()).toBe('unavailable');
    mongoUp = true;
    expect(await r.state()).toBe('ready');
    r.drain();
    expect(await r.state()).toBe('draining');
    r.serving();
    expect(await r.state()).toBe('draining');
  });

  it('counts a check that hangs as failed, and reuses one answer within the cache time', async () => {
    let calls = 0;
    const r = new Readiness({ logger: silent, checkTimeoutMs: 50, cacheMs: 60_000 }).addCheck('temporal', () => {
      calls += 1;
      return new Promise(() => undefined);
    });
    r.serving();
    expect(await Promise.all([r.state(), r.state()])).toEqual(['unavailable', 'unavailable']);
    expect(await r.state()).toBe('unavailable');
    expect(calls).toBe(1);
  });
});

describe('what boot prepares', () => {
  it('names a renamed duplicate within the 50 characters the dialect allows', () => {
    expect(suffixedName('nightly', 2)).toBe('nightly (2)');
    expect(suffixedName('x'.repeat(50), 12)).toBe(`${'x'.repeat(45)} (12)`);
    expect([...suffixedName('数'.repeat(50), 2)]).toHaveLength(50);
  });

  it("creates the worker's topics: events, ingest and dead letters, and each Kafka-dispatched service's", () => {
    const config = loadConfig({
      env: {},
      overrides: {
        services: {
          maxStatusTask: 10,
          list: [
            { name: 'algo', source_name: 's', topic_name: 'algo.in', dispatch: 'kafka', timeout_seconds: 60 },
            { name: 'echo', source_name: 'builtin', dispatch: 'temporal', timeout_seconds: 60 },
          ],
        },
      },
    });
    expect(workerTopics(config)).toEqual(['switchyard.task-events', 'switchyard.ingest', 'switchyard.ingest.dlq', 'algo.in']);
    expect(workerTopics(loadConfig({ env: {}, overrides: { kafka: { ingestTopics: [] } } }))).toEqual(['switchyard.task-events']);
  });
});
