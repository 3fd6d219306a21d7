import type { DeviceBase, EmulatedPlatform } from '../platform.js';
import { ciscoAsa } from './cisco-asa.js';
import { ciscoIos } from './cisco-ios.js';
import { dellOs10 } from './dell-os10.js';
import { extremeExos } from './extreme.js';
import { fortinet } from './fortinet.js';
import { hpComware } from './hp-comware.js';
import { hpProcurve } from './hp-procurve.js';
import { linux } from './linux.js';
import { mikrotikRouteros } from './mikrotik.js';
import { paloaltoPanos } from './paloalto.js';
import { ruijieOs } from './ruijie.js';
import { zteZxros } from './zte.js';

/** Every platform the emulator plays, by netmiko device_type family. */
const PLATFORMS: Record<string, EmulatedPlatform<never>> = {
  cisco_ios: ciscoIos as EmulatedPlatform<never>,
  hp_comware: hpComware as EmulatedPlatform<never>,
  ruijie_os: ruijieOs as EmulatedPlatform<never>,
  zte_zxros: zteZxros as EmulatedPlatform<never>,
  hp_procurve: hpProcurve as EmulatedPlatform<never>,
  cisco_asa: ciscoAsa as EmulatedPlatform<never>,
  fortinet: fortinet as EmulatedPlatform<never>,
  paloalto_panos: paloaltoPanos as EmulatedPlatform<never>,
  dell_os10: dellOs10 as EmulatedPlatform<never>,
  mikrotik_routeros: mikrotikRouteros as EmulatedPlatform<never>,
  linux: linux as EmulatedPlatform<never>,
  extreme_exos: extremeExos as EmulatedPlatform<never>,
};

export const EMULATED_PLATFORMS: readonly string[] = Object.keys(PLATFORMS);

export function emulatedPlatform(name: string): EmulatedPlatform<DeviceBase> {
  const p = PLATFORMS[name];
  if (!p) throw new Error(`the device emulator does not play '${name}' (it plays ${EMULATED_PLATFORMS.join(', ')})`);
  return p as unknown as EmulatedPlatform<DeviceBase>;
}
