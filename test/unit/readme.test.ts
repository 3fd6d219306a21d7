import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const ciRun = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

describe('README stays true', () => {
  it('documents every configuration key', () => {
    const missing = ENV_KEYS.filter((k) => !readme.includes(`| \`${k.name}\` |`)).map((k) => k.name);
    expect(missing).toEqual([]);
  });

  it('shows the two commands, and CI runs the test one', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    expect(ciRun).toMatch(/^npm test$/m);
    expect(pkg.scripts.test).toBe('bash scripts/test.sh');
    expect(pkg.scripts.start).toBe('bash scripts/start.sh');
  });
});
