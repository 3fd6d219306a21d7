import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { cleanEnv } from '../../activities/shell.js';
import { executionPaths } from '../../src/scheduler/host.js';
import { mintSchedulerToken, verifySchedulerToken } from '../../src/api/scheduler/auth.js';
import { ApiError } from '../../src/api/errors.js';

const SECRET = 'unit-test-secret-of-enough-length';
const key = new TextEncoder().encode(SECRET);

async function reason(header: string | undefined): Promise<string> {
  try {
    await verifySchedulerToken(header, key);
    return 'accepted';
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(401);
    return (e as ApiError).fields[0]!.message;
  }
}

describe('scheduler JWT', () => {
  it('accepts a minted token and reads sub and role', async () => {
    const t = await mintSchedulerToken(SECRET, 'alice', 'admin');
    expect(await verifySchedulerToken(`Bearer ${t}`, key)).toEqual({ sub: 'alice', role: 'admin' });
    const u = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bob').sign(key);
    expect(await verifySchedulerToken(`bearer ${u}`, key)).toEqual({ sub: 'bob', role: 'user' });
  });

  it('refuses missing, malformed, forged, expired, sub-less and odd-role tokens', async () => {
    expect(await reason(undefined)).toBe('Authorization header missing');
    expect(await reason('Token abc')).toContain('Bearer');
    expect(await reason(`Bearer ${await mintSchedulerToken('another-secret-of-enough-length', 'alice')}`)).toBe('token invalid');
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('a').setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(key);
    expect(await reason(`Bearer ${expired}`)).toBe('token expired');
    expect(await reason(`Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(key)}`)).toContain('sub');
    expect(await reason(`Bearer ${await new SignJWT({ role: 'root' }).setProtectedHeader({ alg: 'HS256' }).setSubject('a').sign(key)}`)).toContain('role');
  });
});

describe('command environment and paths', () => {
  it('builds the environment from nothing: no variable of the service leaks in', () => {
    const env = cleanEnv('exec-1', '/w/exec-1', { FOO: 'bar' });
    expect(Object.keys(env).sort()).toEqual(['FOO', 'HOME', 'LANG', 'PATH', 'SWITCHYARD_EXECUTION_ID', 'SWITCHYARD_WORKSPACE', 'TZ']);
    expect(env.HOME).toBe('/w/exec-1');
    expect(cleanEnv('exec-1', '/w', { SWITCHYARD_EXECUTION_ID: 'forged' }).SWITCHYARD_EXECUTION_ID).toBe('exec-1');
  });

  it('keeps logs outside the removable workspace', () => {
    expect(executionPaths('/root', 'exec-1')).toEqual({
      workspace: '/root/exec-1',
      logDir: '/root/.logs/exec-1',
      output: '/root/.logs/exec-1/output.log',
      error: '/root/.logs/exec-1/error.log',
    });
  });
});
