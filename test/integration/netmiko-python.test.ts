/**
 * The device emulator is only trusted because the real netmiko (PyPI) can drive it: connect, enable, show commands
 * (TextFSM-parsed through ntc-templates too), a config set, an invalid line, save, disconnect. The same commands
 * through our driver must give the same text.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetmikoDriver } from '../../src/ssh/netmiko-driver.js';
import { startDeviceEmulator } from '../support/device-emulator.js';
import type { DeviceEmulator } from '../support/device-emulator.js';

const execFileP = promisify(execFile);

const PYTHON = join(process.env.SWITCHYARD_CACHE ?? join(homedir(), '.cache', 'switchyard'), 'pytools', 'bin', 'python');

const SCRIPT = String.raw`
import json, sys
from netmiko import ConnectHandler
from netmiko.exceptions import ConfigInvalidException

cfg = json.loads(sys.argv[1])
out = {}
conn = ConnectHandler(device_type='cisco_ios', host=cfg['host'], port=cfg['port'], username=cfg['username'],
                      password=cfg['password'], secret=cfg['secret'], conn_timeout=10)
out['prompt_before_enable'] = conn.find_prompt()
conn.enable()
out['prompt'] = conn.find_prompt()
out['version'] = conn.send_command('show version')
out['brief'] = conn.send_command('show ip interface brief')
out['brief_parsed'] = conn.send_command('show ip interface brief', use_textfsm=True)
out['version_parsed'] = conn.send_command('show version', use_textfsm=True)
out['config'] = conn.send_config_set(cfg['config'])
try:
    conn.send_config_set(['interface Loopback78', 'this is not a command'], error_pattern=r'% Invalid input')
    out['invalid'] = None
except ConfigInvalidException as e:
    out['invalid'] = str(e)
out['config_mode_after_error'] = conn.check_config_mode()
conn.exit_config_mode()
out['save'] = conn.save_config()
out['config_mode_at_end'] = conn.check_config_mode()
conn.disconnect()
print(json.dumps(out))
`;

interface PythonResult {
  prompt_before_enable: string;
  prompt: string;
  version: string;
  brief: string;
  brief_parsed: Array<Record<string, string>>;
  version_parsed: Array<Record<string, unknown>>;
  config: string;
  invalid: string | null;
  config_mode_after_error: boolean;
  save: string;
  config_mode_at_end: boolean;
}

const CONFIG = ['interface Loopback77', 'description set by python netmiko', 'ip address 10.77.0.1 255.255.255.255'];

let emu: DeviceEmulator;
let result: PythonResult;
let received: string[];

beforeAll(async () => {
  if (!existsSync(PYTHON)) {
    throw new Error(`Python test tools missing (${PYTHON}): run \`bash scripts/stack/install.sh pytools\``);
  }
  emu = await startDeviceEmulator();
  const args = JSON.stringify({
    host: emu.host,
    port: emu.port,
    username: emu.username,
    password: emu.password,
    secret: emu.enableSecret,
    config: CONFIG,
  });
  // Asynchronous on purpose: the emulator answers from this same event loop.
  const { stdout } = await execFileP(PYTHON, ['-c', SCRIPT, args], { timeout: 90_000, maxBuffer: 4 * 1024 * 1024 });
  result = JSON.parse(stdout) as PythonResult;
  received = [...emu.commandsReceived];
});

afterAll(async () => {
  await emu?.close();
});

const withoutUptime = (s: string): string =>
  s
    .split('\n')
    .filter((l) => !l.includes(' uptime is '))
    .join('\n');

describe('python netmiko drives the emulator', () => {
  it('prepares the session the way netmiko does on IOS', () => {
    expect(received.slice(0, 2)).toEqual(['terminal width 511', 'terminal length 0']);
    expect(result.prompt_before_enable).toBe('Router>');
    expect(result.prompt).toBe('Router#');
    expect(received).toContain('enable');
    expect(received.join('\n')).not.toContain(emu.enableSecret);
  });

  it('reads show commands whole, without echo, prompt or pager', () => {
    expect(result.version.startsWith('Cisco IOS Software, C2900 Software')).toBe(true);
    expect(result.version).toContain('Configuration register is 0x2102');
    expect(result.version).not.toMatch(/--More--|Router#/);
    expect(result.brief.split('\n')[0]).toMatch(/^Interface\s+IP-Address/);
  });

  it('produces output that ntc-templates parse', () => {
    expect(result.brief_parsed.map((r) => r.interface)).toEqual(['GigabitEthernet0/0', 'GigabitEthernet0/1', 'GigabitEthernet0/2', 'Loopback0']);
    expect(result.brief_parsed[1]).toMatchObject({ ip_address: 'unassigned', status: 'administratively down', proto: 'down' });
    expect(result.version_parsed[0]).toMatchObject({
      version: '15.2(4)M7',
      hostname: 'Router',
      running_image: 'c2900-universalk9-mz.SPA.152-4.M7.bin',
      hardware: ['CISCO2911/K9'],
      serial: ['FTX1840ALBQ'],
      config_register: '0x2102',
    });
  });

  it('applies a config set and detects an invalid line with netmiko error_pattern', () => {
    expect(result.config).toContain('Router(config)#interface Loopback77');
    expect(result.config).toContain('Router(config-if)#description set by python netmiko');
    expect(result.config.trimEnd().endsWith('Router#')).toBe(true);
    expect(emu.runningConfig()).toContain('interface Loopback77\n description set by python netmiko\n ip address 10.77.0.1 255.255.255.255');
    expect(result.invalid).toMatch(/Invalid input detected at command: this is not a command/);
    expect(result.config_mode_after_error).toBe(true);
  });

  it('saves and disconnects', () => {
    expect(result.save).toContain('Building configuration...');
    expect(result.save).toContain('[OK]');
    expect(result.config_mode_at_end).toBe(false);
    expect(emu.saves).toBe(1);
    expect(received.slice(-2)).toEqual(['write mem', 'exit']);
  });

  it('gives the same text as our driver for the same commands', async () => {
    const d = await NetmikoDriver.connect({
      host: emu.host,
      port: emu.port,
      username: emu.username,
      password: emu.password,
      secret: emu.enableSecret,
      deviceType: 'cisco_ios',
    });
    try {
      expect(withoutUptime(await d.sendCommand('show version'))).toBe(withoutUptime(result.version));
      // Loopback77 and Loopback78 were created after python read the table.
      const brief = (await d.sendCommand('show ip interface brief'))
        .split('\n')
        .filter((l) => !/^Loopback7[78] /.test(l))
        .join('\n');
      expect(brief).toBe(result.brief);
    } finally {
      await d.disconnect();
    }
  });
});
