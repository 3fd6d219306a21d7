/**
 * `driver_args`: the per-driver knobs a `/device/exec` request may carry. NetPulse passes them to netmiko's
 * send_command / send_config_set (or to paramiko); here every key is either honoured, accepted as a tuning knob
 * that has nothing to tune in this driver (said so below), or refused with a 400 that names it. No key is ignored
 * silently. Pure code.
 */
import { MAX_CALL_TIMEOUT_SECONDS } from '../domain/bounds.js';
import type { DriverName } from '../domain/drivers.js';

export type DriverArgMode = 'command' | 'config';

type Kind = 'boolean' | 'number' | 'string' | 'object';

interface ArgSpec {
  kind: Kind;
  /** Which job kinds take it. */
  modes: readonly DriverArgMode[];
  /** Why a key NetPulse knows is refused here (the request gets this in its 400). */
  refused?: string;
  /** Accepted, but nothing in this driver depends on it (the reason, for the docs). */
  inert?: string;
}

const BOTH: readonly DriverArgMode[] = ['command', 'config'];
const COMMAND: readonly DriverArgMode[] = ['command'];
const CONFIG: readonly DriverArgMode[] = ['config'];

const USER_REGEX = 'a pattern from the request would run on the worker; not supported';

/** netmiko's send_command / send_config_set arguments (NetPulse's NetmikoSendCommandArgs and NetmikoSendConfigSetArgs). */
export const NETMIKO_DRIVER_ARGS: Readonly<Record<string, ArgSpec>> = {
  read_timeout: { kind: 'number', modes: BOTH },
  cmd_verify: { kind: 'boolean', modes: BOTH },
  strip_prompt: { kind: 'boolean', modes: COMMAND },
  strip_command: { kind: 'boolean', modes: COMMAND },
  use_textfsm: { kind: 'boolean', modes: COMMAND },
  raise_parsing_error: { kind: 'boolean', modes: COMMAND, inert: 'parsing failures always fail the job here' },
  exit_config_mode: { kind: 'boolean', modes: CONFIG },
  enter_config_mode: { kind: 'boolean', modes: CONFIG },
  delay_factor: { kind: 'number', modes: BOTH, inert: "netmiko's sleep multiplier; reads here wait for events, not for time" },
  max_loops: { kind: 'number', modes: BOTH, inert: "netmiko's polling limit; reads here wait for events, not for time" },
  auto_find_prompt: { kind: 'boolean', modes: COMMAND, inert: 'the driver always knows the current prompt' },
  normalize: { kind: 'boolean', modes: COMMAND, inert: 'commands are always sent with one line ending' },
  // Switchyard's own session knobs.
  disable_paging: { kind: 'boolean', modes: BOTH },
  auto_enable: { kind: 'boolean', modes: BOTH },
  // Known to NetPulse, not offered here.
  expect_string: { kind: 'string', modes: COMMAND, refused: USER_REGEX },
  error_pattern: { kind: 'string', modes: CONFIG, refused: `${USER_REGEX}; each device type has its own error pattern` },
  terminator: { kind: 'string', modes: CONFIG, refused: USER_REGEX },
  bypass_commands: { kind: 'string', modes: CONFIG, refused: USER_REGEX },
  config_mode_command: { kind: 'string', modes: CONFIG, refused: 'the device type decides how configuration mode is entered' },
  textfsm_template: { kind: 'string', modes: COMMAND, refused: 'a template file path on the worker; give the template text in parsing.template' },
  use_ttp: { kind: 'boolean', modes: COMMAND, refused: 'TTP parsing is not available; use parsing (textfsm or regex)' },
  ttp_template: { kind: 'string', modes: COMMAND, refused: 'TTP parsing is not available; use parsing (textfsm or regex)' },
  use_genie: { kind: 'boolean', modes: COMMAND, refused: 'Genie parsing is not available; use parsing (textfsm or regex)' },
};

/** paramiko's exec_command arguments (NetPulse's ParamikoSendCommandArgs and ParamikoSendConfigArgs). */
export const PARAMIKO_DRIVER_ARGS: Readonly<Record<string, ArgSpec>> = {
  timeout: { kind: 'number', modes: BOTH },
  get_pty: { kind: 'boolean', modes: BOTH },
  bufsize: { kind: 'number', modes: BOTH, inert: 'output is read as it arrives, whatever the buffer size' },
  // Switchyard's own names.
  command_timeout: { kind: 'number', modes: BOTH },
  pty: { kind: 'boolean', modes: BOTH },
  shell_markers: { kind: 'boolean', modes: CONFIG },
  environment: { kind: 'object', modes: BOTH, refused: 'remote environment variables are not supported' },
  file_transfer: { kind: 'object', modes: COMMAND, refused: 'file transfer is not supported' },
  sudo: { kind: 'boolean', modes: CONFIG, refused: 'sudo is not supported by the generic driver; use netmiko with device_type linux' },
  sudo_password: { kind: 'string', modes: CONFIG, refused: 'sudo is not supported by the generic driver; use netmiko with device_type linux' },
};

export class DriverArgsError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'DriverArgsError';
  }
}

function specsOf(driver: DriverName): Readonly<Record<string, ArgSpec>> {
  return driver === 'netmiko' ? NETMIKO_DRIVER_ARGS : PARAMIKO_DRIVER_ARGS;
}

/** Checks every key and value; throws `DriverArgsError` naming the first key that is unknown, refused or mistyped. */
export function validateDriverArgs(driver: DriverName, mode: DriverArgMode, args: Record<string, unknown>): Record<string, unknown> {
  const specs = specsOf(driver);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const spec = specs[key];
    if (!spec) {
      const known = Object.entries(specs)
        .filter(([, s]) => !s.refused && s.modes.includes(mode))
        .map(([k]) => k);
      throw new DriverArgsError(`unknown driver_args key '${key}' for the ${driver} driver; supported for ${mode} jobs: ${known.join(', ')}`, key);
    }
    if (spec.refused) throw new DriverArgsError(`driver_args.${key} is not supported: ${spec.refused}`, key);
    if (!spec.modes.includes(mode)) throw new DriverArgsError(`driver_args.${key} applies to ${spec.modes.join(' and ')} jobs, not ${mode} jobs`, key);
    if (value === null || value === undefined) continue;
    // Numbers are seconds or small counts: bounded so none becomes a timer Node cannot hold (2^31-1 ms).
    const ok =
      spec.kind === 'object'
        ? typeof value === 'object' && !Array.isArray(value)
        : spec.kind === 'number'
          ? typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_CALL_TIMEOUT_SECONDS
          : typeof value === spec.kind;
    if (!ok) throw new DriverArgsError(`driver_args.${key} must be ${spec.kind === 'number' ? `a positive number up to ${MAX_CALL_TIMEOUT_SECONDS}` : `a ${spec.kind}`}`, key);
    out[key] = value;
  }
  return out;
}

/** Session options of the drivers (they open the session; the pool keys sessions by them). */
export interface SessionOptions {
  readTimeout?: number;
  cmdVerify?: boolean;
  disablePaging?: boolean;
  autoEnable?: boolean;
  commandTimeout?: number;
  pty?: boolean;
  shellMarkers?: boolean;
}

/** Options of each call on the session. */
export interface CallOptions {
  stripPrompt?: boolean;
  stripCommand?: boolean;
  exitConfigMode?: boolean;
  enterConfigMode?: boolean;
}

/** Splits validated driver_args into session options, call options and the `use_textfsm` switch. */
export function driverOptions(driver: DriverName, args: Record<string, unknown>): { session: SessionOptions; call: CallOptions; useTextfsm: boolean } {
  const session: SessionOptions = {};
  const call: CallOptions = {};
  const bool = (k: string): boolean | undefined => (typeof args[k] === 'boolean' ? (args[k] as boolean) : undefined);
  const num = (k: string): number | undefined => (typeof args[k] === 'number' ? (args[k] as number) : undefined);
  const set = <T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  if (driver === 'netmiko') {
    set(session, 'readTimeout', num('read_timeout'));
    set(session, 'cmdVerify', bool('cmd_verify'));
    set(session, 'disablePaging', bool('disable_paging'));
    set(session, 'autoEnable', bool('auto_enable'));
    set(call, 'stripPrompt', bool('strip_prompt'));
    set(call, 'stripCommand', bool('strip_command'));
    set(call, 'exitConfigMode', bool('exit_config_mode'));
    set(call, 'enterConfigMode', bool('enter_config_mode'));
  } else {
    set(session, 'commandTimeout', num('command_timeout') ?? num('timeout'));
    set(session, 'pty', bool('pty') ?? bool('get_pty'));
    set(session, 'shellMarkers', bool('shell_markers'));
  }
  return { session, call, useTextfsm: driver === 'netmiko' && args.use_textfsm === true };
}
