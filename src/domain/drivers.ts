/**
 * The device drivers: the names the device API accepts (NetPulse's) and the implementation each one names. The
 * one list the request parser, the SSH session pool and the error messages use.
 */

/** Driver names as the device API accepts them; `ssh` is NetPulse's alias of `paramiko`. */
export const DEVICE_DRIVERS = ['netmiko', 'paramiko', 'ssh'] as const;
export type DeviceDriver = (typeof DEVICE_DRIVERS)[number];

/** The implementations: network CLI with prompt handling (`netmiko`), a generic shell over SSH (`paramiko`). */
export type DriverName = 'netmiko' | 'paramiko';

const IMPLEMENTATION: Record<DeviceDriver, DriverName> = { netmiko: 'netmiko', paramiko: 'paramiko', ssh: 'paramiko' };

/** A driver name as a client wrote it (any case, spaces around), or null when it names no driver. */
export function deviceDriverOf(name: string): DeviceDriver | null {
  const n = name.trim().toLowerCase();
  return (DEVICE_DRIVERS as readonly string[]).includes(n) ? (n as DeviceDriver) : null;
}

/** The implementation behind a driver name. */
export function driverImplementation(driver: DeviceDriver): DriverName {
  return IMPLEMENTATION[driver];
}
