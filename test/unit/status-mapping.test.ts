import { describe, expect, it } from 'vitest';
import {
  CANONICAL_STATES,
  canTransition,
  DEVICE_STATUS,
  deviceErrorType,
  fromDialectStatus,
  GPU_STATUS,
  isTerminal,
  SCHEDULER_STATUS,
  SERVICE_STATUS,
  toDialectStatus,
} from '../../src/domain/index.js';

// DESIGN.md's table, row by row: canonical → device, scheduler, GPU, service task.
const TABLE = [
  ['ready', 'queued', 'PENDING', 'QUEUED', 'ready'],
  ['queued', 'queued', 'PENDING', 'QUEUED', 'waiting'],
  ['running', 'started', 'RUNNING', 'PROCESSING', 'running'],
  ['succeeded', 'finished', 'SUCCESS', 'COMPLETED', 'finished'],
  ['failed', 'failed', 'FAILED', 'FAILED', 'failed'],
  ['timed_out', 'failed', 'TIMEOUT', 'TIMEOUT', 'failed'],
  ['cancelled', 'cancelled', 'CANCELLED', 'FAILED', 'failed'],
] as const;

describe('status mapping', () => {
  it.each(TABLE)('%s → device %s, scheduler %s, gpu %s, service %s', (state, device, scheduler, gpu, service) => {
    expect(DEVICE_STATUS[state]).toBe(device);
    expect(SCHEDULER_STATUS[state]).toBe(scheduler);
    expect(GPU_STATUS[state]).toBe(gpu);
    expect(SERVICE_STATUS[state]).toBe(service);
    expect(toDialectStatus('device', state)).toBe(device);
    expect(toDialectStatus('service', state)).toBe(service);
  });

  it('covers every canonical state', () => {
    expect(TABLE.map((r) => r[0])).toEqual([...CANONICAL_STATES]);
  });

  it('turns a status filter into every canonical state it stands for', () => {
    expect(fromDialectStatus('device', 'failed')).toEqual(['failed', 'timed_out']);
    expect(fromDialectStatus('device', 'queued')).toEqual(['ready', 'queued']);
    expect(fromDialectStatus('device', 'cancelled')).toEqual(['cancelled']);
    expect(fromDialectStatus('gpu', 'FAILED')).toEqual(['failed', 'cancelled']);
    expect(fromDialectStatus('scheduler', 'TIMEOUT')).toEqual(['timed_out']);
    expect(fromDialectStatus('service', 'failed')).toEqual(['failed', 'timed_out', 'cancelled']);
    expect(fromDialectStatus('service', 'waiting')).toEqual(['queued']);
    expect(fromDialectStatus('device', 'bogus')).toEqual([]);
  });

  it('reports a timed-out device job with the Timeout error type', () => {
    expect(deviceErrorType('timed_out', 'Whatever')).toBe('Timeout');
    expect(deviceErrorType('failed', 'SshAuthError')).toBe('SshAuthError');
  });

  it('allows only forward transitions', () => {
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('running', 'cancelled')).toBe(false);
    expect(canTransition('succeeded', 'running')).toBe(false);
    expect(canTransition('queued', 'cancelled')).toBe(true);
    for (const s of ['succeeded', 'failed', 'timed_out', 'cancelled'] as const) expect(isTerminal(s)).toBe(true);
    for (const s of ['ready', 'queued', 'running'] as const) expect(isTerminal(s)).toBe(false);
  });
});
