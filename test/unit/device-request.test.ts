import { describe, expect, it } from 'vitest';
import { DeviceRequestError, execBodySchema, normalizeExecRequest, redactRequest, secretsOfRequest } from '../../src/device/request.js';
import { renderJinja2 } from '../../src/device/service.js';

const defaults = { ttlSeconds: 300, executionTimeoutSeconds: 120 };
const conn = { host: '10.0.0.1', username: 'admin', password: 'pw-123456', secret: 'en-654321' };
const parse = (body: unknown) => normalizeExecRequest(execBodySchema.parse(body), defaults, renderJinja2);

describe('device request model', () => {
  it('defaults: pinned for netmiko, fifo otherwise; ttl and execution timeout from config; port 22', () => {
    const n = parse({ driver: 'netmiko', connection_args: conn, command: 'show version' });
    expect(n).toMatchObject({ driver: 'netmiko', queueStrategy: 'pinned', ttlSeconds: 300, executionTimeoutSeconds: 120, mode: 'command', lines: ['show version'] });
    expect(n.connection.port).toBe(22);
    const p = parse({ driver: 'ssh', connection_args: conn, config: ['a', 'b'], ttl: 5 });
    expect(p).toMatchObject({ driver: 'paramiko', driverName: 'ssh', queueStrategy: 'fifo', ttlSeconds: 5, mode: 'config', lines: ['a', 'b'] });
    expect(parse({ driver: 'paramiko', connection_args: conn, command: 'x', queue_strategy: 'pinned' }).queueStrategy).toBe('pinned');
  });

  it('rejects both or neither of command/config, unknown drivers, missing credentials', () => {
    expect(() => parse({ driver: 'netmiko', connection_args: conn, command: 'a', config: 'b' })).toThrow(DeviceRequestError);
    expect(() => parse({ driver: 'netmiko', connection_args: conn })).toThrow(/exactly one/);
    expect(() => parse({ driver: 'napalm', connection_args: conn, command: 'a' })).toThrow(/supported: netmiko, paramiko, ssh/);
    expect(() => parse({ driver: 'netmiko', connection_args: { host: 'h', username: 'u' }, command: 'a' })).toThrow(/password or a private key/);
    expect(() => parse({ driver: 'netmiko', connection_args: conn, command: { a: 1 } })).toThrow(/rendering/);
    expect(() => execBodySchema.parse({ driver: 'netmiko', connection_args: { username: 'u' }, command: 'a' })).toThrow();
    expect(() => execBodySchema.parse({ driver: 'netmiko', connection_args: conn, command: 'a', ttl: 0 })).toThrow();
    expect(() => execBodySchema.parse({ driver: 'netmiko', connection_args: conn, command: 'a', ttl: 86401 })).toThrow();
  });

  it('renders jinja2 templates with the command dict as variables', () => {
    const r = parse({
      driver: 'netmiko',
      connection_args: conn,
      config: { name: 'Lo0', ips: ['1.1.1.1', '2.2.2.2'] },
      rendering: { name: 'jinja2', template: 'interface {{ name }}\n{% for ip in ips %}ip address {{ ip }}\n{% endfor %}' },
    });
    expect(r.lines).toEqual(['interface Lo0', 'ip address 1.1.1.1', 'ip address 2.2.2.2']);
    expect(() => parse({ driver: 'netmiko', connection_args: conn, config: {}, rendering: { name: 'jinja2', template: '{% for %}' } })).toThrow(/template error/);
  });

  it('redacts every credential from what MongoDB and logs may hold', () => {
    const r = parse({ driver: 'netmiko', connection_args: { ...conn, private_key: 'KEYDATA-xyz', passphrase: 'pp-999' }, command: 'show clock', webhook: { url: 'http://u:hookpw@h/x', headers: { Authorization: 'Bearer tok-1' } } });
    const red = JSON.stringify(redactRequest(r));
    for (const s of ['pw-123456', 'en-654321', 'KEYDATA-xyz', 'pp-999', 'hookpw', 'tok-1']) expect(red).not.toContain(s);
    expect(red).toContain('10.0.0.1');
    expect(secretsOfRequest(r).sort()).toEqual(['KEYDATA-xyz', 'en-654321', 'pp-999', 'pw-123456'].sort());
  });
});
