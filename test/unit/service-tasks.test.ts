import { describe, expect, it } from 'vitest';
import { formatTime, spendSeconds } from '../../src/api/service-tasks/format.js';
import { parseIngestMessage } from '../../src/service-tasks/ingest.js';
import { readyServiceRecord, serviceTaskInput } from '../../src/service-tasks/ready.js';
import { toServiceTaskDocument } from '../../src/store/service-tasks.js';
import type { TaskRecord } from '../../src/domain/task.js';

describe('service-task time format', () => {
  it('writes UTC `YYYY-MM-DD HH:MM:SS` and null for no time', () => {
    expect(formatTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02 03:04:05');
    expect(formatTime(null)).toBeNull();
    expect(formatTime(undefined)).toBeNull();
  });

  it('measures spend_time in seconds, null until the end', () => {
    expect(spendSeconds(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:01:01.5Z'))).toBe(61.5);
    expect(spendSeconds(new Date(), null)).toBeNull();
  });
});

describe('ingest message parsing', () => {
  const buf = (s: string) => Buffer.from(s, 'utf8');

  it('accepts the documented message, with or without task_id', () => {
    const doc = buf('{"Task": {"task_id": "ts_service_xxxxx", "service": "aaa", "source_name": "xxx", "condition": {"xx":"xx"}}}');
    expect(parseIngestMessage(doc)).toEqual({
      ok: true,
      message: { Task: { task_id: 'ts_service_xxxxx', service: 'aaa', source_name: 'xxx', condition: { xx: 'xx' } } },
    });
    const r = parseIngestMessage(buf('{"Task": {"service": "aaa", "condition": {}}}'));
    expect(r.ok).toBe(true);
  });

  it('refuses with a reason: empty, not JSON, not UTF-8, wrong shape, bad id', () => {
    const reason = (v: Buffer | null) => {
      const r = parseIngestMessage(v);
      return r.ok ? null : r.reason;
    };
    expect(reason(null)).toBe('empty message');
    expect(reason(buf('{nope'))).toMatch(/^not UTF-8 JSON/);
    expect(reason(Buffer.from([0x7b, 0xff, 0x7d]))).toMatch(/^not UTF-8 JSON/);
    expect(reason(buf('{"Task": {"service": "aaa"}}'))).toMatch(/Task\.condition/);
    expect(reason(buf('{"task": {}}'))).toMatch(/Task/);
    expect(reason(buf('{"Task": {"task_id": "has space", "service": "a", "condition": {}}}'))).toMatch(/task_id/);
    expect(reason(buf('[1,2]'))).toMatch(/not a \{"Task"/);
  });

  it('takes any condition keys, but not a condition nested past the free-form bound', () => {
    const r = parseIngestMessage(buf('{"Task": {"service": "a", "condition": {"a\\u0000b": 1, "$ne": null, "c.d": [[1]]}}}'));
    expect(r.ok && r.message.Task.condition).toEqual({ 'a\u0000b': 1, $ne: null, 'c.d': [[1]] });
    const deep = `{"Task": {"service": "a", "condition": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`;
    const refused = parseIngestMessage(buf(deep));
    expect(refused.ok ? null : refused.reason).toMatch(/Task\.condition.*deeper than/);
  });
});

describe('the documented record', () => {
  it('keeps exactly the schema fields', () => {
    const now = new Date();
    const record = {
      task_id: 'ts_a_1',
      kind: 'service',
      state: 'running',
      status: 'running',
      queue: 'service.a',
      create_time: now,
      enqueue_time: now,
      start_time: now,
      end_time: null,
      updated_at: now,
      rev: 5,
      worker: null,
      host: null,
      owner: null,
      priority: 0,
      result: null,
      error: null,
      waiting_reason: null,
      service: 'a',
      source_name: 'mongo',
      condition: { x: 1 },
      status_message: { running: 'go' },
    } as unknown as TaskRecord;
    const doc = toServiceTaskDocument(record);
    expect(Object.keys(doc).sort()).toEqual(['condition', 'create_time', 'end_time', 'service', 'source_name', 'start_time', 'status', 'status_message', 'task_id']);
    expect(doc.status_message).toEqual({ failed: null, running: 'go', finished: null });
  });
});

describe('the heartbeat a service attempt is held to', () => {
  const svc = (over: Record<string, unknown>) => ({ name: 'echo', source_name: 'builtin', dispatch: 'temporal' as const, timeout_seconds: 300, ...over });
  it('is 10 s for a built-in service, so an attempt on a dead worker runs again elsewhere', () => {
    expect(serviceTaskInput(svc({}), 't', {}).heartbeatSeconds).toBe(10);
    expect(serviceTaskInput(svc({ name: 'http', heartbeat_seconds: 4 }), 't', {}).heartbeatSeconds).toBe(4);
  });
  it('is asked of another service only when its entry sets heartbeat_seconds, and never of a Kafka one', () => {
    expect(serviceTaskInput(svc({ name: 'teams-own' }), 't', {}).heartbeatSeconds).toBeUndefined();
    expect(serviceTaskInput(svc({ name: 'teams-own', heartbeat_seconds: 20 }), 't', {}).heartbeatSeconds).toBe(20);
    expect(serviceTaskInput(svc({ name: 'algo', dispatch: 'kafka', topic_name: 'algo', heartbeat_seconds: 20 }), 't', {}).heartbeatSeconds).toBeUndefined();
  });
});

describe('the task queue a service activity runs on', () => {
  const svc = (over: Record<string, unknown>) => ({ name: 'http', source_name: 'builtin', dispatch: 'temporal' as const, timeout_seconds: 300, ...over });
  it('is service.<name> unless the entry names its own; the record and the workflow input agree', () => {
    expect(serviceTaskInput(svc({}), 't', {}).taskQueue).toBeUndefined();
    expect(readyServiceRecord(svc({}), 't', {}).queue).toBe('service.http');
    expect(serviceTaskInput(svc({ task_queue: 'prod.service.http' }), 't', {}).taskQueue).toBe('prod.service.http');
    expect(readyServiceRecord(svc({ task_queue: 'prod.service.http' }), 't', {}).queue).toBe('prod.service.http');
  });
});
