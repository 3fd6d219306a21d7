/** Arista EOS. Source: netmiko/arista/arista.py (AristaBase: Cisco-like, `terminal width 32767`, `terminal length 0`). */
import { CISCO_ERRORS, CISCO_PASSWORD_PROMPT, ciscoPrompts, type DeviceProfile } from './profile.js';

export const ARISTA_EOS: DeviceProfile = {
  names: ['arista_eos'],
  telnet: ['arista_eos'],
  source: 'netmiko/arista/arista.py (AristaBase)',
  sessionCommands: ['terminal width 32767', 'terminal length 0'],
  pagingCommands: ['terminal length 0'],
  ...ciscoPrompts(),
  enable: { command: 'enable', passwordPrompt: CISCO_PASSWORD_PROMPT },
  configMode: { enter: 'configure terminal', exit: 'end' },
  save: { command: 'write memory' },
  errorPattern: CISCO_ERRORS,
};
