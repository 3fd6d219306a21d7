import { createHash, randomBytes } from 'node:crypto';
import { DEVICE_DRIVERS, deviceDriverOf, driverImplementation } from '../domain/drivers.js';
import { describeTarget } from './connection.js';
import type { DeviceConnection, DeviceSession, DriverName } from './connection.js';
import { SshConnectionError, UnsupportedDriverError } from './errors.js';
import { NetmikoDriver } from './netmiko-driver.js';
import type { NetmikoOptions } from './netmiko-driver.js';
import { ParamikoDriver } from './paramiko-driver.js';
import type { ParamikoOptions } from './paramiko-driver.js';

/**
 * Open SSH sessions kept between jobs, for the `pinned_<host>` queues: one session per
 * host + port + user + driver (+ device type, driver options and a salted hash of the credentials, so a job with
 * other credentials never borrows a session it could not have opened itself). Calls on one session run one at a
 * time in arrival order; different sessions run in parallel.
 */

export interface SessionSpec {
  /** `netmiko`, `paramiko` or its alias `ssh`. */
  driver: string;
  connection: DeviceConnection;
  /** driver_args: per-driver knobs (readTimeout, disablePaging, commandTimeout, ...). */
  options?: Partial<Omit<NetmikoOptions & ParamikoOptions, keyof DeviceConnection>>;
}

export interface PoolLogger {
  debug?(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
}

export interface SessionPoolOptions {
  /** Seconds an unused session stays open. Default 60. */
  idleTimeout?: number;
  /** Seconds between SSH keepalives on pooled sessions unless the connection says otherwise. Default 15. */
  keepaliveInterval?: number;
  /**
   * Seconds of idleness after which a netmiko session is checked (one RETURN, wait for the prompt) before it is
   * handed out; a session that fails the check is replaced before the job's first command is sent. Default 10.
   */
  probeAfterIdle?: number;
  logger?: PoolLogger;
}

export interface UseInfo {
  /** False when this call logged in (first use, or the previous session was broken). */
  reused: boolean;
}

export interface SessionPoolStats {
  /** Successful logins since the pool was created. */
  logins: number;
  /** Logins that replaced a broken or closed session. */
  reconnects: number;
  /** Calls served by an already open session. */
  reuses: number;
  /** Sessions open now. */
  open: number;
  sessions: Array<{
    key: string;
    driver: DriverName;
    target: string;
    uses: number;
    busy: boolean;
    /** False once the transport closed; the next call will log in again. */
    alive: boolean;
    idleSeconds: number;
  }>;
}

interface Entry {
  key: string;
  driver: DriverName;
  target: string;
  session: DeviceSession | null;
  tail: Promise<void>;
  pending: number;
  uses: number;
  logins: number;
  lastUsed: number;
  idleTimer: NodeJS.Timeout | null;
}

/** Maps a driver name of the API to the implementation; anything else is an `UnsupportedDriverError`. */
export function normalizeDriver(name: string): DriverName {
  const driver = deviceDriverOf(name);
  if (!driver) throw new UnsupportedDriverError(name, DEVICE_DRIVERS);
  return driverImplementation(driver);
}

/** One fresh session (the FIFO queue's way: connect, run, disconnect). */
export async function openDeviceSession(spec: SessionSpec): Promise<DeviceSession> {
  const driver = normalizeDriver(spec.driver);
  const opts = { ...(spec.options ?? {}), ...spec.connection };
  return driver === 'netmiko' ? NetmikoDriver.connect(opts) : ParamikoDriver.connect(opts);
}

export async function withFreshSession<T>(spec: SessionSpec, fn: (session: DeviceSession) => Promise<T>): Promise<T> {
  const session = await openDeviceSession(spec);
  try {
    return await fn(session);
  } finally {
    await session.disconnect();
  }
}

export class SessionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly salt = randomBytes(16);
  private readonly idleMs: number;
  private readonly probeAfterMs: number;
  private readonly keepalive: number;
  private readonly log: PoolLogger;
  private closed = false;
  private counters = { logins: 0, reconnects: 0, reuses: 0 };

  constructor(opts: SessionPoolOptions = {}) {
    this.idleMs = (opts.idleTimeout ?? 60) * 1000;
    this.probeAfterMs = (opts.probeAfterIdle ?? 10) * 1000;
    this.keepalive = opts.keepaliveInterval ?? 15;
    this.log = opts.logger ?? {};
  }

  /**
   * Runs `fn` with the session for `spec`, logging in first when there is none or it is broken. Calls for the same
   * key queue behind each other. If the pooled session turns out to be dead before `fn` sent anything, the pool
   * logs in once more and runs `fn` again; any other failure is the caller's.
   */
  async withSession<T>(spec: SessionSpec, fn: (session: DeviceSession, info: UseInfo) => Promise<T>): Promise<T> {
    if (this.closed) throw new SshConnectionError('session pool is closed', { host: spec.connection.host, notSent: true });
    const driver = normalizeDriver(spec.driver);
    const key = this.keyOf(driver, spec);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        key,
        driver,
        target: describeTarget(spec.connection),
        session: null,
        tail: Promise.resolve(),
        pending: 0,
        uses: 0,
        logins: 0,
        lastUsed: Date.now(),
        idleTimer: null,
      };
      this.entries.set(key, entry);
    }
    const e = entry;
    e.pending++;
    if (e.idleTimer) {
      clearTimeout(e.idleTimer);
      e.idleTimer = null;
    }
    const previous = e.tail;
    let release!: () => void;
    e.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      e.uses++;
      let reused = await this.ready(e, spec);
      try {
        return await fn(e.session as DeviceSession, { reused });
      } catch (err) {
        const session = e.session;
        if (reused && err instanceof SshConnectionError && err.notSent && session && !session.isAlive()) {
          this.log.info?.({ target: e.target, driver: e.driver }, 'pooled SSH session was dead; logging in again');
          await this.discard(e);
          reused = await this.ready(e, spec);
          return await fn(e.session as DeviceSession, { reused });
        }
        throw err;
      }
    } finally {
      e.lastUsed = Date.now();
      if (e.session && !e.session.isAlive()) await this.discard(e);
      e.pending--;
      release();
      this.scheduleIdle(e);
    }
  }

  /** Closes every session (waiting for calls in progress) and refuses new calls. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map(async (e) => {
        if (e.idleTimer) clearTimeout(e.idleTimer);
        await e.tail;
        await this.discard(e);
      }),
    );
  }

  stats(): SessionPoolStats {
    const now = Date.now();
    const sessions = [...this.entries.values()]
      .filter((e) => e.session !== null)
      .map((e) => ({
        key: e.key,
        driver: e.driver,
        target: e.target,
        uses: e.uses,
        busy: e.pending > 0,
        alive: e.session?.isAlive() ?? false,
        idleSeconds: e.pending > 0 ? 0 : Math.round((now - e.lastUsed) / 1000),
      }));
    return { ...this.counters, open: sessions.length, sessions };
  }

  /** Makes `e.session` usable; returns whether it was already open. */
  private async ready(e: Entry, spec: SessionSpec): Promise<boolean> {
    if (e.session && e.session.isAlive() && Date.now() - e.lastUsed >= this.probeAfterMs && e.session instanceof NetmikoDriver) {
      // A NAT or firewall may have dropped an idle session silently; one RETURN tells before a command is lost.
      const probeS = Math.min(5, Math.max(1, this.probeAfterMs / 1000));
      const ok = await e.session.findPrompt(probeS).then(
        () => true,
        () => false,
      );
      if (!ok) this.log.info?.({ target: e.target, driver: e.driver }, 'idle SSH session failed its probe');
    }
    if (e.session && e.session.isAlive()) {
      this.counters.reuses++;
      return true;
    }
    const replacing = e.logins > 0;
    await this.discard(e);
    const opts = { ...(spec.options ?? {}), ...spec.connection };
    opts.keepaliveInterval = spec.connection.keepaliveInterval ?? this.keepalive;
    e.session = e.driver === 'netmiko' ? await NetmikoDriver.connect(opts) : await ParamikoDriver.connect(opts);
    this.counters.logins++;
    e.logins++;
    if (replacing) this.counters.reconnects++;
    this.log.debug?.({ target: e.target, driver: e.driver, reconnect: replacing }, 'SSH login');
    return false;
  }

  private async discard(e: Entry): Promise<void> {
    const s = e.session;
    e.session = null;
    if (s) await s.disconnect().catch(() => undefined);
  }

  private scheduleIdle(e: Entry): void {
    if (e.pending > 0 || this.closed) return;
    if (e.idleTimer) clearTimeout(e.idleTimer);
    e.idleTimer = setTimeout(() => {
      e.idleTimer = null;
      if (e.pending > 0 || this.entries.get(e.key) !== e) return;
      this.entries.delete(e.key);
      this.log.debug?.({ target: e.target, driver: e.driver }, 'closing idle SSH session');
      const s = e.session;
      e.session = null;
      void s?.disconnect().catch(() => undefined);
    }, this.idleMs);
    e.idleTimer.unref?.();
  }

  private keyOf(driver: DriverName, spec: SessionSpec): string {
    const c = spec.connection;
    const key = typeof c.privateKey === 'string' ? c.privateKey : c.privateKey?.toString('base64');
    const digest = createHash('sha256')
      .update(this.salt)
      .update(JSON.stringify([c.password ?? null, key ?? null, c.passphrase ?? null, c.secret ?? null]))
      .update(JSON.stringify([c.deviceType ?? null, spec.options ?? null]))
      .digest('hex')
      .slice(0, 16);
    return `${driver}|${describeTarget(c)}|${digest}`;
  }
}
