import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTimeoutError, SshAuthError, SshConnectionError } from '../../src/ssh/errors.js';
import { ParamikoDriver } from '../../src/ssh/paramiko-driver.js';
import type { ParamikoOptions } from '../../src/ssh/paramiko-driver.js';
import { SessionPool } from '../../src/ssh/session-pool.js';
import { startSshd } from '../support/sshd.js';
import type { SshdHandle } from '../support/sshd.js';

let sshd: SshdHandle;
let d: ParamikoDriver;
const drivers: ParamikoDriver[] = [];
const pools: SessionPool[] = [];
const servers: Server[] = [];

function opts(extra: Partial<ParamikoOptions> = {}): ParamikoOptions {
  return { host: sshd.host, port: sshd.port, username: sshd.username, password: sshd.password, timeout: 10, ...extra };
}

async function open(extra: Partial<ParamikoOptions> = {}): Promise<ParamikoDriver> {
  const x = await ParamikoDriver.connect(opts(extra));
  drivers.push(x);
  return x;
}

async function failureOf(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );
}

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

beforeAll(async () => {
  sshd = await startSshd();
  d = await open();
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.closeAll()));
  await Promise.all(drivers.map((x) => x.disconnect()));
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await sshd?.close();
});

describe('paramiko driver against OpenSSH', () => {
  it('runs commands in exec channels with output and exit status', async () => {
    const r = await d.sendCommands(['echo hello', 'id -un', "sh -c 'exit 3'"]);
    expect(r.output).toEqual({ 'echo hello': 'hello\n', 'id -un': `${sshd.username}\n`, "sh -c 'exit 3'": '' });
    expect(r.exitCodes).toEqual({ 'echo hello': 0, 'id -un': 0, "sh -c 'exit 3'": 3 });
  });

  it('keeps stderr apart and in the combined output', async () => {
    const r = await d.exec('echo to-err >&2; echo to-out; exit 7');
    expect(r.stdout).toBe('to-out\n');
    expect(r.stderr).toBe('to-err\n');
    expect(r.output).toContain('to-err\n');
    expect(r.output).toContain('to-out\n');
    expect(r.exitCode).toBe(7);
  });

  it('reports a command killed by a signal', async () => {
    const r = await d.exec('kill -TERM $$');
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
  });

  it('sends config lines through one shell, each with its own output and status', async () => {
    const r = await d.sendConfig(['cd /tmp', 'export GREETING=hi', 'echo "$GREETING from $(pwd)"', 'false', 'echo "previous=$?"', 'printf no-newline', 'echo err >&2']);
    expect(r.output).toEqual({
      'cd /tmp': '',
      'export GREETING=hi': '',
      'echo "$GREETING from $(pwd)"': 'hi from /tmp\n',
      false: '',
      'echo "previous=$?"': 'previous=1\n',
      'printf no-newline': 'no-newline',
      'echo err >&2': 'err\n',
    });
    expect(r.exitCodes).toMatchObject({ 'cd /tmp': 0, false: 1, 'echo "previous=$?"': 0 });
  });

  it('can run a shell without markers (one entry for the whole session)', async () => {
    const x = await open({ shellMarkers: false });
    const r = await x.sendConfig(['echo one', 'echo two']);
    expect(r.output).toEqual({ 'echo one\necho two': 'one\ntwo\n' });
    expect(r.exitCodes['echo one\necho two']).toBe(0);
  });

  it('logs in with a private key, plain and passphrase-protected', async () => {
    const plain = await open({ password: undefined, privateKey: sshd.privateKey });
    expect((await plain.exec('id -un')).output).toBe(`${sshd.username}\n`);
    const enc = await open({ password: undefined, privateKey: sshd.encryptedPrivateKey, passphrase: sshd.keyPassphrase });
    expect((await enc.exec('echo key-ok')).output).toBe('key-ok\n');
  });

  it('wrong password → SshAuthError without the password in it', async () => {
    const wrong = 'definitely-Wrong-Password-9';
    const err = await failureOf(ParamikoDriver.connect(opts({ password: wrong })));
    expect(err).toBeInstanceOf(SshAuthError);
    expect((err as SshAuthError).type).toBe('SshAuthError');
    expect((err as SshAuthError).retryable).toBe(false);
    expect(err.message).not.toContain(wrong);
    expect(err.message).toContain(`${sshd.username}@${sshd.host}:${sshd.port}`);
  });

  it('wrong key passphrase → SshAuthError without the passphrase in it', async () => {
    const wrong = 'wrong-Passphrase-8';
    const err = await failureOf(
      ParamikoDriver.connect(opts({ password: undefined, privateKey: sshd.encryptedPrivateKey, passphrase: wrong })),
    );
    expect(err).toBeInstanceOf(SshAuthError);
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('closed port → SshConnectionError (retryable)', async () => {
    const port = await closedPort();
    const err = await failureOf(ParamikoDriver.connect(opts({ port })));
    expect(err).toBeInstanceOf(SshConnectionError);
    expect((err as SshConnectionError).retryable).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain(sshd.password);
  });

  it('a server that never speaks SSH → SshConnectionError after the connect timeout', async () => {
    const held: Socket[] = [];
    const silent = createServer((sock) => held.push(sock));
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    const err = await failureOf(ParamikoDriver.connect(opts({ port, timeout: 1 })));
    for (const s of held) s.destroy();
    expect(err).toBeInstanceOf(SshConnectionError);
    expect(err.message).toMatch(/timed out/);
  });

  it('a command that outlives its timeout → CommandTimeoutError; the session stays usable', async () => {
    const err = await failureOf(d.exec('sleep 30', { timeout: 0.5 }));
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as CommandTimeoutError).command).toBe('sleep 30');
    expect((err as CommandTimeoutError).timeoutSeconds).toBe(0.5);
    expect((await d.exec('echo still-here')).output).toBe('still-here\n');

    const shellErr = await failureOf(d.sendConfig(['echo first', 'sleep 30', 'echo never'], { timeout: 0.5 }));
    expect(shellErr).toBeInstanceOf(CommandTimeoutError);
    expect((shellErr as CommandTimeoutError).command).toBe('sleep 30');
    expect(d.isAlive()).toBe(true);
  });

  it('pools the session between calls (driver name `ssh`)', async () => {
    const p = new SessionPool();
    pools.push(p);
    const spec = { driver: 'ssh', connection: opts() };
    for (let i = 0; i < 3; i++) {
      const r = await p.withSession(spec, (s) => s.sendCommands([`echo call-${i}`]));
      expect(r.output[`echo call-${i}`]).toBe(`call-${i}\n`);
    }
    expect(p.stats()).toMatchObject({ logins: 1, reuses: 2, open: 1 });
    expect(p.stats().sessions[0]?.driver).toBe('paramiko');
  });
});
