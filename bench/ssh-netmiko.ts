import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SessionPool } from '../src/ssh/session-pool.js';
import { startDeviceEmulator } from '../test/support/device-emulator.js';
import { loadAverage } from './lib/harness.js';
import { argNumber, summarize } from './lib/stats.js';
import type { Throughput } from './lib/stats.js';

// npx tsx bench/ssh-netmiko.ts [--commands 200] [--device-delay 50]
// What it compares: the netmiko driver of this repo (src/ssh, TypeScript) against Python netmiko, the library
// whose behaviour it reproduces, doing the same thing: `show clock` on one logged-in, enabled session, one
// command at a time, against the in-repo Cisco-like emulator on loopback. Not an engine comparison: no Temporal.
// Python netmiko runs twice: as it does by default (send_command looks the prompt up again before every
// command) and with auto_find_prompt=False, its fastest pattern-based mode.
// Caveat: the emulator answers at once, so against it most of netmiko's time is its own fixed waits (prompt
// look-ups, read loops' sleeps), not what a device would show. The run is repeated with the emulator taking
// `--device-delay` ms before each answer (a router's CLI takes tens of ms for a show command); that second
// ratio is the one to quote, the instant one is an upper bound.
const count = argNumber('commands', 200);
const deviceDelayMs = argNumber('device-delay', 50);
const PYTHON = join(process.env.SWITCHYARD_CACHE ?? join(homedir(), '.cache', 'switchyard'), 'pytools', 'bin', 'python');

const PY_BENCH = String.raw`
import json, sys, time
from netmiko import ConnectHandler
cfg = json.loads(sys.argv[1])
t0 = time.perf_counter()
conn = ConnectHandler(device_type='cisco_ios', host=cfg['host'], port=cfg['port'], username=cfg['username'],
                      password=cfg['password'], secret=cfg['secret'])
conn.enable()
login = time.perf_counter() - t0
result = {'login_s': login}
for mode, auto in (('default', True), ('no_find_prompt', False)):
    lat = []
    start = time.perf_counter()
    for _ in range(cfg['count']):
        t = time.perf_counter()
        out = conn.send_command('show clock', auto_find_prompt=auto)
        lat.append((time.perf_counter() - t) * 1000)
        assert 'UTC' in out, out
    result[mode] = {'seconds': time.perf_counter() - start, 'latencies_ms': lat}
conn.disconnect()
print(json.dumps(result))
`;

function line(t: Throughput): string {
  return `${t.label.padEnd(70)} ${t.count} commands in ${t.seconds.toFixed(2)} s = ${t.perSecond.toFixed(0).padStart(5)} commands/s, p50 ${t.p50Ms.toFixed(2)} ms, p99 ${t.p99Ms.toFixed(2)} ms`;
}

async function compare(delayMs: number): Promise<void> {
  const emu = await startDeviceEmulator({ commandDelayMs: delayMs });
  const pool = new SessionPool();
  const spec = {
    driver: 'netmiko',
    connection: { host: emu.host, port: emu.port, username: emu.username, password: emu.password, secret: emu.enableSecret, deviceType: 'cisco_ios' },
  };
  const where = delayMs ? `emulator answering after ${delayMs} ms` : 'emulator answering at once';
  try {
    const loginStart = performance.now();
    await pool.withSession(spec, (s) => s.sendCommands(['show clock']));
    const loginMs = performance.now() - loginStart;
    // Warm-up (JIT, buffers) before timing.
    for (let i = 0; i < 20; i++) await pool.withSession(spec, (s) => s.sendCommands(['show clock']));

    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const r = await pool.withSession(spec, (s) => s.sendCommands(['show clock']));
      latencies.push(performance.now() - t0);
      if (!r.output['show clock']?.includes('UTC')) throw new Error(`unexpected output: ${JSON.stringify(r.output)}`);
    }
    const ours = summarize(`switchyard netmiko driver (${where})`, latencies, (performance.now() - started) / 1000);
    console.log(`login + session preparation + enable + first command: ${loginMs.toFixed(1)} ms (logins: ${pool.stats().logins})`);
    console.log(line(ours));

    if (!existsSync(PYTHON)) {
      console.log(`python netmiko: not run (${PYTHON} missing; bash scripts/stack/install.sh pytools)`);
      return;
    }
    const args = JSON.stringify({ host: emu.host, port: emu.port, username: emu.username, password: emu.password, secret: emu.enableSecret, count });
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', PY_BENCH, args], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
    const py = JSON.parse(stdout) as { login_s: number } & Record<'default' | 'no_find_prompt', { seconds: number; latencies_ms: number[] }>;
    const pyDefault = summarize(`python netmiko send_command (default; ${where})`, py.default.latencies_ms, py.default.seconds);
    const pyFast = summarize(`python netmiko auto_find_prompt=False (${where})`, py.no_find_prompt.latencies_ms, py.no_find_prompt.seconds);
    console.log(`python netmiko login + session preparation + enable: ${(py.login_s * 1000).toFixed(0)} ms`);
    console.log(line(pyDefault));
    console.log(line(pyFast));
    console.log(
      `ratio switchyard driver / python netmiko (${count} commands each, one session, ${where}): ${(ours.perSecond / pyDefault.perSecond).toFixed(2)}× netmiko's default, ${(ours.perSecond / pyFast.perSecond).toFixed(2)}× auto_find_prompt=False`,
    );
  } finally {
    await pool.closeAll();
    await emu.close();
  }
}

console.log(`ssh-netmiko: ${count} commands a side, load average ${await loadAverage()}`);
await compare(0);
await compare(deviceDelayMs);
console.log(`load average at the end ${await loadAverage()}`);
