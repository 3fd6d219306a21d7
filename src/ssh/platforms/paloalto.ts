/**
 * Palo Alto PAN-OS. Source: netmiko/paloalto/paloalto_panos.py (PaloAltoPanosBase): `user@host>` in operational
 * mode, `user@host#` after `configure` with an `[edit]` line above it, no enable, `set cli scripting-mode on`,
 * `set cli terminal width 500`, `set cli pager off`, then `show system info` to let a slow box catch up; `exit`
 * leaves configuration mode and `commit` (inside it) saves, succeeding only when the device says
 * `Configuration committed successfully`. netmiko strips the `[edit]` context lines from output.
 */
import { esc, type DeviceProfile } from './profile.js';

export const PALOALTO_PANOS: DeviceProfile = {
  names: ['paloalto_panos'],
  telnet: ['paloalto_panos'],
  source: 'netmiko/paloalto/paloalto_panos.py (PaloAltoPanosBase)',
  sessionCommands: ['set cli scripting-mode on', 'set cli terminal width 500', 'set cli pager off', 'show system info'],
  pagingCommands: ['set cli pager off'],
  anyPrompt: /^[^\s>#]{1,80}@[^\s>#]{1,80}(?:\([^)\n]{1,40}\))?[>#]\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/(?:\([^)]*\))?[>#]\s*$/, ''),
  promptPattern: (base) => new RegExp(`^${esc(base)}(?:\\([^)\\n]*\\))?[>#]\\s*$`),
  isPrivileged: () => true,
  isConfigMode: (p) => /#\s*$/.test(p),
  configMode: { enter: 'configure', exit: 'exit' },
  save: { command: 'commit', inConfigMode: true, success: /configuration committed successfully/i },
  errorPattern: /^\s*(?:Invalid syntax\.?|Unknown command:[^\n]*|Server error\s*:[^\n]*|Validation Error:[^\n]*|Commit failed[^\n]*)/im,
  pager: /lines \d+-\d+\s*$/,
  stripOutput: (text) => text.split('\n').filter((l) => !/^\[edit.*\]\s*$/.test(l)).join('\n'),
};
