import { describe, expect, it } from 'vitest';
import { DeviceRequestError, execBodySchema, normalizeExecRequest, redactRequest, secretsOfRequest } from '../../src/device/request.js';
import { loadConfig } from '../../src/config/index.js';
import { jinja2Renderer } from '../../src/device/service.js';

const defaults = { ttlSeconds: 300, executionTimeoutSeconds: 120 };
const conn = { host: '10.0.0.1', username: 'admin', password: 'pw-123456', secret: 'en-654321', device_type: 'cisco_ios' };
const parse = (body: unknown) => normalizeExecRequest(execBodySchema.parse(body), defaults, jinja2Renderer(loadConfig({ env: {} })));

describe('device request model', () => {
  it('defaults: pinned for netmiko, fifo otherwise; ttl and execution timeout from config; port 22', async () => {
    const n = await parse({ driver: 'netmiko', connection_args: conn, command: 'show version' });
    expect(n).toMatchObject({ driver: 'netmiko', queueStrategy: 'pinned', ttlSeconds: 300, executionTimeoutSeconds: 120, mode: 'command', lines: ['show version'] });
    expect(n.connection.port).toBe(22);
    const p = await parse({ driver: 'ssh', connection_args: conn, config: ['a', 'b'], ttl: 5 });
    expect(p).toMatchObject({ driver: 'paramiko', driverName: 'ssh', queueStrategy: 'fifo', ttlSeconds: 5, mode: 'config', lines: ['a', 'b'] });
    expect((await parse({ driver: 'paramiko', connection_args: conn, command: 'x', queue_strategy: 'pinned' })).queueStrategy).toBe('pinned');
  });

  it('rejects both or neither of command/config, unknown drivers, missing credentials', async () => {
    await expect(parse({ driver: 'netmiko', connection_args: conn, command: 'a', config: 'b' })).rejects.toThrow(DeviceRequestError);
    await expect(parse({ driver: 'netmiko', connection_args: conn })).rejects.toThrow(/exactly one/);
    await expect(parse({ driver: 'napalm', connection_args: conn, command: 'a' })).rejects.toThrow(/supported: netmiko, paramiko, ssh/);
    await expect(parse({ driver: 'netmiko', connection_args: { host: 'h', username: 'u' }, command: 'a' })).rejects.toThrow(/password or a private key/);
    await expect(parse({ driver: 'netmiko', connection_args: conn, command: { a: 1 } })).rejects.toThrow(/rendering/);
    expect(() => execBodySchema.parse({ driver: 'netmiko', connection_args: { username: 'u' }, command: 'a' })).toThrow();
    expect(() => execBodySchema.parse({ driver: 'netmiko', connection_args: conn, command: 'a', ttl: 0 })).toThrow();
    expect(() => execBodySchema.parse({ driver: 'netmiko', connection_args: conn, command: 'a', ttl: 86401 })).toThrow();
  });

  it('renders jinja2 templates with the command dict as variables', async () => {
    const r = await parse({
      driver: 'netmiko',
      connection_args: conn,
      config: { name: 'Lo0', ips: ['1.1.1.1', '2.2.2.2'] },
      rendering: { name: 'jinja2', template: 'interface {{ name }}\n{% for ip in ips %}ip address {{ ip }}\n{% endfor %}' },
    });
    expect(r.lines).toEqual(['interface Lo0', 'ip address 1.1.1.1', 'ip address 2.2.2.2']);
    await expect(parse({ driver: 'netmiko', connection_args: conn, config: {}, rendering: { name: 'jinja2', template: '{% for %}' } })).rejects.toThrow(/template error/);
  });

  it('redacts every credential from what MongoDB and logs may hold', async () => {
    const r = await parse({ driver: 'netmiko', connection_args: { ...conn, private_key: 'KEYDATA-xyz', passphrase: 'pp-999' }, command: 'show clock', webhook: { url: 'http://u:hookpw@h/x', headers: { Authorization: 'Bearer tok-1' } } });
    const red = JSON.stringify(redactRequest(r));
    for (const s of ['pw-123456', 'en-654321', 'KEYDATA-xyz', 'pp-999', 'hookpw', 'tok-1']) expect(red).not.toContain(s);
    expect(red).toContain('10.0.0.1');
    expect(secretsOfRequest(r).sort()).toEqual(['KEYDATA-xyz', 'en-654321', 'pp-999', 'pw-123456'].sort());
  });

  it('refuses a netmiko device_type it does not serve, or none, naming the supported ones; generic only when asked', async () => {
    const { device_type: _omit, ...noType } = conn;
    await expect(parse({ driver: 'netmiko', connection_args: noType, command: 'a' })).rejects.toThrow(/device_type is required for the netmiko driver; supported: cisco_ios, cisco_xe, /);
    for (const dt of ['nokia_sros', 'cisco_asa_telnet', 'linux_telnet', 'ciscoios']) {
      let err: unknown;
      try {
        await parse({ driver: 'netmiko', connection_args: { ...conn, device_type: dt }, command: 'a' });
      } catch (e) {
        err = e;
      }
      expect(err, dt).toBeInstanceOf(DeviceRequestError);
      expect((err as DeviceRequestError).field).toBe('connection_args.device_type');
      expect((err as Error).message).toContain(`unsupported device_type '${dt}'`);
      expect((err as Error).message).toMatch(/hp_comware, .*ruijie_os, .*zte_zxros, .*fortinet, .*generic, .*autodetect/);
    }
    for (const dt of ['generic', 'autodetect', 'HP_Comware', 'cisco_ios_ssh', 'mikrotik_routeros', 'extreme']) {
      expect((await parse({ driver: 'netmiko', connection_args: { ...conn, device_type: dt }, command: 'a' })).connection.device_type).toBe(dt);
    }
    // The generic driver has no use for a device_type.
    expect((await parse({ driver: 'ssh', connection_args: { ...conn, device_type: 'anything' }, command: 'a' })).driver).toBe('paramiko');
  });

  it('telnet types default to port 23; an explicit port is kept', async () => {
    expect((await parse({ driver: 'netmiko', connection_args: { ...conn, device_type: 'cisco_ios_telnet' }, command: 'a' })).connection.port).toBe(23);
    expect((await parse({ driver: 'netmiko', connection_args: { ...conn, device_type: 'hp_comware_telnet', port: 2323 }, command: 'a' })).connection.port).toBe(2323);
    expect((await parse({ driver: 'netmiko', connection_args: { ...conn, device_type: 'hp_comware' }, command: 'a' })).connection.port).toBe(22);
  });

  it('names every driver_args key it does not take: unknown, refused, wrong job kind or wrong type', async () => {
    const bad = async (driver: string, mode: 'command' | 'config', args: Record<string, unknown>) => {
      try {
        await parse({ driver, connection_args: conn, [mode]: 'x', driver_args: args });
      } catch (e) {
        return { field: (e as DeviceRequestError).field, message: (e as Error).message };
      }
      return null;
    };
    expect(await bad('netmiko', 'command', { read_timout: 5 })).toEqual({
      field: 'driver_args.read_timout',
      message: expect.stringMatching(/^unknown driver_args key 'read_timout' for the netmiko driver; supported for command jobs: read_timeout, /),
    });
    expect((await bad('netmiko', 'command', { expect_string: '#' }))?.message).toMatch(/driver_args.expect_string is not supported/);
    expect((await bad('netmiko', 'command', { use_genie: true }))?.field).toBe('driver_args.use_genie');
    expect((await bad('netmiko', 'config', { strip_prompt: false }))?.message).toMatch(/applies to command jobs, not config jobs/);
    expect((await bad('netmiko', 'command', { read_timeout: '5' }))?.message).toMatch(/must be a positive number/);
    expect((await bad('netmiko', 'command', { cmd_verify: 1 }))?.message).toMatch(/must be a boolean/);
    expect((await bad('ssh', 'command', { read_timeout: 5 }))?.message).toMatch(/unknown driver_args key 'read_timeout' for the paramiko driver/);
    expect((await bad('ssh', 'config', { sudo: true }))?.message).toMatch(/sudo is not supported/);
    expect((await bad('netmiko', 'command', { read_timeout: 30, delay_factor: 2, strip_prompt: false, session_log: undefined }))?.field).toBe('driver_args.session_log');
    const ok = await parse({ driver: 'netmiko', connection_args: conn, command: 'x', driver_args: { read_timeout: 30, delay_factor: 2, cmd_verify: false } });
    expect(ok.driverArgs).toEqual({ read_timeout: 30, delay_factor: 2, cmd_verify: false });
  });

  it('refuses save on a platform that has nothing to save', async () => {
    await expect(parse({ driver: 'netmiko', connection_args: { ...conn, device_type: 'fortinet' }, config: 'x', save: true })).rejects.toThrow(/'fortinet' has nothing to save/);
    expect((await parse({ driver: 'netmiko', connection_args: { ...conn, device_type: 'hp_comware' }, config: 'x', save: true })).save).toBe(true);
  });

  it('parses without a template: template null, NetPulse use_ntc_template, or driver_args.use_textfsm', async () => {
    const p = async (extra: Record<string, unknown>, dt = 'cisco_xe_telnet') => (await parse({ driver: 'netmiko', connection_args: { ...conn, device_type: dt }, command: 'sh ver', ...extra })).parsing;
    expect(await p({ parsing: { name: 'textfsm', template: null } })).toEqual({ name: 'textfsm', ntc: { platform: 'cisco_xe' } });
    expect(await p({ parsing: { name: 'textfsm' } })).toEqual({ name: 'textfsm', ntc: { platform: 'cisco_xe' } });
    expect(await p({ parsing: { name: 'textfsm', template: 'Value X (.)', use_ntc_template: true, ntc_template_args: { platform: 'cisco_ios', command: 'show version' } } })).toEqual({
      name: 'textfsm',
      ntc: { platform: 'cisco_ios', command: 'show version' },
    });
    expect(await p({ driver_args: { use_textfsm: true } }, 'huawei')).toEqual({ name: 'textfsm', ntc: { platform: 'huawei' } });
    expect(await p({ parsing: { name: 'textfsm' } }, 'autodetect')).toEqual({ name: 'textfsm', ntc: {} });
    expect(await p({ parsing: { name: 'textfsm', template: 'Value X (.)' } })).toEqual({ name: 'textfsm', template: 'Value X (.)' });
    await expect(p({ parsing: { name: 'regex', template: null } })).rejects.toThrow(/template is required for regex/);
    await expect(p({ parsing: { name: 'textfsm' }, driver_args: { use_textfsm: true } })).rejects.toThrow(/either driver_args.use_textfsm or parsing/);
    await expect(parse({ driver: 'ssh', connection_args: conn, command: 'uname -a', parsing: { name: 'textfsm' } })).rejects.toThrow(/needs a platform with the generic driver/);
    expect((await parse({ driver: 'ssh', connection_args: conn, command: 'ip a', parsing: { name: 'textfsm', ntc_template_args: { platform: 'linux' } } })).parsing).toEqual({
      name: 'textfsm',
      ntc: { platform: 'linux' },
    });
  });
});
