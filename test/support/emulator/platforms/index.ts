import type { DeviceBase, EmulatedPlatform } from '../platform.js';
import { ciscoIos } from './cisco-ios.js';

/** Every platform the emulator plays, by netmiko device_type family. */
const PLATFORMS: Record<string, EmulatedPlatform<never>> = {
  cisco_ios: ciscoIos as EmulatedPlatform<never>,
};

export const EMULATED_PLATFORMS: readonly string[] = Object.keys(PLATFORMS);

export function emulatedPlatform(name: string): EmulatedPlatform<DeviceBase> {
  const p = PLATFORMS[name];
  if (!p) throw new Error(`the device emulator does not play '${name}' (it plays ${EMULATED_PLATFORMS.join(', ')})`);
  return p as unknown as EmulatedPlatform<DeviceBase>;
}
