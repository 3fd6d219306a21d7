/**
 * Linux. Source: netmiko/linux/linux_ssh.py (LinuxSSH): the prompt ends in `$` (or `#` as root), nothing to turn
 * off, and privileged and configuration mode are both `sudo -s` (the `secret` answers sudo's password question),
 * left with `exit`; nothing to save. The prompt follows the working directory, so it is matched by `user@host:`.
 */
import { esc, type DeviceProfile } from './profile.js';

/** `user@host:` of a `user@host:dir$` prompt, or the prompt without its terminator. */
function promptStem(base: string): string {
  const m = /^([^\s@]+@[^\s:]+:)/.exec(base);
  return m ? (m[1] as string) : base;
}

export const LINUX: DeviceProfile = {
  names: ['linux'],
  telnet: [],
  source: 'netmiko/linux/linux_ssh.py (LinuxSSH)',
  sessionCommands: [],
  pagingCommands: [],
  anyPrompt: /^[^\n]{0,200}?[$#]\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/[$#]$/, ''),
  promptPattern(base) {
    const stem = promptStem(base);
    // root's prompt names root: any user at the same host.
    const anyUser = stem.includes('@') ? `[^\\s@]+${esc(stem.slice(stem.indexOf('@')))}` : esc(stem);
    return new RegExp(`^${anyUser}[^\\n]*[$#]\\s*$`);
  },
  isPrivileged: (p) => /#\s*$/.test(p),
  isConfigMode: (p) => /#\s*$/.test(p),
  autoEnable: false,
  configMode: { enter: 'sudo -s', exit: 'exit', passwordPrompt: /(?:^|\n)[^\n]*ssword[^\n]*:\s*$/i },
  errorPattern: /^\s*(?:-?(?:ba|z|da)?sh: [^\n]*(?:command not found|No such file or directory|Permission denied)[^\n]*|[^\s:]+: [^\n]*(?:command not found|Permission denied)[^\n]*)/im,
};
