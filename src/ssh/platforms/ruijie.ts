/**
 * Ruijie RGOS. Source: netmiko/ruijie/ruijie_os.py (RuijieOSBase): Cisco-like prompts and modes, the
 * `Do you want to change the password` question at login answered with n, enable before the session commands
 * (RGOS sets the terminal width only in privileged mode), `terminal width 256`, `terminal length 0`, `write` saves.
 */
import { ciscoShaped, type DeviceProfile } from './profile.js';

export const RUIJIE_OS: DeviceProfile = {
  names: ['ruijie_os'],
  telnet: ['ruijie_os'],
  source: 'netmiko/ruijie/ruijie_os.py (RuijieOSBase)',
  prelude: [{ pattern: /Do you want to change the password[^\n]*$/i, answer: 'n\n' }],
  enableFirst: true,
  sessionCommands: ['terminal width 256', 'terminal length 0'],
  pagingCommands: ['terminal length 0'],
  ...ciscoShaped(),
  save: { command: 'write' },
};
