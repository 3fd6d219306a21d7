/**
 * A network device on ssh2's Server (and telnet on request), for tests and benchmarks of the `netmiko` driver.
 * One emulator plays one platform (`platform`, default `cisco_ios`); each platform lives in
 * test/support/emulator/platforms/ and is written from that platform's documented CLI behaviour. The real Python
 * netmiko drives every platform in test/integration/netmiko-python*.test.ts; that is what makes them trustworthy.
 */
export { startDeviceEmulator, type DeviceEmulator } from './emulator/server.js';
export type { DeviceEmulatorOptions } from './emulator/platform.js';
export { EMULATED_PLATFORMS } from './emulator/platforms/index.js';
