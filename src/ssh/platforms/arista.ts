/** Arista EOS. Source: netmiko/arista/arista.py (AristaBase: Cisco-like, `terminal width 32767`, `terminal length 0`). */
import { ciscoShaped, type DeviceProfile } from './profile.js';

export const ARISTA_EOS: DeviceProfile = {
  names: ['arista_eos'],
  telnet: ['arista_eos'],
  source: 'netmiko/arista/arista.py (AristaBase)',
  sessionCommands: ['terminal width 32767', 'terminal length 0'],
  pagingCommands: ['terminal length 0'],
  ...ciscoShaped(),
  save: { command: 'write memory' },
};
