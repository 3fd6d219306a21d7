/**
 * Extreme Networks EXOS. Source: netmiko/extreme/extreme_exos.py (ExtremeExosBase): the prompt counts commands
 * (`X440G2.3 # `) and gains a `* ` prefix while the configuration is unsaved, so the base prompt drops both; no
 * configuration mode (configuration is `configure …`/`create …` commands), `disable clipaging` and
 * `disable cli prompting` at login, `save configuration primary` saves.
 */
import { esc, type DeviceProfile } from './profile.js';

export const EXTREME_EXOS: DeviceProfile = {
  names: ['extreme_exos', 'extreme'],
  telnet: ['extreme_exos', 'extreme'],
  source: 'netmiko/extreme/extreme_exos.py (ExtremeExosBase)',
  sessionCommands: ['disable clipaging', 'disable cli prompting'],
  pagingCommands: ['disable clipaging'],
  anyPrompt: /^(?:\* )?[^\s#>]{1,80}\.\d+ [#>]\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/^[*\s]*/, '').replace(/\.\d+ [#>]$/, ''),
  promptPattern: (base) => new RegExp(`^(?:\\* )?${esc(base)}\\.\\d+ [#>]\\s*$`),
  isPrivileged: () => true,
  isConfigMode: () => false,
  save: { command: 'save configuration primary', confirm: /\(y\/N\)\s*$/i, response: 'y' },
  errorPattern: /^\s*(?:%%? ?(?:Invalid|Incomplete|Ambiguous)[^\n]*|Error:[^\n]*)/im,
  pager: /Press <SPACE> to continue or <Q> to quit:\s*$/,
};
