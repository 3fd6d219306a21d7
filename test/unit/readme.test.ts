import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, FILE_ENV_KEYS, loadConfig } from '../../src/config/index.js';
import { DEVICE_FAMILIES } from '../../src/ssh/platforms/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const ciRun = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

describe('README stays true', () => {
  it('documents every configuration key', () => {
    const missing = [...ENV_KEYS, ...FILE_ENV_KEYS].filter((k) => !readme.includes(`| \`${k.name}\` |`)).map((k) => k.name);
    expect(missing).toEqual([]);
  });

  it('shows for every key a default in the form the loader parses, and the loader\'s own help text', () => {
    const at = (tree: unknown, path: string): unknown => path.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown> | undefined)?.[p], tree);
    const defaults = loadConfig({ env: {} });
    const wrong: string[] = [];
    for (const key of ENV_KEYS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${key.name}\` |`))!;
      const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
      const defaultCell = cells[2]!;
      if (cells[3]!.replace(/\\\|/g, '|') !== key.help) wrong.push(`${key.name}: meaning differs from env-keys.ts`);
      // Placeholders for values that differ per machine or are secrets.
      if (/^`(—|a development value)`$|<tmpdir>|\$SWITCHYARD_CACHE/.test(defaultCell)) continue;
      const shown = /^`(.*)`$/.exec(defaultCell)?.[1];
      if (shown === undefined) {
        wrong.push(`${key.name}: default cell ${defaultCell} is not one value`);
        continue;
      }
      let parsed: unknown;
      try {
        parsed = at(loadConfig({ env: { [key.name]: shown!.replace(/\\\|/g, '|') } }), key.path);
      } catch (e) {
        wrong.push(`${key.name}: README default ${shown} is refused (${(e as Error).message})`);
        continue;
      }
      if (JSON.stringify(parsed) !== JSON.stringify(at(defaults, key.path))) wrong.push(`${key.name}: README default ${shown} parses to ${JSON.stringify(parsed)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('shows the two commands, and CI runs the test one', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    expect(ciRun).toMatch(/^npm test$/m);
    expect(pkg.scripts.test).toBe('bash scripts/test.sh');
    expect(pkg.scripts.start).toBe('bash scripts/start.sh');
  });

  it('lists every device type the netmiko driver serves, and its telnet variants', () => {
    const table = readme.slice(readme.indexOf('#### Device types of the `netmiko` driver'), readme.indexOf('#### Parsing without writing a template'));
    for (const family of DEVICE_FAMILIES) {
      const row = table.split('\n').find((l) => l.startsWith(`| \`${family.names[0]}\``));
      expect(row, family.names[0]).toBeDefined();
      for (const name of family.names) expect(row, name).toContain(`\`${name}\``);
      expect(row!.split('|')[2]!.trim(), `${family.names[0]} telnet column`).toBe(
        family.telnet.length === 0 ? 'no' : family.telnet.length === family.names.length ? 'yes' : family.telnet.map((n) => `\`${n}\``).join(', '),
      );
    }
  });
});
