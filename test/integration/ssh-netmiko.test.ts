import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CommandTimeoutError,
  DeviceCommandError,
  SshAuthError,
  SshConnectionError,
  UnsupportedDriverError,
} from '../../src/ssh/errors.js';
import { NetmikoDriver, cleanTerminalText } from '../../src/ssh/netmiko-driver.js';
import type { NetmikoOptions } from '../../src/ssh/netmiko-driver.js';
import { SessionPool, normalizeDriver } from '../../src/ssh/session-pool.js';
import type { SessionSpec } from '../../src/ssh/session-pool.js';
import { startDeviceEmulator } from '../support/device-emulator.js';
import type { DeviceEmulator } from '../support/device-emulator.js';

const SLOW_COMMAND = 'show tech-support';

let emu: DeviceEmulator;
const drivers: NetmikoDriver[] = [];
const pools: SessionPool[] = [];
const emulators: DeviceEmulator[] = [];

function conn(e: DeviceEmulator = emu, extra: Partial<NetmikoOptions> = {}): NetmikoOptions {
  return {
    host: e.host,
    port: e.port,
    username: e.username,
    password: e.password,
    secret: e.enableSecret,
    deviceType: 'cisco_ios',
    timeout: 5,
    ...extra,
  };
}

async function open(extra: Partial<NetmikoOptions> = {}, e: DeviceEmulator = emu): Promise<NetmikoDriver> {
  const d = await NetmikoDriver.connect(conn(e, extra));
  drivers.push(d);
  return d;
}

function pool(opts: ConstructorParameters<typeof SessionPool>[0] = {}): SessionPool {
  const p = new SessionPool(opts);
  pools.push(p);
  return p;
}

function spec(e: DeviceEmulator = emu, options: SessionSpec['options'] = {}): SessionSpec {
  return { driver: 'netmiko', connection: conn(e), options };
}

/** `show version` minus the uptime line, which moves every minute. */
const stableVersion = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !/ uptime is /.test(l))
    .join('\n');

beforeAll(async () => {
  emu = await startDeviceEmulator({ commandDelayMs: (c) => (c === SLOW_COMMAND ? 3000 : 0) });
  emulators.push(emu);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.closeAll()));
  await Promise.all(drivers.map((d) => d.disconnect()));
  await Promise.all(emulators.map((e) => e.close()));
});

describe('netmiko driver: session preparation', () => {
  it('detects the prompt, disables paging and enters enable mode with the secret', async () => {
    const before = emu.commandsReceived.length;
    const d = await open({ autoEnable: false });
    expect(d.basePrompt).toBe('Router');
    expect(d.currentPrompt).toBe('Router>');
    expect(d.checkEnableMode()).toBe(false);
    expect(emu.commandsReceived.slice(before)).toEqual(['terminal width 511', 'terminal length 0']);

    await d.enable();
    expect(d.currentPrompt).toBe('Router#');
    expect(d.checkEnableMode()).toBe(true);
    expect(emu.commandsReceived.slice(before)).toContain('enable');
    expect(emu.commandsReceived.join('\n')).not.toContain(emu.enableSecret);
    // Already privileged: nothing is sent.
    const count = emu.commandsReceived.length;
    expect(await d.enable()).toBe('');
    expect(emu.commandsReceived.length).toBe(count);
  });

  it('talks to an old device that only offers SHA-1 key exchange and CBC ciphers', async () => {
    const e = await startDeviceEmulator({
      algorithms: { kex: ['diffie-hellman-group14-sha1'], cipher: ['aes128-cbc'], hmac: ['hmac-sha1'] },
    });
    emulators.push(e);
    const d = await open({}, e);
    expect(await d.sendCommand('show clock')).toMatch(/UTC/);
  });

  it('finds the prompt behind a MOTD banner full of prompt characters', async () => {
    const e = await startDeviceEmulator({ hostname: 'core-sw1', banner: '##########\n# lab only #>\n##########' });
    emulators.push(e);
    const d = await open({}, e);
    expect(d.basePrompt).toBe('core-sw1');
    expect(d.currentPrompt).toBe('core-sw1#');
    expect(await d.sendCommand('show clock')).toMatch(/^\*\d\d:\d\d:\d\d\.\d{3} UTC /);
  });
});

describe('netmiko driver: commands', () => {
  let d: NetmikoDriver;
  beforeAll(async () => {
    d = await open();
  });

  it('send_command strips the echo and the trailing prompt', async () => {
    const clock = await d.sendCommand('show clock');
    expect(clock).toMatch(/^\*\d\d:\d\d:\d\d\.\d{3} UTC \w{3} \w{3} \d{1,2} \d{4}$/);

    const brief = await d.sendCommand('show ip interface brief');
    const lines = brief.split('\n');
    expect(lines[0]).toMatch(/^Interface\s+IP-Address\s+OK\? Method Status\s+Protocol$/);
    expect(brief).toMatch(/^GigabitEthernet0\/0\s+10\.0\.0\.1\s+YES NVRAM\s+up\s+up$/m);
    expect(brief).not.toContain('Router#');
    expect(brief).not.toContain('show ip interface brief');
  });

  it('sendCommands answers with a command → output map', async () => {
    const r = await d.sendCommands(['show clock', 'sh ip int br']);
    expect(Object.keys(r.output)).toEqual(['show clock', 'sh ip int br']);
    expect(r.output['sh ip int br']).toContain('Loopback0');
  });

  it('returns the whole output of a long command with paging disabled', async () => {
    const stops = emu.pagerStops;
    const version = await d.sendCommand('show version');
    expect(version.split('\n').length).toBeGreaterThan(50);
    expect(version.startsWith('Cisco IOS Software, C2900 Software')).toBe(true);
    expect(version).toContain('Configuration register is 0x2102');
    expect(version).not.toMatch(/more/i);
    expect(emu.pagerStops).toBe(stops);
  });

  it('answers --More-- when paging was left on, with the same output', async () => {
    const reference = await d.sendCommand('show version');
    const before = emu.commandsReceived.length;
    const paged = await open({ disablePaging: false });
    expect(emu.commandsReceived.slice(before)).not.toContain('terminal length 0');
    const stops = emu.pagerStops;
    const version = await paged.sendCommand('show version');
    expect(emu.pagerStops - stops).toBeGreaterThanOrEqual(2);
    expect(version).not.toMatch(/more|\x08/i);
    expect(stableVersion(version)).toBe(stableVersion(reference));
  });

  it('keeps a device error in the output unless asked to raise', async () => {
    const out = await d.sendCommand('show bogus');
    expect(out).toContain("% Invalid input detected at '^' marker.");
    await expect(d.sendCommand('show bogus', { raiseOnError: true })).rejects.toBeInstanceOf(DeviceCommandError);
    expect(await d.sendCommand('show clock')).toMatch(/UTC/);
  });

  it('cleans pager markers and their erase sequences out of raw text', () => {
    const raw = 'line 1\r\nline 2\r\n\u0000MORE\u0000\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b interface Gi0/0\r\n';
    expect(cleanTerminalText(raw)).toBe('line 1\nline 2\n interface Gi0/0\n');
  });
});

describe('netmiko driver: configuration', () => {
  let d: NetmikoDriver;
  beforeAll(async () => {
    d = await open();
  });

  it('sends a config set line by line and leaves config mode', async () => {
    const r = await d.sendConfigSet(['interface Loopback42', 'description set by switchyard', 'ip address 10.42.0.1 255.255.255.255']);
    expect(r.lines).toEqual({
      'interface Loopback42': '',
      'description set by switchyard': '',
      'ip address 10.42.0.1 255.255.255.255': '',
    });
    expect(r.transcript).toContain('Router(config-if)#description set by switchyard');
    expect(d.currentPrompt).toBe('Router#');
    expect(emu.runningConfig()).toContain('interface Loopback42\n description set by switchyard\n ip address 10.42.0.1 255.255.255.255');
    expect(await d.sendCommand('show ip interface brief')).toMatch(/^Loopback42\s+10\.42\.0\.1\s+YES manual/m);
  });

  it('stops at the first rejected line, names it, and gets back to the exec prompt', async () => {
    const err = await d
      .sendConfigSet(['interface Loopback43', 'description ok', 'bogus command here', 'description never sent'])
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceCommandError);
    const e = err as DeviceCommandError;
    expect(e.type).toBe('DeviceCommandError');
    expect(e.command).toBe('bogus command here');
    expect(e.deviceMessage).toBe("% Invalid input detected at '^' marker.");
    expect(emu.commandsReceived).not.toContain('description never sent');
    expect(d.checkConfigMode()).toBe(false);
    expect(d.currentPrompt).toBe('Router#');

    await expect(d.sendConfigSet(['hostname'])).rejects.toMatchObject({ deviceMessage: '% Incomplete command.' });
    expect(await d.sendCommand('show clock')).toMatch(/UTC/);
  });

  it('saves the configuration', async () => {
    const saves = emu.saves;
    const out = await d.saveConfig();
    expect(out).toContain('Building configuration...');
    expect(out).toContain('[OK]');
    expect(emu.saves).toBe(saves + 1);

    const r = await d.sendConfig(['interface Loopback44', 'description saved'], { save: true });
    expect(r.output['write memory']).toContain('[OK]');
    expect(emu.saves).toBe(saves + 2);
  });

  it('follows a hostname change', async () => {
    const e = await startDeviceEmulator();
    emulators.push(e);
    const h = await open({}, e);
    await h.sendConfigSet(['hostname Edge-7']);
    expect(h.currentPrompt).toBe('Edge-7#');
    expect(h.basePrompt).toBe('Edge-7');
    expect(await h.sendCommand('show version')).toContain('Edge-7 uptime is');
    await h.sendConfigSet(['interface Loopback1', 'description after rename']);
    expect(e.runningConfig()).toContain('hostname Edge-7');
  });
});

describe('netmiko driver: failures', () => {
  it('wrong password → SshAuthError without the password in it', async () => {
    const wrong = 'not-the-password-123';
    const err = await NetmikoDriver.connect(conn(emu, { password: wrong })).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SshAuthError);
    expect((err as SshAuthError).type).toBe('SshAuthError');
    expect((err as Error).message).not.toContain(wrong);
  });

  it('refused enable secret → SshAuthError without the secret in it', async () => {
    const wrong = 'wrong-enable-secret';
    const err = await NetmikoDriver.connect(conn(emu, { secret: wrong })).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SshAuthError);
    expect((err as Error).message).toMatch(/enable/);
    expect((err as Error).message).not.toContain(wrong);
    expect(emu.commandsReceived.join('\n')).not.toContain(wrong);
  });

  it('a command without a prompt in time → CommandTimeoutError, and the session is retired', async () => {
    const d = await open();
    const err = await d.sendCommand(SLOW_COMMAND, { timeout: 0.3 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as CommandTimeoutError).command).toBe(SLOW_COMMAND);
    expect(d.isAlive()).toBe(false);
    await expect(d.sendCommand('show clock')).rejects.toBeInstanceOf(SshConnectionError);
  });

  it('a closed port → SshConnectionError', async () => {
    const e = await startDeviceEmulator();
    const port = e.port;
    await e.close();
    const err = await NetmikoDriver.connect({ ...conn(emu), port }).then(() => null, (x: unknown) => x);
    expect(err).toBeInstanceOf(SshConnectionError);
    expect((err as SshConnectionError).retryable).toBe(true);
  });

  it('no error message carries a credential', async () => {
    const password = 'pw-Never-Shown-1';
    const secret = 'secret-Never-Shown-2';
    const wrong = ['wrong-secret-Never-Shown-3', 'wrong-pw-Never-Shown-4'];
    const e = await startDeviceEmulator({ password, enableSecret: secret, commandDelayMs: (c) => (c.startsWith('show slow') ? 2000 : 0) });
    emulators.push(e);
    const messages: string[] = [];
    const collect = (p: Promise<unknown>): Promise<void> =>
      p.then(
        () => undefined,
        (x: unknown) => {
          messages.push(String((x as Error).message), JSON.stringify(x));
        },
      );
    await collect(NetmikoDriver.connect({ ...conn(e), secret: wrong[0] }));
    await collect(NetmikoDriver.connect({ ...conn(e), password: wrong[1] }));
    const d = await open({}, e);
    // Device errors echo the offending line; a credential typed into it must not leak through the error.
    await collect(d.sendConfigSet([`bogus ${secret}`]));
    await collect(d.sendCommand(`show ${password}`, { raiseOnError: true }));
    await collect(d.sendCommand(`show slow ${password}`, { timeout: 0.2 }));
    expect(messages.length).toBe(10);
    for (const m of messages) {
      for (const s of [password, secret, ...wrong]) expect(m).not.toContain(s);
    }
  });
});

describe('session pool', () => {
  it('serves many calls from one login and serialises concurrent ones', async () => {
    const e = await startDeviceEmulator();
    emulators.push(e);
    const p = pool();
    for (let i = 0; i < 5; i++) {
      const r = await p.withSession(spec(e), (s) => s.sendCommands(['show clock']));
      expect(r.output['show clock']).toMatch(/UTC/);
    }
    const outputs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => p.withSession(spec(e), (s) => s.sendCommands([i % 2 ? 'show clock' : 'show ip interface brief']))),
    );
    outputs.forEach((r, i) => {
      expect(Object.keys(r.output)).toEqual([i % 2 ? 'show clock' : 'show ip interface brief']);
      expect(Object.values(r.output)[0]).toMatch(i % 2 ? /UTC/ : /^Interface/);
    });
    expect(e.logins).toBe(1);
    const st = p.stats();
    expect(st).toMatchObject({ logins: 1, reconnects: 0, reuses: 14, open: 1 });
    expect(JSON.stringify(st)).not.toContain(e.password);
    expect(JSON.stringify(st)).not.toContain(e.enableSecret);
  });

  it('keeps different credentials apart', async () => {
    const e = await startDeviceEmulator();
    emulators.push(e);
    const p = pool();
    await p.withSession(spec(e), (s) => s.sendCommands(['show clock']));
    const other: SessionSpec = { driver: 'netmiko', connection: { ...conn(e), secret: undefined } };
    const info = await p.withSession(other, async (s, i) => {
      await s.sendCommands(['show clock']);
      return i;
    });
    expect(info.reused).toBe(false);
    expect(e.logins).toBe(2);
  });

  it('logs in again after the device dropped the session', async () => {
    const e = await startDeviceEmulator();
    emulators.push(e);
    const p = pool();
    const first = await p.withSession(spec(e), async (s, info) => {
      await s.sendCommands(['show clock']);
      return info;
    });
    expect(first.reused).toBe(false);

    e.dropSessions();
    await vi.waitFor(() => expect(p.stats().sessions[0]?.alive).toBe(false), { timeout: 5000, interval: 20 });
    const again = await p.withSession(spec(e), async (s, info) => {
      const r = await s.sendCommands(['show clock']);
      return { info, r };
    });
    expect(again.info.reused).toBe(false);
    expect(again.r.output['show clock']).toMatch(/UTC/);
    expect(e.logins).toBe(2);
    expect(p.stats()).toMatchObject({ logins: 2, reconnects: 1 });

    // An abrupt reset (no SSH disconnect message) is noticed the same way.
    e.dropSessions({ abrupt: true });
    await vi.waitFor(() => expect(p.stats().sessions[0]?.alive).toBe(false), { timeout: 5000, interval: 20 });
    await p.withSession(spec(e), (s) => s.sendCommands(['show clock']));
    expect(p.stats()).toMatchObject({ logins: 3, reconnects: 2 });
  });

  it('replaces a session that died silently while idle, before sending the job', async () => {
    const e = await startDeviceEmulator();
    emulators.push(e);
    const p = pool({ probeAfterIdle: 0 });
    await p.withSession(spec(e), (s) => s.sendCommands(['show clock']));
    await p.withSession(spec(e), (s) => s.sendCommands(['show clock']));
    expect(p.stats()).toMatchObject({ logins: 1 });
    const before = e.commandsReceived.length;
    e.dropSessions({ abrupt: true });
    // Straight away: the pool may not have seen the close yet; the probe or the retry covers it.
    const r = await p.withSession(spec(e), (s) => s.sendCommands(['show ip interface brief']));
    expect(r.output['show ip interface brief']).toMatch(/^Interface/);
    expect(e.commandsReceived.slice(before).filter((c) => c === 'show ip interface brief')).toHaveLength(1);
    expect(p.stats().logins).toBe(2);
  });

  it('closes idle sessions', async () => {
    const e = await startDeviceEmulator();
    emulators.push(e);
    const p = pool({ idleTimeout: 0.2 });
    await p.withSession(spec(e), (s) => s.sendCommands(['show clock']));
    expect(p.stats().open).toBe(1);
    await vi.waitFor(() => expect(p.stats().open).toBe(0), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(e.activeSessions).toBe(0), { timeout: 5000, interval: 20 });
    await p.withSession(spec(e), (s) => s.sendCommands(['show clock']));
    expect(p.stats()).toMatchObject({ logins: 2, reconnects: 0 });
  });

  it('retires a session after a command timeout and logs in again next time', async () => {
    const p = pool();
    const s = spec(emu, { readTimeout: 0.3 });
    await expect(p.withSession(s, (x) => x.sendCommands([SLOW_COMMAND]))).rejects.toBeInstanceOf(CommandTimeoutError);
    expect(p.stats().open).toBe(0);
    const r = await p.withSession(s, (x) => x.sendCommands(['show clock']));
    expect(r.output['show clock']).toMatch(/UTC/);
    expect(p.stats().logins).toBe(2);
  });

  it('knows its drivers', () => {
    expect(normalizeDriver('ssh')).toBe('paramiko');
    expect(normalizeDriver('Netmiko')).toBe('netmiko');
    expect(() => normalizeDriver('napalm')).toThrow(UnsupportedDriverError);
    try {
      normalizeDriver('napalm');
    } catch (err) {
      expect((err as UnsupportedDriverError).supportedDrivers).toEqual(['netmiko', 'paramiko', 'ssh']);
    }
  });
});
