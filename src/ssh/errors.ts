/**
 * Errors of the SSH layer. Each class sets `name` and `type` to the same string so a Temporal retry policy can
 * list the non-retryable ones in `nonRetryableErrorTypes` and a job record can carry `type` as its error type.
 *
 * Messages never carry secrets: whoever builds one from device output passes it through `redactSecrets` first.
 */

export abstract class SshError extends Error {
  abstract readonly type: string;
  /** Whether running the same job again may succeed without anyone changing anything. */
  abstract readonly retryable: boolean;
  readonly host: string | undefined;

  constructor(message: string, options: { host?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.host = options.host;
  }
}

/** TCP connect, handshake, keepalive or readiness failure before a usable session exists; also a session the device dropped. */
export class SshConnectionError extends SshError {
  readonly type = 'SshConnectionError';
  readonly retryable = true;
  /**
   * True when the failure was noticed before anything of the current call reached the device (the session was
   * already closed, or a channel could not be opened), so running the call again on a new session is safe.
   */
  readonly notSent: boolean;
  constructor(message: string, options: { host?: string; cause?: unknown; notSent?: boolean } = {}) {
    super(message, options);
    this.name = 'SshConnectionError';
    this.notSent = options.notSent ?? false;
  }
}

/** The device refused the credentials (login or enable secret); retrying with the same ones cannot help and may lock the account. */
export class SshAuthError extends SshError {
  readonly type = 'SshAuthError';
  readonly retryable = false;
  constructor(message: string, options: { host?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SshAuthError';
  }
}

/**
 * A command did not finish (no prompt, no exit status) within its read timeout. Not retryable by default: the
 * command may have taken effect on the device, and running a configuration twice is not always harmless.
 */
export class CommandTimeoutError extends SshError {
  readonly type = 'CommandTimeoutError';
  readonly retryable = false;
  readonly command: string;
  readonly timeoutSeconds: number;
  constructor(message: string, options: { host?: string; command: string; timeoutSeconds: number; cause?: unknown }) {
    super(message, options);
    this.name = 'CommandTimeoutError';
    this.command = options.command;
    this.timeoutSeconds = options.timeoutSeconds;
  }
}

/** The CLI never showed something that looks like a prompt, so output cannot be delimited (wrong device_type, odd banner). */
export class PromptNotFoundError extends SshError {
  readonly type = 'PromptNotFoundError';
  readonly retryable = false;
  constructor(message: string, options: { host?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'PromptNotFoundError';
  }
}

/** The device answered a command with an error (`% Invalid input detected`, `Error: Unrecognized command`, ...). */
export class DeviceCommandError extends SshError {
  readonly type = 'DeviceCommandError';
  readonly retryable = false;
  readonly command: string;
  /** The device's own error line(s), already redacted. */
  readonly deviceMessage: string;
  /** Output collected up to and including the failing command, already redacted. */
  readonly output: string;
  constructor(message: string, options: { host?: string; command: string; deviceMessage: string; output?: string }) {
    super(message, options);
    this.name = 'DeviceCommandError';
    this.command = options.command;
    this.deviceMessage = options.deviceMessage;
    this.output = options.output ?? '';
  }
}

/** A driver name the service does not implement; the API answers 400 with `supportedDrivers`. */
export class UnsupportedDriverError extends SshError {
  readonly type = 'UnsupportedDriverError';
  readonly retryable = false;
  readonly supportedDrivers: readonly string[];
  constructor(driver: string, supportedDrivers: readonly string[]) {
    super(`unsupported driver '${driver}'; supported: ${supportedDrivers.join(', ')}`);
    this.name = 'UnsupportedDriverError';
    this.supportedDrivers = supportedDrivers;
  }
}

/** A netmiko device_type the driver does not serve (the API refuses it first; this guards direct callers). */
export class UnsupportedDeviceTypeError extends SshError {
  readonly type = 'UnsupportedDeviceTypeError';
  readonly retryable = false;
  readonly supportedDeviceTypes: readonly string[];
  constructor(message: string, supportedDeviceTypes: readonly string[], options: { host?: string } = {}) {
    super(message, options);
    this.name = 'UnsupportedDeviceTypeError';
    this.supportedDeviceTypes = supportedDeviceTypes;
  }
}

/** The device type has no such operation (`save` on a platform that applies changes at once). */
export class UnsupportedOperationError extends SshError {
  readonly type = 'UnsupportedOperationError';
  readonly retryable = false;
  constructor(message: string, options: { host?: string } = {}) {
    super(message, options);
    this.name = 'UnsupportedOperationError';
  }
}

/** Every `type` above, for `nonRetryableErrorTypes` and for tests. */
export const SSH_ERROR_TYPES = [
  'SshConnectionError',
  'SshAuthError',
  'CommandTimeoutError',
  'PromptNotFoundError',
  'DeviceCommandError',
  'UnsupportedDriverError',
  'UnsupportedDeviceTypeError',
  'UnsupportedOperationError',
] as const;

export const NON_RETRYABLE_SSH_ERROR_TYPES = [
  'SshAuthError',
  'CommandTimeoutError',
  'PromptNotFoundError',
  'DeviceCommandError',
  'UnsupportedDriverError',
  'UnsupportedDeviceTypeError',
  'UnsupportedOperationError',
] as const;

/**
 * Replaces every occurrence of the given secrets in `text`. Secrets shorter than 3 characters are skipped:
 * masking every "a" in an output would destroy it while protecting nothing.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | Buffer | undefined | null>): string {
  let out = text;
  for (const s of secrets) {
    if (s === undefined || s === null) continue;
    const value = typeof s === 'string' ? s : s.toString('utf8');
    if (value.length < 3) continue;
    out = out.split(value).join('***');
  }
  return out;
}
