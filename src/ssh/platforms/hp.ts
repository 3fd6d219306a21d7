/**
 * HPE: Comware (H3C) and ProCurve/Aruba-OS switches.
 *
 * Comware, source netmiko/hp/hp_comware.py (HPComwareBase): VRP-like prompts (`<host>`, `[host]`), the
 * `Press Y or ENTER to continue` banner answered with RETURN, `screen-length disable`, no command-echo check (Comware
 * cannot widen its terminal, so a long command may wrap), `system-view`/`return` as configuration mode (netmiko's
 * enable() is system-view too: user view already shows everything), `save force`, `quit`.
 *
 * ProCurve, source netmiko/hp/hp_procurve.py (HPProcurveBase): VT100 escape codes everywhere, `Press any key to
 * continue` before the prompt, enable first (paging can only be turned off when privileged) and enable asks for a
 * user name and then the password, `terminal width 511` and `no page`, `write memory`, and `logout` answering
 * `Do you want to log out` with y and `Do you want to save the current configuration` with n.
 */
import { VRP_PROMPTS } from './huawei.js';
import { ciscoPrompts, type DeviceProfile } from './profile.js';

export const HP_COMWARE: DeviceProfile = {
  names: ['hp_comware'],
  telnet: ['hp_comware'],
  source: 'netmiko/hp/hp_comware.py (HPComwareBase)',
  cmdVerify: false,
  prelude: [{ pattern: /Press Y or ENTER to continue, N to exit\.?\s*$/i, answer: '\n' }],
  sessionCommands: ['screen-length disable'],
  pagingCommands: ['screen-length disable'],
  ...VRP_PROMPTS,
  configMode: { enter: 'system-view', exit: 'return' },
  save: { command: 'save force' },
  errorPattern: /^\s*%\s*(?:Unrecognized|Incomplete|Too many parameters|Ambiguous|Wrong parameter|Unknown)[^\n]*/im,
  exit: { command: 'quit' },
};

export const HP_PROCURVE: DeviceProfile = {
  names: ['hp_procurve', 'aruba_procurve'],
  telnet: ['hp_procurve', 'aruba_procurve'],
  source: 'netmiko/hp/hp_procurve.py (HPProcurveBase)',
  prelude: [{ pattern: /any key to continue/i, answer: '\n' }],
  enableFirst: true,
  sessionCommands: ['terminal width 511', 'no page'],
  pagingCommands: ['no page'],
  ...ciscoPrompts(),
  enable: { command: 'enable', usernamePrompt: /(?:username|login|user name):?\s*$/i, passwordPrompt: /password:?\s*$/i },
  configMode: { enter: 'configure terminal', exit: 'end' },
  save: { command: 'write memory' },
  errorPattern: /^\s*(?:Invalid input:[^\n]*|Incomplete input:[^\n]*|Ambiguous input:[^\n]*|Value [^\n]* is out of range[^\n]*)/im,
  pager: /-- MORE --, next page: Space, next line: Enter, quit: Control-C\s*$/,
  exit: {
    command: 'logout',
    confirms: [
      { pattern: /Do you want to log out[^\n]*$/i, answer: 'y' },
      { pattern: /Do you want to save the current[^\n]*$/i, answer: 'n' },
    ],
  },
  telnetLogin: { username: /(?:Login Name:|sername:)\s*$/i, password: /assword:?\s*$/i },
};
