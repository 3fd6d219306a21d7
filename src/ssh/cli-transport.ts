import type { Client, ClientChannel } from 'ssh2';
import type { CliChannel } from './channel-reader.js';
import { closeClient, connectSsh, describeTarget, type DeviceConnection } from './connection.js';
import { SshConnectionError } from './errors.js';
import type { DeviceProfile } from './platforms/profile.js';
import { TelnetChannel } from './telnet.js';

/**
 * The two ways the `netmiko` driver reaches a device's CLI: an SSH shell channel (ssh2), or a telnet connection
 * for `*_telnet` device types. Either gives the driver the same channel (bytes in, bytes out, close).
 */

const DEFAULT_TELNET_LOGIN = { username: /(?:user:|username|login|user name):?\s*$/i, password: /assword:?\s*$/i };
const TELNET_REFUSED = /% ?(?:Login invalid|Authentication failed|Access denied)|Login incorrect|authentication failed/i;

/** How the session reaches the device: an SSH client with its shell channel, or a telnet connection. */
export interface Transport {
  channel: CliChannel;
  close(): Promise<void>;
  onClose(listener: () => void): void;
}

export async function openSshTransport(opts: DeviceConnection, profile: DeviceProfile): Promise<Transport> {
  const username = opts.username + (profile.usernameSuffix ?? '');
  const client: Client = await connectSsh({ ...opts, username });
  try {
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      // Same terminal as netmiko asks for: wide enough that IOS never wraps a command line.
      client.shell({ term: 'vt100', cols: 511, rows: 1000 }, (err, ch) => {
        if (err) reject(new SshConnectionError(`cannot open a shell on ${describeTarget(opts)}: ${err.message}`, { host: opts.host }));
        else resolve(ch);
      });
    });
    return { channel, close: () => closeClient(client), onClose: (l) => void client.on('close', l) };
  } catch (err) {
    await closeClient(client);
    throw err;
  }
}

export async function openTelnetTransport(opts: DeviceConnection, profile: DeviceProfile, timeoutS: number): Promise<Transport> {
  const login = profile.telnetLogin ?? DEFAULT_TELNET_LOGIN;
  const channel = await TelnetChannel.connect({
    host: opts.host,
    port: opts.port ?? 23,
    username: opts.username,
    ...(opts.password === undefined ? {} : { password: opts.password }),
    timeoutS: Math.max(1, timeoutS),
    prompt: profile.anyPrompt,
    usernamePrompt: login.username,
    passwordPrompt: login.password,
    refused: TELNET_REFUSED,
  });
  return { channel, close: () => channel.close(), onClose: (l) => void channel.on('close', l) };
}

