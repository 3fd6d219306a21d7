import { getCiphers, getHashes } from 'node:crypto';
import { Client } from 'ssh2';
import type { Algorithms, ConnectConfig } from 'ssh2';
import { SshAuthError, SshConnectionError, redactSecrets } from './errors.js';
import type { DriverName } from '../domain/drivers.js';

export interface SshConnectOptions {
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  password?: string;
  /** OpenSSH/PEM private key text (not a path). */
  privateKey?: string | Buffer;
  passphrase?: string;
  /** Seconds for TCP connect + handshake + authentication together. Default 10. */
  timeout?: number;
  /** Seconds between SSH keepalive requests once connected; 0 disables. Default 30. */
  keepaliveInterval?: number;
  /** Unanswered keepalives before the connection is declared dead. Default 3. */
  keepaliveCountMax?: number;
  /**
   * Also offer the SHA-1 key exchanges, CBC ciphers and hmac-sha1 that older network operating systems still
   * require (paramiko, hence netmiko, offers them too). They are appended, so a modern server never picks them.
   * Default true.
   */
  legacyAlgorithms?: boolean;
  /** Host key check; the default accepts any key, as netmiko's AutoAddPolicy does for fleets without known_hosts. */
  hostVerifier?: (key: Buffer) => boolean;
}

/** A snake_case `connection_args` object as NetPulse clients send it (netmiko's ConnectHandler names). */
export interface ConnectionArgs {
  host: string;
  port?: number;
  username: string;
  password?: string;
  private_key?: string;
  pkey?: string;
  passphrase?: string;
  secret?: string;
  device_type?: string;
  timeout?: number;
  conn_timeout?: number;
  keepalive?: number;
}

/** The same, camelCased and narrowed to what the drivers use. */
export interface DeviceConnection extends SshConnectOptions {
  deviceType?: string;
  /** Enable secret (netmiko `secret`). */
  secret?: string;
}

export function fromConnectionArgs(args: ConnectionArgs): DeviceConnection {
  const conn: DeviceConnection = { host: args.host, username: args.username };
  if (args.port !== undefined) conn.port = args.port;
  if (args.password !== undefined) conn.password = args.password;
  const key = args.private_key ?? args.pkey;
  if (key !== undefined) conn.privateKey = key;
  if (args.passphrase !== undefined) conn.passphrase = args.passphrase;
  if (args.secret !== undefined) conn.secret = args.secret;
  if (args.device_type !== undefined) conn.deviceType = args.device_type;
  const timeout = args.conn_timeout ?? args.timeout;
  if (timeout !== undefined) conn.timeout = timeout;
  if (args.keepalive !== undefined) conn.keepaliveInterval = args.keepalive;
  return conn;
}

/** Every credential-like value of a connection, for `redactSecrets`. */
export function secretsOf(conn: SshConnectOptions & { secret?: string }): Array<string | Buffer | undefined> {
  return [conn.password, conn.passphrase, conn.secret, conn.privateKey];
}

export function describeTarget(conn: Pick<SshConnectOptions, 'host' | 'port' | 'username'>): string {
  return `${conn.username}@${conn.host}:${conn.port ?? 22}`;
}

/**
 * ssh2 throws on an algorithm the local OpenSSL lacks (3DES and MD5 are gone from some builds), so only those
 * this Node can run are offered.
 */
const LEGACY_ALGORITHMS: Algorithms = (() => {
  const ciphers = new Set(getCiphers());
  const hashes = new Set(getHashes());
  const cipher = (
    [
      ['aes128-cbc', 'aes-128-cbc'],
      ['aes192-cbc', 'aes-192-cbc'],
      ['aes256-cbc', 'aes-256-cbc'],
      ['3des-cbc', 'des-ede3-cbc'],
    ] as const
  )
    .filter(([, ssl]) => ciphers.has(ssl))
    .map(([name]) => name);
  const hmac = (
    [
      ['hmac-sha1-96', 'sha1'],
      ['hmac-md5', 'md5'],
    ] as const
  )
    .filter(([, h]) => hashes.has(h))
    .map(([name]) => name);
  // @types/ssh2 wants all three of append/prepend/remove; ssh2 itself treats an empty list as no change.
  return {
    kex: {
      append: ['diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'],
      prepend: [],
      remove: [],
    },
    cipher: { append: cipher, prepend: [], remove: [] },
    hmac: { append: hmac, prepend: [], remove: [] },
  };
})();

/** Clients whose transport is gone, so closing them need not wait for a `close` that already happened. */
const closedClients = new WeakSet<Client>();

const DEFAULT_TIMEOUT_S = 10;
const DEFAULT_KEEPALIVE_S = 30;

/**
 * Opens an authenticated ssh2 `Client`. Failures map to `SshAuthError` (credentials refused, key unreadable) or
 * `SshConnectionError` (everything else, retryable). The returned client keeps an `error` listener so a late
 * transport error (keepalive timeout, reset) surfaces as `close` instead of crashing the process.
 */
export function connectSsh(opts: SshConnectOptions): Promise<Client> {
  const port = opts.port ?? 22;
  const timeoutMs = Math.max(1, opts.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const target = describeTarget({ ...opts, port });
  const secrets = secretsOf(opts);
  const client = new Client();

  const config: ConnectConfig = {
    host: opts.host,
    port,
    username: opts.username,
    readyTimeout: timeoutMs,
    keepaliveInterval: Math.max(0, opts.keepaliveInterval ?? DEFAULT_KEEPALIVE_S) * 1000,
    keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    hostVerifier: opts.hostVerifier ?? (() => true),
  };
  if (opts.password !== undefined) config.password = opts.password;
  if (opts.privateKey !== undefined) config.privateKey = opts.privateKey;
  if (opts.passphrase !== undefined) config.passphrase = opts.passphrase;
  // Some devices only offer keyboard-interactive with a single password prompt.
  if (opts.password !== undefined) config.tryKeyboard = true;
  if (opts.legacyAlgorithms ?? true) config.algorithms = LEGACY_ALGORITHMS;

  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeListener('ready', onReady);
      client.end();
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(new SshConnectionError(`SSH connection to ${target} timed out after ${timeoutMs / 1000}s`, { host: opts.host }));
    }, timeoutMs);
    timer.unref?.();

    const onReady = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // CLI traffic is small writes waiting for small answers; Nagle + delayed ACK would add ~40 ms to each.
      client.setNoDelay(true);
      resolve(client);
    };
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      finish(prompts.map(() => opts.password ?? ''));
    });
    client.once('ready', onReady);
    client.once('close', () => closedClients.add(client));
    // Stays registered for the client's life: after `ready`, transport errors surface as `close` to the drivers.
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      fail(mapConnectError(err, target, opts.host, secrets));
    });
    client.once('close', () => {
      fail(new SshConnectionError(`SSH connection to ${target} closed before the session was ready`, { host: opts.host }));
    });

    try {
      client.connect(config);
    } catch (err) {
      // ssh2 throws synchronously for an unparsable key, a wrong passphrase or a bad option.
      const msg = redactSecrets(err instanceof Error ? err.message : String(err), secrets);
      fail(
        /key|passphrase|decrypt/i.test(msg)
          ? new SshAuthError(`SSH credentials for ${target} unusable: ${msg}`, { host: opts.host })
          : new SshConnectionError(`SSH connection to ${target} not attempted: ${msg}`, { host: opts.host }),
      );
    }
  });
}

function mapConnectError(
  err: Error & { level?: string; code?: string },
  target: string,
  host: string,
  secrets: Array<string | Buffer | undefined>,
): Error {
  const reason = redactSecrets(err.message, secrets);
  if (err.level === 'client-authentication') {
    return new SshAuthError(`SSH authentication failed for ${target}: ${reason}`, { host });
  }
  if (err.level === 'client-timeout') {
    return new SshConnectionError(`SSH connection to ${target} timed out: ${reason}`, { host });
  }
  const code = err.code ? ` (${err.code})` : '';
  return new SshConnectionError(`SSH connection to ${target} failed${code}: ${reason}`, { host });
}

/** Closes a client and resolves once its socket is gone (or after `graceMs`, whichever comes first). */
export function closeClient(client: Client, graceMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    if (closedClients.has(client)) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, graceMs);
    timer.unref?.();
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}

export type { DriverName };

export interface DriverResult {
  /** command (or config line) → its output, like NetPulse's `retval` dict. */
  output: Record<string, string>;
  /** command (or config line) → exit status; only a generic shell has them (null: killed by a signal or unknown). */
  exitCodes?: Record<string, number | null>;
}

export interface CommandCallOptions {
  /** Seconds to wait for one command (netmiko: its prompt; paramiko: its exit status). */
  timeout?: number;
  /** netmiko: drop the trailing prompt / the command echo from the output (default true). */
  stripPrompt?: boolean;
  stripCommand?: boolean;
}

export interface ConfigCallOptions extends CommandCallOptions {
  /** Save the configuration afterwards (`write memory` and the like); ignored by the generic shell. */
  save?: boolean;
  /** netmiko: leave configuration mode at the end (default true) / enter it first (default true). */
  exitConfigMode?: boolean;
  enterConfigMode?: boolean;
}

/** What both drivers offer, so a job runner needs no driver-specific code for the common cases. */
export interface DeviceSession {
  readonly driver: DriverName;
  /** `user@host:port`, safe to log. */
  readonly target: string;
  /** The device's platform as the ntc-templates index names it (netmiko: the device_type's family). */
  readonly platform?: string;
  /** False once the transport closed or the session is in an unknown state (e.g. after a command timeout). */
  isAlive(): boolean;
  sendCommands(commands: readonly string[], opts?: CommandCallOptions): Promise<DriverResult>;
  sendConfig(lines: readonly string[], opts?: ConfigCallOptions): Promise<DriverResult>;
  disconnect(): Promise<void>;
}
