/**
 * MikroTik RouterOS. Source: netmiko/mikrotik/mikrotik_ssh.py (MikrotikBase): the user name carries terminal
 * options (`admin+ct511w4098h`: no colours, no terminal detection, 511 columns, 4098 lines, so nothing pages), the
 * prompt is `[user@identity] > `, lines end in CR LF, no enable, no configuration mode (configuration is commands
 * such as `/ip address add …`, applied at once: nothing to save), `quit` logs out. netmiko strips surrounding
 * whitespace from the output, and the license and default-configuration questions at login are answered.
 */
import { esc, type DeviceProfile } from './profile.js';

export const MIKROTIK_ROUTEROS: DeviceProfile = {
  names: ['mikrotik_routeros'],
  telnet: [],
  source: 'netmiko/mikrotik/mikrotik_ssh.py (MikrotikBase, MikrotikRouterOsSSH)',
  newline: '\r\n',
  usernameSuffix: '+ct511w4098h',
  prelude: [
    { pattern: /Please press "Enter" to continue!\s*$/i, answer: '\r\n' },
    { pattern: /Do you want to see the software license[^\n]*$/i, answer: 'n' },
    { pattern: /remove this default configuration type "r"[^\n]*$/i, answer: '\r\n' },
  ],
  sessionCommands: [],
  pagingCommands: [],
  anyPrompt: /^\[[^\]\n]{1,120}\] ?(?:\/[^>\n]*)?>\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/\s*>$/, ''),
  promptPattern: (base) => new RegExp(`^${esc(base)}[^>\\n]*>\\s*$`),
  isPrivileged: () => true,
  isConfigMode: () => false,
  errorPattern: /^\s*(?:bad command name[^\n]*|expected [^\n]*\(line \d+ column \d+\)|syntax error[^\n]*|failure:[^\n]*|input does not match[^\n]*|no such item[^\n]*|invalid value[^\n]*)/im,
  exit: { command: 'quit' },
  stripOutput: (text) => text.trim(),
};
