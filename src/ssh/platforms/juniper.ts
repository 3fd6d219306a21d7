/**
 * Juniper Junos. Source: netmiko/juniper/juniper.py (JuniperBase: `set cli screen-length 0`,
 * `set cli screen-width 511`, `configure`, `exit configuration-mode` answering the uncommitted-changes question,
 * `commit` as the save).
 */
import { esc, type DeviceProfile } from './profile.js';

export const JUNIPER_JUNOS: DeviceProfile = {
  names: ['juniper_junos', 'juniper'],
  telnet: ['juniper_junos'],
  source: 'netmiko/juniper/juniper.py (JuniperBase)',
  sessionCommands: ['set cli screen-length 0', 'set cli screen-width 511'],
  pagingCommands: ['set cli screen-length 0'],
  anyPrompt: /^[^\s#>%]{1,80}[>#%]\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/[>#%]\s*$/, ''),
  promptPattern: (base) => new RegExp(`^${esc(base)}[>#%]\\s*$`),
  isPrivileged: () => true,
  isConfigMode: (p) => /#\s*$/.test(p),
  configMode: {
    enter: 'configure',
    exit: 'exit configuration-mode',
    exitConfirm: /uncommitted changes\?[^\n]*$/i,
    exitResponse: 'yes',
  },
  save: { command: 'commit', inConfigMode: true },
  errorPattern: /^\s*(?:error:|syntax error|unknown command)[^\n]*/im,
};
