/**
 * What a platform module gives the device emulator: its prompts, commands and outputs, written from the platform's
 * documented CLI behaviour. The terminal behaviour shared by all (echo, line endings, pager, hidden input) lives
 * in terminal.ts; the SSH and telnet servers in server.ts.
 */
import type { Algorithms } from 'ssh2';

export interface DeviceEmulatorOptions {
  /** netmiko device_type family to emulate (default `cisco_ios`); see `EMULATED_PLATFORMS`. */
  platform?: string;
  username?: string;
  password?: string;
  /** Enable secret (or sudo password on Linux); the platform's privilege command asks for it. */
  enableSecret?: string;
  hostname?: string;
  /** Printed once before the first prompt of a shell (a MOTD banner). */
  banner?: string;
  /** Terminal length of a new shell; 0 disables paging from the start. Default: the platform's. */
  pageLength?: number;
  /** Milliseconds before a command's answer; a function can slow down chosen commands only. */
  commandDelayMs?: number | ((command: string) => number);
  /** Log in at the privileged prompt (`Router#`), as a privilege-15 user does. */
  startPrivileged?: boolean;
  /** Restrict the transport algorithms, e.g. to what an old IOS offers (SHA-1 key exchange, CBC ciphers). */
  algorithms?: Algorithms;
  /** Loopback address to listen on (default 127.0.0.1); other 127.x addresses make distinct pinned hosts. */
  listenHost?: string;
  /** Also listen for telnet (plain TCP) on a port of its own. */
  telnet?: boolean;
}

/** Terminal services a shell may use. */
export interface ShellIO {
  /** Asks for a line without echo (a password); `then` returns the lines printed before the next prompt. */
  askHidden(prompt: string, then: (answer: string) => string[]): void;
  /** Asks a question answered by a line (echoed), e.g. `Destination filename [startup-config]?`. */
  ask(prompt: string, then: (answer: string) => string[]): void;
  /** Ends the session, as `exit` or `logout` does. */
  close(): void;
  /** Lines per page; 0: no paging. */
  pageLength: number;
  width: number;
  /** The login name (after `loginName`). */
  readonly username: string;
  readonly enableSecret: string;
  readonly password: string;
}

export interface Shell {
  prompt(): string;
  /** Runs one line (trimmed; `lead` is the indentation typed) and returns the lines to print before the next prompt. */
  run(line: string, lead: number): string[];
  /** Ctrl-Z or Ctrl-C; returns true when it changed mode (the terminal then prints `^Z` and the prompt). */
  interrupt?(): boolean;
}

/** What every emulated device keeps, whatever its platform. */
export interface DeviceBase {
  hostname: string;
  /** Configuration saves (`write memory`, `save`, `commit`, ...). */
  saves: number;
  /** The configuration as the device would show it. */
  runningConfig(): string;
}

export interface EmulatedPlatform<D extends DeviceBase = DeviceBase> {
  readonly name: string;
  /** SSH server identification (`SSH-2.0-…`). */
  readonly sshIdent: string;
  /** Pager marker (text, or made from the lines shown so far and the total) and what erases it once a key is pressed. */
  readonly pager: { marker: string | ((shown: number, total: number) => string); erase: string };
  readonly defaultPageLength: number;
  /** Accept keyboard-interactive authentication (PAN-OS logs in that way). */
  readonly keyboardInteractive?: boolean;
  /** The user name the device sees, from the one the client sent (MikroTik strips `+ct511w4098h` options). */
  loginName?(sent: string): string;
  readonly telnetPrompts: { username: string; password: string; refused: string };
  /** Text shown before the first prompt that waits for a key (ProCurve: `Press any key to continue`). */
  readonly gate?: string;
  /** Text shown right after login, before any gate (a copyright banner). */
  readonly greeting?: string;
  createDevice(opts: DeviceEmulatorOptions): D;
  openShell(device: D, io: ShellIO, opts: { privileged: boolean }): Shell;
}
