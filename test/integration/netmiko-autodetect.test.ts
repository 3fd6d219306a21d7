/**
 * `device_type: autodetect` against netmiko's own SSHDetect (test/support/sshdetect_oracle.py): on every emulated
 * platform both must name the same device type, or both none. Ours only ever names a type it serves (SSHDetect's
 * probes restricted to those, src/ssh/autodetect.ts); a platform SSHDetect cannot tell (Ruijie, ZTE, MikroTik here)
 * is an UnsupportedDeviceTypeError naming the probes, never a guess.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedDeviceTypeError } from '../../src/ssh/errors.js';
import { NetmikoDriver } from '../../src/ssh/netmiko-driver.js';
import { EMULATED_PLATFORMS, startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { pytoolsAvailable, pytoolsPython, runPythonJson } from '../support/pytools.js';

const ORACLE = new URL('../support/sshdetect_oracle.py', import.meta.url).pathname;
const emulators = new Map<string, DeviceEmulator>();
let python: Record<string, string | null>;

beforeAll(async () => {
  if (!pytoolsAvailable()) throw new Error(`${pytoolsPython} is missing: run \`bash scripts/stack/install.sh pytools\``);
  for (const p of EMULATED_PLATFORMS) emulators.set(p, await startDeviceEmulator({ platform: p }));
  const devices = [...emulators].map(([id, e]) => ({ id, host: e.host, port: e.port, username: e.username, password: e.password, secret: e.enableSecret, conn_timeout: 15 }));
  python = (await runPythonJson<{ results: Record<string, string | null> }>(ORACLE, { devices }, { timeoutMs: 170_000 })).results;
  console.log(`SSHDetect: ${Object.entries(python).map(([p, t]) => `${p} → ${t ?? 'none'}`).join(', ')}`);
}, 180_000);

afterAll(async () => {
  await Promise.all([...emulators.values()].map((e) => e.close()));
});

describe('autodetect finds what SSHDetect finds', () => {
  it.each(EMULATED_PLATFORMS)('%s', async (platform) => {
    const emu = emulators.get(platform) as DeviceEmulator;
    const expected = python[platform];
    if (expected !== null) expect(expected, `SSHDetect on ${platform}`).not.toMatch(/^error:/);
    const conn = { host: emu.host, port: emu.port, username: emu.username, password: emu.password, secret: emu.enableSecret, deviceType: 'autodetect', timeout: 15 };
    if (expected === null) {
      await expect(NetmikoDriver.connect(conn)).rejects.toBeInstanceOf(UnsupportedDeviceTypeError);
      return;
    }
    const d = await NetmikoDriver.connect(conn);
    try {
      expect(d.deviceType).toBe(expected);
      // The session that follows is prepared as that type.
      expect(d.isAlive()).toBe(true);
    } finally {
      await d.disconnect();
    }
  });
});
