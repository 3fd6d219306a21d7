/**
 * Every platform beyond Cisco IOS, checked the way netmiko-python.test.ts checks IOS: the real Python netmiko (the
 * oracle, test/support/netmiko_oracle.py) drives the platform's emulator with that device_type — session
 * preparation, show commands, one parsed through ntc-templates with `use_textfsm`, a configuration set, a rejected
 * line caught by netmiko's `error_pattern`, the save — and then our driver, on the same emulator, must give the same
 * text for the same commands and the same records when parsing without a template (same index folder on both
 * sides: NET_TEXTFSM is NTC_TEMPLATES_DIR), apply its own configuration, name the rejected line, and save (or refuse
 * to save where the platform has nothing to save). Telnet types go the same way over the emulator's telnet port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { parseWithNtcTemplates } from '../../src/parsing/ntc-templates.js';
import { NtcTemplatesDir } from '../../src/parsing/ntc-templates-dir.js';
import { DeviceCommandError, UnsupportedOperationError } from '../../src/ssh/errors.js';
import { NetmikoDriver } from '../../src/ssh/netmiko-driver.js';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { pytoolsAvailable, pytoolsPython, runPythonJson } from '../support/pytools.js';

const ORACLE = new URL('../support/netmiko_oracle.py', import.meta.url).pathname;

interface PlatformCase {
  /** Emulator platform. */
  platform: string;
  deviceType: string;
  /** Python calls enable() before the show commands (netmiko does not do it by itself). */
  enable?: boolean;
  show: string[];
  /** A show command with an ntc-templates template for the platform. */
  textfsm?: string;
  /** Python's configuration, then ours (different, so each leaves its own trace). */
  config: string[];
  ours: string[];
  /** Text each configuration leaves in the running configuration (`%s`: python / switchyard). */
  trace: (who: string) => string;
  invalid: { lines: string[]; pattern: string };
  save: 'save' | 'commit' | null;
  /** Lines that may differ between two reads (clocks, uptimes), and the parsed fields they fill. */
  volatile?: RegExp;
  volatileFields?: string[];
  connectExtra?: Record<string, unknown>;
}

const CASES: PlatformCase[] = [
  {
    platform: 'hp_comware',
    deviceType: 'hp_comware',
    show: ['display version', 'display interface brief'],
    textfsm: 'display interface brief',
    config: ['interface GigabitEthernet1/0/2', 'description by-python'],
    ours: ['interface GigabitEthernet1/0/2', 'description by-switchyard'],
    trace: (w) => `description by-${w}`,
    invalid: { lines: ['interface GigabitEthernet1/0/2', 'bogus command'], pattern: '% Unrecognized' },
    save: 'save',
    volatile: / uptime is /,
  },
  {
    platform: 'ruijie_os',
    deviceType: 'ruijie_os',
    show: ['show version', 'show ip interface brief'],
    config: ['interface GigabitEthernet 0/1', 'description by-python'],
    ours: ['interface GigabitEthernet 0/1', 'description by-switchyard'],
    trace: (w) => `description by-${w}`,
    invalid: { lines: ['interface GigabitEthernet 0/1', 'bogus command'], pattern: '% Invalid input' },
    save: 'save',
    volatile: /System uptime/,
  },
  {
    platform: 'zte_zxros',
    deviceType: 'zte_zxros',
    enable: true,
    show: ['show version', 'show interface brief'],
    textfsm: 'show interface brief',
    config: ['interface gei-0/1/0/2', 'description by-python'],
    ours: ['interface gei-0/1/0/2', 'description by-switchyard'],
    trace: (w) => `description by-${w}`,
    invalid: { lines: ['interface gei-0/1/0/2', 'bogus command'], pattern: '%Error' },
    save: 'save',
    volatile: / uptime is /,
  },
  {
    platform: 'hp_procurve',
    deviceType: 'hp_procurve',
    show: ['show version', 'show interfaces brief'],
    textfsm: 'show interfaces brief',
    config: ['interface 2', 'name by-python'],
    ours: ['interface 3', 'name by-switchyard'],
    trace: (w) => `name "by-${w}"`,
    invalid: { lines: ['interface 2', 'bogus command'], pattern: 'Invalid input' },
    save: 'save',
  },
  {
    platform: 'cisco_asa',
    deviceType: 'cisco_asa',
    show: ['show version', 'show interface ip brief'],
    textfsm: 'show interface ip brief',
    config: ['interface GigabitEthernet0/1', 'description by-python'],
    ours: ['interface Management0/0', 'description by-switchyard'],
    trace: (w) => `description by-${w}`,
    invalid: { lines: ['interface GigabitEthernet0/1', 'bogus command'], pattern: 'ERROR:' },
    save: 'save',
    volatile: / up \d+ weeks?,/,
  },
  {
    platform: 'fortinet',
    deviceType: 'fortinet',
    show: ['get system interface physical', 'get system status'],
    textfsm: 'get system status',
    config: ['config system interface', 'edit port3', 'set alias by-python', 'next', 'end'],
    ours: ['config system interface', 'edit port2', 'set alias by-switchyard', 'next', 'end'],
    trace: (w) => `set alias "by-${w}"`,
    invalid: { lines: ['config system bogus'], pattern: 'command parse error' },
    save: null,
    volatile: /^System time:/,
    volatileFields: ['system_time'],
    // ssh2's server has no group-exchange key exchange; netmiko's documented disabled_algorithms option lifts its
    // Fortinet key-exchange restriction (any `kex` entry turns it off).
    connectExtra: { disabled_algorithms: { kex: ['diffie-hellman-group1-sha1'] } },
  },
  {
    platform: 'paloalto_panos',
    deviceType: 'paloalto_panos',
    show: ['show system info'],
    textfsm: 'show system info',
    config: ['set address by-python ip-netmask 10.0.0.1/32'],
    ours: ['set address by-switchyard ip-netmask 10.0.0.2/32'],
    trace: (w) => `address by-${w} ip-netmask`,
    invalid: { lines: ['set bogus thing'], pattern: 'Invalid syntax' },
    save: 'commit',
    volatile: /^uptime:/,
  },
  {
    platform: 'dell_os10',
    deviceType: 'dell_os10',
    show: ['show version', 'show interface status'],
    config: ['interface ethernet 1/1/2', 'description by-python'],
    ours: ['interface ethernet 1/1/1', 'description by-switchyard'],
    trace: (w) => `description "by-${w}"`,
    invalid: { lines: ['interface ethernet 1/1/2', 'bogus command'], pattern: '% Error' },
    save: 'save',
  },
  {
    platform: 'mikrotik_routeros',
    deviceType: 'mikrotik_routeros',
    show: ['/system identity print', '/ip address print', '/system resource print'],
    textfsm: '/ip address print',
    config: ['/ip address add address=10.9.9.1/24 interface=ether2'],
    ours: ['/ip address add address=10.8.8.1/24 interface=ether2'],
    trace: (w) => (w === 'python' ? 'address=10.9.9.1/24' : 'address=10.8.8.1/24'),
    invalid: { lines: ['/ip bogus print'], pattern: 'syntax error' },
    save: null,
    volatile: /uptime:/,
  },
  {
    platform: 'linux',
    deviceType: 'linux',
    show: ['uname -a', 'ip address show'],
    textfsm: 'ip address show',
    config: ['echo by-python > /etc/motd'],
    ours: ['echo by-switchyard > /etc/issue.net'],
    trace: (w) => `by-${w}`,
    invalid: { lines: ['bogus-command'], pattern: 'command not found' },
    save: null,
  },
  {
    platform: 'extreme_exos',
    deviceType: 'extreme_exos',
    show: ['show version', 'show vlan description'],
    textfsm: 'show vlan description',
    config: ['create vlan bypython', 'configure vlan bypython tag 100'],
    ours: ['create vlan byswitchyard', 'configure vlan byswitchyard tag 200'],
    trace: (w) => `create vlan by${w}`,
    invalid: { lines: ['configure vlan bypython bogus'], pattern: '%% Invalid' },
    save: 'save',
  },
  // Telnet: the same CLIs over the emulator's telnet port.
  {
    platform: 'cisco_ios',
    deviceType: 'cisco_ios_telnet',
    enable: true,
    show: ['show ip interface brief'],
    textfsm: 'show ip interface brief',
    config: ['interface Loopback71', 'description by-python'],
    ours: ['interface Loopback72', 'description by-switchyard'],
    trace: (w) => `description by-${w}`,
    invalid: { lines: ['interface Loopback71', 'bogus command'], pattern: '% Invalid input' },
    save: 'save',
  },
  {
    platform: 'hp_comware',
    deviceType: 'hp_comware_telnet',
    show: ['display interface brief'],
    textfsm: 'display interface brief',
    config: ['interface GigabitEthernet1/0/2', 'description by-python'],
    ours: ['interface GigabitEthernet1/0/1', 'description by-switchyard'],
    trace: (w) => `description by-${w}`,
    invalid: { lines: ['interface GigabitEthernet1/0/2', 'bogus command'], pattern: '% Unrecognized' },
    save: 'save',
  },
];

interface OracleResult {
  prompt: string;
  enabled_prompt: string;
  show: Record<string, string>;
  after: Record<string, string>;
  parsed: unknown;
  parsed_after: unknown;
  config: string;
  invalid: string | null;
  after_invalid_prompt: string;
  save: string | null;
  elapsed: number;
}

const config = loadConfig();
const ntcDir = config.device.ntcTemplatesDir;
const emulators = new Map<string, DeviceEmulator>();
const results = new Map<string, OracleResult | Error>();
const savesAfterPython = new Map<string, number>();

const keep = (c: PlatformCase, text: string): string =>
  text
    .split('\n')
    .filter((l) => !c.volatile?.test(l))
    .join('\n');

beforeAll(async () => {
  if (!pytoolsAvailable()) throw new Error(`${pytoolsPython} is missing: run \`bash scripts/stack/install.sh pytools ntc-templates\``);
  await NtcTemplatesDir.open(ntcDir);
  // One emulator and one Python process per case, all at once: netmiko mostly waits, and each emulator is its own device.
  await Promise.all(
    CASES.map(async (c) => {
      const emu = await startDeviceEmulator({ platform: c.platform, telnet: c.deviceType.endsWith('_telnet') });
      emulators.set(c.deviceType, emu);
      const telnet = c.deviceType.endsWith('_telnet');
      try {
        const r = await runPythonJson<OracleResult>(
          ORACLE,
          {
            connect: {
              device_type: c.deviceType,
              host: emu.host,
              port: telnet ? emu.telnetPort : emu.port,
              username: emu.username,
              password: emu.password,
              secret: emu.enableSecret,
              conn_timeout: 15,
              ...(c.connectExtra ?? {}),
            },
            enable: c.enable ?? false,
            show: c.show,
            textfsm: c.textfsm ?? null,
            config: c.config,
            invalid: c.invalid,
            save: c.save,
          },
          { timeoutMs: 150_000, env: { NET_TEXTFSM: ntcDir } },
        );
        results.set(c.deviceType, r);
      } catch (e) {
        results.set(c.deviceType, e as Error);
      }
      savesAfterPython.set(c.deviceType, emu.saves);
      const r = results.get(c.deviceType);
      console.log(`${c.deviceType}: python netmiko ${r instanceof Error ? `failed: ${r.message.slice(0, 300)}` : `took ${r?.elapsed}s`}`);
    }),
  );
}, 200_000);

afterAll(async () => {
  await Promise.all([...emulators.values()].map((e) => e.close()));
});

function oracle(c: PlatformCase): OracleResult {
  const r = results.get(c.deviceType);
  if (!r) throw new Error(`no oracle result for ${c.deviceType}`);
  if (r instanceof Error) throw r;
  return r;
}

describe.each(CASES)('$deviceType', (c) => {
  it('python netmiko drives the emulator: show, use_textfsm, config set, error_pattern, save', () => {
    const r = oracle(c);
    const emu = emulators.get(c.deviceType) as DeviceEmulator;
    for (const cmd of c.show) {
      expect(r.show[cmd], cmd).toBeTruthy();
      expect(r.show[cmd], cmd).not.toMatch(/--More--|-- MORE --|lines \d+-\d+|Press <SPACE>/i);
    }
    if (c.textfsm) {
      expect(Array.isArray(r.parsed), `use_textfsm on '${c.textfsm}' gave ${JSON.stringify(r.parsed).slice(0, 200)}`).toBe(true);
      expect((r.parsed as unknown[]).length).toBeGreaterThan(0);
    }
    expect(emu.runningConfig()).toContain(c.trace('python'));
    expect(r.invalid, 'netmiko error_pattern').toMatch(/Invalid input detected at command|ConfigInvalid|bogus/);
    if (c.save) expect(savesAfterPython.get(c.deviceType)).toBeGreaterThan(0);
  });

  it('our driver gives the same text and the same records on the same emulator', async () => {
    const r = oracle(c);
    const emu = emulators.get(c.deviceType) as DeviceEmulator;
    const telnet = c.deviceType.endsWith('_telnet');
    const d = await NetmikoDriver.connect({
      host: emu.host,
      port: (telnet ? emu.telnetPort : emu.port) as number,
      username: emu.username,
      password: emu.password,
      secret: emu.enableSecret,
      deviceType: c.deviceType,
      timeout: 15,
    });
    try {
      for (const cmd of c.show) {
        expect(keep(c, await d.sendCommand(cmd)), cmd).toBe(keep(c, r.after[cmd] as string));
      }
      if (c.textfsm) {
        const dir = await NtcTemplatesDir.open(ntcDir);
        const selected = await dir.select(d.platform, c.textfsm);
        const steady = (records: unknown): unknown =>
          (records as Array<Record<string, unknown>>).map((rec) => Object.fromEntries(Object.entries(rec).filter(([k]) => !c.volatileFields?.includes(k))));
        expect(steady(parseWithNtcTemplates(selected.texts, await d.sendCommand(c.textfsm)))).toEqual(steady(r.parsed_after));
      }
    } finally {
      await d.disconnect();
    }
  });

  it('our driver applies a configuration, names a rejected line, and saves (or refuses to)', async () => {
    const emu = emulators.get(c.deviceType) as DeviceEmulator;
    const telnet = c.deviceType.endsWith('_telnet');
    const d = await NetmikoDriver.connect({
      host: emu.host,
      port: (telnet ? emu.telnetPort : emu.port) as number,
      username: emu.username,
      password: emu.password,
      secret: emu.enableSecret,
      deviceType: c.deviceType,
      timeout: 15,
    });
    try {
      const savesBefore = emu.saves;
      const res = await d.sendConfig(c.ours, { save: c.save !== null });
      expect(Object.keys(res.output)).toEqual(expect.arrayContaining(c.ours));
      expect(emu.runningConfig()).toContain(c.trace('switchyard'));
      if (c.save) expect(emu.saves).toBeGreaterThan(savesBefore);
      else await expect(d.sendConfig(['x'], { save: true })).rejects.toBeInstanceOf(UnsupportedOperationError);

      const err = await d.sendConfig(c.invalid.lines).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceCommandError);
      expect((err as DeviceCommandError).command).toBe(c.invalid.lines[c.invalid.lines.length - 1]);
      expect((err as DeviceCommandError).deviceMessage).toMatch(new RegExp(c.invalid.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      // Back at a usable prompt outside configuration mode.
      expect(d.checkConfigMode()).toBe(false);
      expect(await d.sendCommand(c.show[0] as string)).toBeTruthy();
      if (c.deviceType === 'fortinet') {
        // A line rejected inside a config block: the block is left, so the next command runs at the top level.
        await expect(d.sendConfig(['config system interface', 'edit port2', 'set bogus 1'])).rejects.toBeInstanceOf(DeviceCommandError);
        expect(d.currentPrompt).toBe('FGT-VM64 #');
        expect(await d.sendCommand('get system status | grep Hostname')).toBe('Hostname: FGT-VM64');
      }
    } finally {
      await d.disconnect();
    }
  });
});
