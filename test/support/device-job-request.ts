import type { DeviceJobRequest } from '../../src/device/request.js';

/**
 * A parsed device job request for workflow tests, whose activities are mocked (nothing connects to its host):
 * one `show version` command over the generic driver, pinned, 60 s ttl, 30 s execution timeout.
 */
export function deviceJobRequest(over: Partial<DeviceJobRequest> = {}): DeviceJobRequest {
  return {
    driver: 'paramiko',
    driverName: 'ssh',
    connection: { host: '127.0.0.1', username: 'u', password: 'p', port: 22 } as DeviceJobRequest['connection'],
    mode: 'command',
    lines: ['show version'],
    driverArgs: {},
    queueStrategy: 'pinned',
    ttlSeconds: 60,
    executionTimeoutSeconds: 30,
    safeToRetry: false,
    save: false,
    ...over,
  };
}
