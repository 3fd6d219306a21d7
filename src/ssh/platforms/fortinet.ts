/**
 * Fortinet FortiOS. Source: netmiko/fortinet/fortinet_ssh.py (FortinetSSH): prompts end in `#` or `$`
 * (`FGT # `, `FGT (interface) # `), a post-login banner may want `a` to accept, no enable and no configuration mode
 * (configuration is `config …`/`edit`/`set`/`next`/`end` typed at the prompt, and FortiOS saves on `end`: nothing to
 * save). Paging is a global console setting: at login netmiko reads whether VDOMs are on
 * (`get system status | grep Virtual`), the version (`… | grep Version`) and the console output mode
 * (`get system console` on v7, `show full-configuration system console` on v6); if the mode is `more` it sets
 * `standard` (inside `config global` with VDOMs) and puts `more` back at logout. A rejected line inside a `config`
 * block is followed by `abort`, so a pooled session goes back to the top level (netmiko leaves that to the caller).
 */
import { esc, type DeviceProfile, type ProfileSession } from './profile.js';

async function consoleOutputMode(s: ProfileSession, vdoms: boolean, v7: boolean): Promise<string | null> {
  if (vdoms) await s.sendCommand('config global');
  const out = v7 ? await s.sendCommand('get system console') : await s.sendCommand('show full-configuration system console');
  if (vdoms) await s.sendCommand('end');
  const m = v7 ? /output\s+:\s+(\S+)\s*$/m.exec(out) : /^\s+set output (\S+)\s*$/m.exec(out);
  return m?.[1] ?? null;
}

async function setOutputMode(s: ProfileSession, mode: 'standard' | 'more'): Promise<void> {
  const vdoms = s.notes.get('vdoms') === true;
  if (vdoms) await s.sendCommand('config global');
  for (const c of ['config system console', `set output ${mode}`, 'end']) await s.sendCommand(c);
  if (vdoms) await s.sendCommand('end');
}

export const FORTINET: DeviceProfile = {
  names: ['fortinet'],
  telnet: [],
  source: 'netmiko/fortinet/fortinet_ssh.py (FortinetSSH)',
  prelude: [{ pattern: /to accept[^\n]*$/i, answer: 'a\r' }],
  sessionCommands: [],
  pagingCommands: [],
  anyPrompt: /^[^\s#$]{1,80}(?: \([^)\n]{1,60}\))? [#$]\s*$/,
  basePrompt: (prompt) => prompt.trim().replace(/\s*[#$]$/, '').replace(/ \([^)]*\)$/, ''),
  promptPattern: (base) => new RegExp(`^${esc(base)}(?: \\([^)\\n]*\\))? [#$]\\s*$`),
  isPrivileged: () => true,
  isConfigMode: () => false,
  errorPattern: /^\s*(?:Unknown action \d+|command parse error[^\n]*|Command fail\.[^\n]*|entry not found in datasource[^\n]*|value parse error[^\n]*|node_check_object fail![^\n]*)/im,
  async prepare(s) {
    const vdoms = /Virtual domain configuration: (?:multiple|enable|split-task)/.test(await s.sendCommand('get system status | grep Virtual'));
    s.notes.set('vdoms', vdoms);
    const version = await s.sendCommand('get system status | grep Version');
    const v7 = /^Version\s*:\s+.*v[78]\./m.test(version);
    if (!v7 && !/^Version\s*:\s+.*v[654]\./m.test(version)) throw new Error(`unexpected FortiOS version in ${JSON.stringify(version)}`);
    const mode = await consoleOutputMode(s, vdoms, v7);
    s.notes.set('outputMode', mode);
    if (mode === 'more' && s.disablePaging) {
      await setOutputMode(s, 'standard');
      s.notes.set('restoreMore', true);
    }
  },
  async leaveAfterError(s) {
    // `FGT (port1) # `: still inside a config block; `abort` leaves it without applying what was typed.
    for (let i = 0; i < 3 && /\([^)]*\) [#$]\s*$/.test(s.currentPrompt); i++) await s.sendCommand('abort');
  },
  async cleanup(s) {
    if (s.notes.get('restoreMore') === true) await setOutputMode(s, 'more');
  },
};
