/**
 * Every device_type the `netmiko` driver serves, by family. A name is served only when a family lists it: there is
 * no fallback, so a request for anything else is refused with the list below. `<name>_ssh` is an alias netmiko
 * accepts for every name; `<name>_telnet` exists where netmiko has a telnet driver for the family; `autodetect`
 * runs SSHDetect's probes (src/ssh/autodetect.ts). Pure code: the API validates requests with it.
 */
import { ARISTA_EOS } from './arista.js';
import { CISCO_ASA, CISCO_IOS, CISCO_NXOS, CISCO_XR } from './cisco.js';
import { DELL_OS10 } from './dell.js';
import { EXTREME_EXOS } from './extreme.js';
import { FORTINET } from './fortinet.js';
import { GENERIC } from './generic.js';
import { HP_COMWARE, HP_PROCURVE } from './hp.js';
import { HUAWEI } from './huawei.js';
import { JUNIPER_JUNOS } from './juniper.js';
import { LINUX } from './linux.js';
import { MIKROTIK_ROUTEROS } from './mikrotik.js';
import { PALOALTO_PANOS } from './paloalto.js';
import type { DeviceProfile } from './profile.js';
import { RUIJIE_OS } from './ruijie.js';
import { ZTE_ZXROS } from './zte.js';

export type { DeviceProfile } from './profile.js';

export const DEVICE_FAMILIES: readonly DeviceProfile[] = [
  CISCO_IOS,
  CISCO_NXOS,
  CISCO_XR,
  CISCO_ASA,
  ARISTA_EOS,
  JUNIPER_JUNOS,
  HUAWEI,
  HP_COMWARE,
  HP_PROCURVE,
  RUIJIE_OS,
  ZTE_ZXROS,
  DELL_OS10,
  FORTINET,
  PALOALTO_PANOS,
  MIKROTIK_ROUTEROS,
  EXTREME_EXOS,
  LINUX,
  GENERIC,
];

export const AUTODETECT = 'autodetect';

export interface ResolvedDeviceType {
  /** The name as given, lower-cased. */
  deviceType: string;
  /** The family's own name for it, without `_ssh`/`_telnet` (what the ntc-templates index calls the platform). */
  platform: string;
  profile: DeviceProfile;
  transport: 'ssh' | 'telnet';
}

/** The family and transport of a device_type, or null when it is not served (`autodetect` is not a family). */
export function resolveDeviceType(name: string): ResolvedDeviceType | null {
  const deviceType = name.trim().toLowerCase();
  let base = deviceType;
  let transport: 'ssh' | 'telnet' = 'ssh';
  if (base.endsWith('_telnet')) {
    base = base.slice(0, -'_telnet'.length);
    transport = 'telnet';
  } else if (base.endsWith('_ssh')) base = base.slice(0, -'_ssh'.length);
  for (const profile of DEVICE_FAMILIES) {
    if (!profile.names.includes(base)) continue;
    if (transport === 'telnet' && !profile.telnet.includes(base)) return null;
    return { deviceType, platform: base, profile, transport };
  }
  return null;
}

/** Every accepted device_type, family by family (the `_ssh` aliases are accepted too but not listed). */
export const SUPPORTED_DEVICE_TYPES: readonly string[] = [
  ...DEVICE_FAMILIES.flatMap((p) => [...p.names, ...p.telnet.map((n) => `${n}_telnet`)]),
  AUTODETECT,
];

export function isSupportedDeviceType(name: string): boolean {
  return name.trim().toLowerCase() === AUTODETECT || resolveDeviceType(name) !== null;
}
