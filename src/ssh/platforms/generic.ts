/**
 * Anything with a prompt ending in >, #, $, % or ]: no paging command, no enable, no configuration mode of its
 * own; every known pager marker is answered. Served only when the request names it (and by autodetect while it probes). Source: netmiko/generic/ (GenericSSH) and
 * netmiko/terminal_server/terminal_server.py (TerminalServerSSH), which prepare nothing either.
 */
import { ANY_PAGER } from '../terminal-text.js';
import { esc, type DeviceProfile } from './profile.js';

export const GENERIC: DeviceProfile = {
  names: ['generic', 'generic_termserver'],
  telnet: ['generic', 'generic_termserver'],
  source: 'netmiko/generic (GenericSSH), netmiko/terminal_server/terminal_server.py (TerminalServerSSH)',
  sessionCommands: [],
  pagingCommands: [],
  anyPrompt: /^[^\n]{0,120}?[>#$%\]]\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/[>#$%\]]\s*$/, ''),
  promptPattern: (base) => new RegExp(`^${esc(base)}[^\\n]*[>#$%\\]]\\s*$`),
  isPrivileged: () => true,
  isConfigMode: () => false,
  errorPattern: /^\s*%\s?(?:Invalid|Incomplete|Unknown|Error)[^\n]*|^\s*Error:[^\n]*/im,
  // Any pager marker a known family shows: the family is not known (this is also what autodetect reads with).
  pager: ANY_PAGER,
};
