/**
 * Huawei VRP: `<host>` in user view, `[host]` and `[host-GigabitEthernet0/0/1]` in system view. Source:
 * netmiko/huawei/huawei.py (HuaweiBase: `screen-length 0 temporary`, `system-view`/`return`, `save` with a `[Y/N]`
 * confirmation, `quit`).
 */
import { esc, type DeviceProfile } from './profile.js';

/** VRP's prompt shapes, which H3C/HPE Comware shares. */
export const VRP_PROMPTS: Pick<DeviceProfile, 'anyPrompt' | 'basePrompt' | 'promptPattern' | 'isPrivileged' | 'isConfigMode'> = {
  anyPrompt: /^(?:<[^\s<>]{1,80}>|\[[~*]?[^\s[\]]{1,120}\])\s*$/,
  basePrompt(prompt) {
    const p = prompt.trim().replace(/^RBM_./, '');
    const inner = p.replace(/^[<[][~*]?/, '').replace(/[>\]]\s*$/, '');
    // In system view the prompt is `[host-interface]`; `<host>` (user view) has the hostname alone.
    return p.startsWith('[') ? inner.replace(/-.*$/, '') : inner;
  },
  promptPattern(base) {
    return new RegExp(`^(?:RBM_.)?[<\\[][~*]?${esc(base)}[^\\]>\\n]*[>\\]]\\s*$`);
  },
  isPrivileged: () => true,
  isConfigMode: (p) => /\]\s*$/.test(p),
};

export const HUAWEI: DeviceProfile = {
  names: ['huawei', 'huawei_vrp', 'huawei_vrpv8'],
  telnet: ['huawei'],
  source: 'netmiko/huawei/huawei.py (HuaweiBase)',
  sessionCommands: ['screen-length 0 temporary'],
  pagingCommands: ['screen-length 0 temporary'],
  ...VRP_PROMPTS,
  configMode: { enter: 'system-view', exit: 'return' },
  save: { command: 'save', confirm: /\[Y\/N\]:?\s*$/i, response: 'y' },
  errorPattern: /^\s*Error:[^\n]*/im,
  exit: { command: 'quit' },
};
