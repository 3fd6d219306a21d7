/**
 * ZTE ZXROS. Source: netmiko/zte/zte_zxros.py (ZteZxrosBase): Cisco-like prompts and modes, only
 * `terminal length 0` at login, `write` saves; ZXROS prefixes its error codes (`%Error 20200: …`).
 */
import { ciscoShaped, type DeviceProfile } from './profile.js';

export const ZTE_ZXROS: DeviceProfile = {
  names: ['zte_zxros'],
  telnet: ['zte_zxros'],
  source: 'netmiko/zte/zte_zxros.py (ZteZxrosBase)',
  sessionCommands: ['terminal length 0'],
  pagingCommands: ['terminal length 0'],
  ...ciscoShaped({ errorPattern: /^\s*%\s?(?:Error|Invalid|Incomplete|Ambiguous|Unknown)[^\n]*/im }),
  save: { command: 'write' },
};
