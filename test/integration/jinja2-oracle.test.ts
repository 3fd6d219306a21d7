import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RENDER_LIMITS, RenderPool } from '../../src/rendering/index.js';
import { pytoolsAvailable, pytoolsPython, runPythonJson } from '../support/pytools.js';

// The legitimate-template corpus (test/fixtures/jinja2/legit/: network configuration templates, each with its
// context) rendered by the sandbox, through the render thread the API uses, must equal byte for byte what Python
// Jinja2's SandboxedEnvironment renders from the same template and context.

const CORPUS = fileURLToPath(new URL('../fixtures/jinja2/legit/', import.meta.url));
const ORACLE = fileURLToPath(new URL('../support/jinja2_oracle.py', import.meta.url));

interface Case {
  name: string;
  template: string;
  context: Record<string, unknown>;
}
type OracleAnswer = { ok: true; text: string } | { ok: false; error: string };

const cases: Case[] = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.j2'))
  .sort()
  .map((f) => {
    const name = f.slice(0, -3);
    return { name, template: readFileSync(`${CORPUS}${f}`, 'utf8'), context: JSON.parse(readFileSync(`${CORPUS}${name}.json`, 'utf8')) as Record<string, unknown> };
  });

const pool = new RenderPool(DEFAULT_RENDER_LIMITS);
afterAll(() => pool.close());

describe('Jinja2 sandbox against Python Jinja2 (SandboxedEnvironment)', () => {
  it('renders every template of the corpus byte for byte as Python does', async () => {
    if (!pytoolsAvailable()) throw new Error(`${pytoolsPython} is missing: scripts/stack/install.sh pytools creates it (with Jinja2)`);
    expect(cases.length).toBeGreaterThanOrEqual(50);
    const oracle = await runPythonJson<OracleAnswer[]>(ORACLE, cases.map(({ template, context }) => ({ template, context })), { timeoutMs: 60_000 });
    const mismatches: string[] = [];
    for (const [i, c] of cases.entries()) {
      const want = oracle[i]!;
      // Every template of the corpus is a working one: Python renders it.
      expect(want, c.name).toMatchObject({ ok: true });
      let got: string;
      try {
        got = await pool.render(c.template, c.context);
      } catch (e) {
        got = `<${(e as Error).name}: ${(e as Error).message}>`;
      }
      if (want.ok && got !== want.text) mismatches.push(`${c.name}\n  python: ${JSON.stringify(want.text)}\n  sandbox: ${JSON.stringify(got)}`);
    }
    expect(mismatches.join('\n')).toBe('');
  });

  it('refuses what Python refuses as a syntax error, naming the problem', async () => {
    const broken = ['{% for x in %}{% endfor %}', '{% if a %}unclosed', '{{ a | }}', '{% endfor %}'];
    const oracle = await runPythonJson<OracleAnswer[]>(ORACLE, broken.map((template) => ({ template, context: {} })), { timeoutMs: 60_000 });
    for (const [i, template] of broken.entries()) {
      expect(oracle[i], template).toMatchObject({ ok: false });
      await expect(pool.render(template, {}), template).rejects.toMatchObject({ name: 'TemplateError' });
    }
  });
});
