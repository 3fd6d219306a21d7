/**
 * A private OpenSSH server for the generic (`paramiko`) driver's tests: `/usr/sbin/sshd -D -e` on 127.0.0.1 and a
 * free port, with its own host key and config in a temporary directory, accepting one local test user by password
 * and by public key. The machine's own sshd (if any) is not touched.
 *
 * The test user `switchyard-test` is created on first use (`useradd`); its password is random, kept in
 * `$SWITCHYARD_CACHE/sshd/password` (mode 0600) and re-applied with `chpasswd` at every start, under a lock so
 * test files starting servers side by side agree on it.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ephemeralPort } from './ports.js';

const execFileP = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';
export const TEST_USER = 'switchyard-test';

export interface SshdHandle {
  host: string;
  /** Every address it listens on (`host` is the first). */
  hosts: string[];
  port: number;
  username: string;
  password: string;
  /** OpenSSH private key (ed25519, no passphrase) whose public half is authorised. */
  privateKey: string;
  /** A second authorised key, encrypted with `keyPassphrase`. */
  encryptedPrivateKey: string;
  keyPassphrase: string;
  /** sshd's stderr so far (useful when a test fails). */
  logs(): string;
  /** Stops sshd and its per-connection children, removes the temporary directory. */
  close(): Promise<void>;
}

function cacheDir(): string {
  return process.env.SWITCHYARD_CACHE ?? join(homedir(), '.cache', 'switchyard');
}

async function findSshKeygen(): Promise<string | null> {
  for (const p of ['/usr/bin/ssh-keygen', '/usr/local/bin/ssh-keygen']) if (existsSync(p)) return p;
  try {
    const { stdout } = await execFileP('sh', ['-c', 'command -v ssh-keygen']);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}


/**
 * A directory lock: `mkdir` is atomic; a lock older than a minute is a leftover of a killed run. A waiter waits
 * longer than that, so a leftover is always cleared rather than failing the waiter.
 */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'lock');
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 60_000) await rmdir(lock).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`startSshd: lock ${lock} held for 90 s; remove it if no test is running`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

async function ensureTestUser(): Promise<string> {
  const dir = join(cacheDir(), 'sshd');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return withLock(dir, async () => {
    const exists = await execFileP('id', ['-u', TEST_USER]).then(() => true, () => false);
    if (!exists) {
      await execFileP('useradd', ['--create-home', '--shell', '/bin/bash', '--comment', 'Switchyard SSH tests', TEST_USER]);
    }
    const file = join(dir, 'password');
    let password = await readFile(file, 'utf8').then((s) => s.trim(), () => '');
    if (!password) {
      password = randomBytes(18).toString('base64url');
      await writeFile(file, password + '\n', { mode: 0o600 });
    }
    await new Promise<void>((resolve, reject) => {
      const p = spawn('chpasswd', [], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed (${code}): ${err.trim()}`))));
      p.stdin.end(`${TEST_USER}:${password}\n`);
    });
    return password;
  });
}

async function keygen(bin: string, file: string, passphrase: string, comment: string): Promise<void> {
  await execFileP(bin, ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', file]);
}

/** `listenHosts`: loopback addresses sshd listens on (default 127.0.0.1), the same port on each (benches use several as distinct hosts). */
export async function startSshd(opts: { listenHosts?: string[] } = {}): Promise<SshdHandle> {
  const listenHosts = opts.listenHosts ?? ['127.0.0.1'];
  if (listenHosts.some((h) => !h.startsWith('127.'))) throw new Error('startSshd listens on loopback addresses only');
  const keygenBin = await findSshKeygen();
  if (!existsSync(SSHD_PATH) || !keygenBin) {
    throw new Error(
      `OpenSSH server not installed (${!existsSync(SSHD_PATH) ? SSHD_PATH : 'ssh-keygen'} missing): run \`bash scripts/stack/install.sh sshd\``,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error('startSshd needs root: it creates the local test user and runs sshd with password authentication');
  }
  // Debian's sshd refuses to start without its privilege-separation directory, which only the init script creates.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const password = await ensureTestUser();
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-sshd-'));
  // sshd reads AuthorizedKeysFile as the test user, so the directory must be traversable by it.
  await chmod(dir, 0o755);
  const keyPassphrase = randomBytes(12).toString('base64url');
  await Promise.all([
    keygen(keygenBin, join(dir, 'host_ed25519'), '', 'switchyard-test-host'),
    keygen(keygenBin, join(dir, 'id_ed25519'), '', TEST_USER),
    keygen(keygenBin, join(dir, 'id_ed25519_enc'), keyPassphrase, `${TEST_USER}-enc`),
  ]);
  const [pub1, pub2, privateKey, encryptedPrivateKey] = await Promise.all([
    readFile(join(dir, 'id_ed25519.pub'), 'utf8'),
    readFile(join(dir, 'id_ed25519_enc.pub'), 'utf8'),
    readFile(join(dir, 'id_ed25519'), 'utf8'),
    readFile(join(dir, 'id_ed25519_enc'), 'utf8'),
  ]);
  await writeFile(join(dir, 'authorized_keys'), pub1 + pub2, { mode: 0o644 });

  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await ephemeralPort();
    const configPath = join(dir, 'sshd_config');
    await writeFile(
      configPath,
      [
        `Port ${port}`,
        ...listenHosts.map((h) => `ListenAddress ${h}`),
        `HostKey ${join(dir, 'host_ed25519')}`,
        'PidFile none',
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        // PAM session modules (pam_loginuid, pam_systemd) fail in containers; sshd checks /etc/shadow itself.
        'UsePAM no',
        'PermitRootLogin no',
        `AllowUsers ${TEST_USER}`,
        'PrintMotd no',
        'PrintLastLog no',
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'MaxAuthTries 6',
        'MaxSessions 64',
        'MaxStartups 64:30:128',
        'LoginGraceTime 30',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let logs = '';
    child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
    const ready = await waitForListening(child, port, () => logs, listenHosts);
    if (!ready.ok) {
      lastError = ready.reason;
      child.kill('SIGKILL');
      if (/Address already in use|Bind to port/i.test(logs)) continue;
      break;
    }
    return {
      host: listenHosts[0]!,
      hosts: listenHosts,
      port,
      username: TEST_USER,
      password,
      privateKey,
      encryptedPrivateKey,
      keyPassphrase,
      logs: () => logs,
      close: async () => {
        await stopSshd(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start: ${lastError}`);
}

function waitForListening(
  child: ChildProcess,
  port: number,
  logs: () => string,
  hosts: string[],
): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const done = (r: { ok: true } | { ok: false; reason: string }): void => {
      clearTimeout(timer);
      clearInterval(poll);
      child.removeListener('exit', onExit);
      resolve(r);
    };
    const onExit = (code: number | null): void => done({ ok: false, reason: `sshd exited with ${code}: ${logs().trim()}` });
    child.once('exit', onExit);
    const poll = setInterval(() => {
      if (hosts.every((h) => logs().includes(`Server listening on ${h} port ${port}`))) done({ ok: true });
    }, 20);
    const timer = setTimeout(() => done({ ok: false, reason: `not listening after 10 s: ${logs().trim()}` }), 10_000);
  });
}

/** Per-connection sshd processes run in their own sessions (setsid), so they are found by parent pid. */
async function stopSshd(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const children = await execFileP('ps', ['-o', 'pid=', '--ppid', String(child.pid)]).then(
    ({ stdout }) => stdout.split(/\s+/).filter(Boolean).map(Number),
    () => [] as number[],
  );
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
