import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// scripts/stack/install.sh's own component() and report_progress, driven by a fake install step: the script is
// sourced, install_temporal is replaced by a step that waits for the test, and component() runs it as a real
// install would (its own log, lock, ticker and outcome line), in a throw-away cache and state directory.
// The fake moves on only when the test has seen the progress line it waits for, so the test is as fast as the
// ticker and fails (the fake gives up, the install FAILS) if progress lines stop being printed.
const INSTALL_SH = fileURLToPath(new URL('../../scripts/stack/install.sh', import.meta.url));

const FAKE_INSTALL = String.raw`
set -euo pipefail
source "$INSTALL_SH"
wait_for() { # wait_for FILE: until the test creates FILE (at most 20 s)
  local i
  for ((i = 0; i < 200; i++)); do [[ -e "$1" ]] && return 0; sleep 0.1; done
  echo "gave up waiting for $1"
  return 1
}
install_temporal() {
  step "fetching the fake"
  echo "fake: 40% done"
  wait_for "$GATES/fetched"
  step "compiling the fake"
  echo "fake: linking"
  wait_for "$GATES/compiled"
  if [[ -v FAKE_FAIL ]]; then echo "fake: broke"; return 3; fi
}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
component temporal 0 "$results"
`;

const ELAPSED = String.raw`(\d+\.\d)s`;

interface Run {
  lines: string[];
  code: number | null;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the fake install; `gates` maps a stdout line pattern to the gate file the test opens when it sees it. */
function runFakeInstall(gates: [RegExp, string][], extraEnv: Record<string, string> = {}): Promise<Run> {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-install-progress-'));
  dirs.push(root);
  const child = spawn('bash', ['-c', FAKE_INSTALL], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      INSTALL_SH,
      GATES: root,
      SWITCHYARD_CACHE: join(root, 'cache'),
      SWITCHYARD_STATE: join(root, 'state'),
      SWITCHYARD_PROGRESS_SECONDS: '2',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const pending = [...gates];
  const collect = (line: string) => {
    lines.push(line);
    const gate = pending[0];
    if (gate && gate[0].test(line)) {
      pending.shift();
      writeFileSync(join(root, gate[1]), '');
    }
  };
  createInterface({ input: child.stdout }).on('line', collect);
  createInterface({ input: child.stderr }).on('line', collect);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines, code }));
  });
}

const seconds = (line: string | undefined, pattern: RegExp): number => Number(pattern.exec(line ?? '')?.[1]);

describe('install.sh progress', () => {
  const stepShown = (step: string) => new RegExp(`^\\[stack\\] temporal: ${step} \\(${ELAPSED}\\)$`);
  const stillGoing = (step: string, logLine: string) => new RegExp(`^\\[stack\\] temporal: ${step}, ${ELAPSED} so far \\(log: ${logLine}\\)$`);

  it('prints the step under way, the time spent and the log’s last line, then the total', async () => {
    const run = await runFakeInstall([
      [stillGoing('fetching the fake', 'fake: 40% done'), 'fetched'],
      [stillGoing('compiling the fake', 'fake: linking'), 'compiled'],
    ]);
    expect(run.code, run.lines.join('\n')).toBe(0);
    const find = (pattern: RegExp) => run.lines.find((line) => pattern.test(line));
    expect(run.lines[0]).toMatch(/^\[stack\] temporal: installing \(log: .*\/state\/logs\/install-temporal\.log\)$/);
    const expected = [
      stepShown('fetching the fake'),
      stillGoing('fetching the fake', 'fake: 40% done'),
      stepShown('compiling the fake'),
      stillGoing('compiling the fake', 'fake: linking'),
      new RegExp(`^\\[stack\\] temporal: installed in ${ELAPSED}$`),
    ];
    const found = expected.map((pattern) => find(pattern));
    expect(found.every(Boolean), `missing progress lines in:\n${run.lines.join('\n')}`).toBe(true);
    // In order, with the time spent growing; the periodic line comes at least one interval after the start.
    const indexes = found.map((line) => run.lines.indexOf(line ?? ''));
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    const times = found.map((line, i) => seconds(line, expected[i] ?? /$^/));
    expect(times.every((t) => Number.isFinite(t))).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[1]).toBeGreaterThanOrEqual(2);
    // The step marks go to the log for the ticker; they are not echoed as log lines.
    expect(run.lines.some((line) => line.includes('>>> step:'))).toBe(false);
  }, 30_000);

  it('says how long a failed install ran and shows its log', async () => {
    const run = await runFakeInstall(
      [
        [stepShown('fetching the fake'), 'fetched'],
        [stepShown('compiling the fake'), 'compiled'],
      ],
      { FAKE_FAIL: '1' },
    );
    expect(run.code).toBe(3);
    expect(run.lines.join('\n')).toMatch(new RegExp(`\\[stack\\] ERROR: temporal: install FAILED after ${ELAPSED} \\(exit 3\\)`));
    expect(run.lines).toContain('  | fake: broke');
  }, 30_000);
});
