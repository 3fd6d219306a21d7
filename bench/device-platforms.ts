import { NetmikoDriver } from '../src/ssh/netmiko-driver.js';
import { EMULATED_PLATFORMS, startDeviceEmulator, type DeviceEmulator } from '../test/support/device-emulator.js';
import { PLATFORM_SHOW } from './lib/platform-commands.js';
import { argNumber, formatRatio, summarize, type Throughput } from './lib/stats.js';

// npx tsx bench/device-platforms.ts [--commands 3000] [--rounds 10]
// The netmiko driver on one session per emulated platform, without the job machinery: a show command of each
// platform (bench/lib/platform-commands.ts) back to back, commands/s and latency, with Cisco IOS's run as the
// ratio's baseline. After a warm-up, the platforms take turns in rounds (each round runs commands/rounds on every
// platform, starting with another one each time), so a shared machine's load drifting during the run weighs on all
// of them alike. Driver and emulator share this
// process: the figure is the cost of the pair, the same pair for every platform. Also: login time per platform.
const total = argNumber('commands', 3000);
const rounds = argNumber('rounds', 10);
const perRound = Math.ceil(total / rounds);

const emulators = new Map<string, DeviceEmulator>();
const sessions = new Map<string, NetmikoDriver>();
const latencies = new Map<string, number[]>();
const busy = new Map<string, number>();
const sizes = new Map<string, number>();
try {
  for (const platform of EMULATED_PLATFORMS) {
    const e = await startDeviceEmulator({ platform });
    emulators.set(platform, e);
    const t0 = performance.now();
    sessions.set(platform, await NetmikoDriver.connect({ host: e.host, port: e.port, username: e.username, password: e.password, secret: e.enableSecret, deviceType: platform }));
    console.log(`${platform.padEnd(18)} login + session preparation: ${(performance.now() - t0).toFixed(0)} ms`);
    latencies.set(platform, []);
    busy.set(platform, 0);
  }
  // Warm-up: the first commands of a process pay for the JIT, whichever platform runs them.
  for (const platform of EMULATED_PLATFORMS) for (let i = 0; i < 100; i++) await (sessions.get(platform) as NetmikoDriver).sendCommand(PLATFORM_SHOW[platform] as string);
  for (let r = 0; r < rounds; r++) {
    // Each round starts with another platform, so no platform always runs first or last.
    const order = [...EMULATED_PLATFORMS.slice(r % EMULATED_PLATFORMS.length), ...EMULATED_PLATFORMS.slice(0, r % EMULATED_PLATFORMS.length)];
    for (const platform of order) {
      const d = sessions.get(platform) as NetmikoDriver;
      const lat = latencies.get(platform) as number[];
      const start = performance.now();
      for (let i = 0; i < perRound; i++) {
        const t = performance.now();
        const out = await d.sendCommand(PLATFORM_SHOW[platform] as string);
        if (!out) throw new Error(`${platform}: empty output`);
        sizes.set(platform, out.length);
        lat.push(performance.now() - t);
      }
      busy.set(platform, (busy.get(platform) as number) + (performance.now() - start));
    }
  }
  let cisco: Throughput | null = null;
  for (const platform of EMULATED_PLATFORMS) {
    const t = summarize(`${platform}: ${PLATFORM_SHOW[platform]}`, latencies.get(platform) as number[], (busy.get(platform) as number) / 1000);
    console.log(
      `${t.label}: ${t.count} commands in ${t.seconds.toFixed(2)} s = ${t.perSecond.toFixed(0)} commands/s, p50 ${t.p50Ms.toFixed(2)} ms, p99 ${t.p99Ms.toFixed(2)} ms, ${sizes.get(platform)} characters of output`,
    );
    if (platform === 'cisco_ios') cisco = t;
    else if (cisco) console.log(`  ${formatRatio(t, cisco)}`);
  }
} finally {
  await Promise.all([...sessions.values()].map((s) => s.disconnect()));
  await Promise.all([...emulators.values()].map((e) => e.close()));
}
