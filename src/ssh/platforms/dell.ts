/**
 * Dell EMC Networking OS10. Source: netmiko/dell/dell_os10_ssh.py (DellOS10SSH): Cisco-like prompts
 * (`OS10#`, `OS10(config)#`, `OS10(conf-if-eth1/1/1)#`), only `terminal length 0` at login (netmiko sends no
 * width command), `copy running-configuration startup-configuration` saves.
 */
import { ciscoShaped, type DeviceProfile } from './profile.js';

export const DELL_OS10: DeviceProfile = {
  names: ['dell_os10'],
  telnet: [],
  source: 'netmiko/dell/dell_os10_ssh.py (DellOS10SSH)',
  sessionCommands: ['terminal length 0'],
  pagingCommands: ['terminal length 0'],
  ...ciscoShaped({ errorPattern: /^\s*%\s?(?:Error|Invalid|Incomplete|Ambiguous|Unknown)[^\n]*/im }),
  save: { command: 'copy running-configuration startup-configuration' },
};
