/**
 * Differential test: ntc-templates' templates, run on sample command outputs by our parser and by Python textfsm
 * (test/support/textfsm_oracle.py), must give the same records, or fail the same way; and every template of the
 * package must load in ours exactly when it loads in Python.
 *
 * Corpus: ntc-templates' PyPI distributions ship no command outputs, so the oracle script generates samples per
 * template by walking its states and making, for each rule it takes, a line the rule matches, with two line
 * generators: its own walk of the sre parse tree, and the PyPI `rstr` package's xeger (a third-party reading of the
 * same regexes). Seeded, so a run is repeatable. Hand-written outputs for a few common commands live in
 * test/fixtures/textfsm/<template name>.raw.
 *
 * `npm test` runs a sample (every fourth template, 3 texts per generator); `npm run test:ntc`
 * (SWITCHYARD_NTC_WHOLE_SET=1) runs every template with 3 sre and 5 rstr texts and prints the whole-set figures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextFsm, TextFsmError, TextFsmTemplateError, type TextFsmRecord } from '../../src/parsing/textfsm.js';
import { pytoolsAvailable, pytoolsPython, runPythonJson } from '../support/pytools.js';

const ORACLE = fileURLToPath(new URL('../support/textfsm_oracle.py', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/textfsm/', import.meta.url));
const WHOLE_SET = process.env.SWITCHYARD_NTC_WHOLE_SET === '1';
const STRIDE = WHOLE_SET ? 1 : 4;
const GENERATORS = [
  { generator: 'sre', samples: 3 },
  { generator: 'rstr', samples: WHOLE_SET ? 5 : 3 },
] as const;
const MAX_LINES_PER_SAMPLE = 30;

/**
 * Templates allowed to disagree, each with the reason. Keep empty unless a difference is Python's accident
 * rather than TextFSM semantics.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

type Outcome =
  | { records: TextFsmRecord[] }
  | { error: { kind: 'template' | 'parse'; type: string; message: string } };

interface OracleResult {
  id: string;
  template: string | null;
  text: string;
  outcome: Outcome;
}

interface OracleResponse {
  ntc_version: string;
  templates: Record<string, string>;
  results: OracleResult[];
  compiled: Record<string, { type: string; message: string } | null>;
}

function fixtureCases(): { id: string; ntc_template: string; text: string }[] {
  let files: string[] = [];
  try {
    files = readdirSync(FIXTURES).filter((f) => f.endsWith('.raw'));
  } catch {
    return [];
  }
  return files.sort().map((f) => ({
    id: `fixture:${f}`,
    ntc_template: f.replace(/(\.\d+)?\.raw$/, '.textfsm'),
    text: readFileSync(FIXTURES + f, 'utf8'),
  }));
}

function ours(fsm: TextFsm | Error, text: string): Outcome {
  if (fsm instanceof Error) return { error: { kind: 'template', type: fsm.name, message: fsm.message } };
  try {
    return { records: fsm.parse(text) };
  } catch (err) {
    if (err instanceof TextFsmError) return { error: { kind: 'parse', type: err.name, message: err.message } };
    throw err;
  }
}

function agree(py: Outcome, ts: Outcome): boolean {
  if ('records' in py) return 'records' in ts && isDeepStrictEqual(ts.records, py.records);
  return 'error' in ts && ts.error.kind === py.error.kind;
}

describe('TextFSM vs Python textfsm on ntc-templates', () => {
  let oracle: OracleResponse;

  beforeAll(async () => {
    if (!pytoolsAvailable()) {
      throw new Error(`${pytoolsPython} is missing: the install script creates that venv (pip install textfsm ntc-templates rstr)`);
    }
    const timeoutMs = WHOLE_SET ? 1_700_000 : 170_000;
    // One Python process per generator, side by side (two cores); fixtures and the load check go with the first.
    const runs = await Promise.all(
      GENERATORS.map((g, i) =>
        runPythonJson<OracleResponse>(
          ORACLE,
          {
            cases: i === 0 ? fixtureCases() : [],
            compile_all: i === 0,
            ntc: [{ ...g, max_lines: MAX_LINES_PER_SAMPLE, stride: STRIDE, offset: 0, seed: 0 }],
          },
          { timeoutMs },
        ),
      ),
    );
    oracle = {
      ntc_version: runs[0]!.ntc_version,
      templates: Object.assign({}, ...runs.map((r) => r.templates)) as Record<string, string>,
      results: runs.flatMap((r) => r.results),
      compiled: runs[0]!.compiled,
    };
  }, WHOLE_SET ? 1_800_000 : 180_000);

  it('loads every template of the package exactly when Python does', async () => {
    const names = Object.keys(oracle.compiled);
    const dir = (await import('../../src/config/index.js')).loadConfig().device.ntcTemplatesDir;
    const { readFile } = await import('node:fs/promises');
    const disagree: string[] = [];
    let loaded = 0;
    for (const name of names) {
      const text = await readFile(`${dir}/${name}`, 'utf8');
      let ours: string | null = null;
      try {
        new TextFsm(text);
        loaded++;
      } catch (err) {
        if (!(err instanceof TextFsmTemplateError)) throw err;
        ours = err.message;
      }
      if ((ours === null) !== (oracle.compiled[name] === null)) disagree.push(`${name}: python ${JSON.stringify(oracle.compiled[name])}, ours ${ours}`);
    }
    console.log(`ntc-templates ${oracle.ntc_version}: ${loaded} of ${names.length} templates load in our engine (${names.filter((n) => oracle.compiled[n] === null).length} in Python)`);
    expect(names.length).toBeGreaterThan(900);
    expect(disagree).toEqual([]);
  });

  it('gives the same records as Python for every template tried', () => {
    const compiled = new Map<string, TextFsm | Error>();
    const byTemplate = new Map<string, { cases: number; differ: OracleResult[] }>();
    const byGenerator = new Map<string, { cases: number; differ: number }>();
    const details: string[] = [];
    for (const r of oracle.results) {
      const name = r.template as string;
      let fsm = compiled.get(name);
      if (!fsm) {
        try {
          fsm = new TextFsm(oracle.templates[name] as string);
        } catch (err) {
          if (!(err instanceof TextFsmTemplateError)) throw err;
          fsm = err;
        }
        compiled.set(name, fsm);
      }
      const ts = ours(fsm, r.text);
      const entry = byTemplate.get(name) ?? { cases: 0, differ: [] };
      const gen = r.id.startsWith('fixture:') ? 'fixture' : (/#([a-z]+)\d+$/.exec(r.id)?.[1] ?? '?');
      const g = byGenerator.get(gen) ?? { cases: 0, differ: 0 };
      entry.cases++;
      g.cases++;
      if (!agree(r.outcome, ts)) {
        entry.differ.push(r);
        g.differ++;
        if (details.length < 5 && !KNOWN_DIFFERENCES[name]) {
          details.push(`--- ${r.id}\ntext:\n${r.text}\npython: ${JSON.stringify(r.outcome)}\nours:   ${JSON.stringify(ts)}`);
        }
      }
      byTemplate.set(name, entry);
      byGenerator.set(gen, g);
    }

    const differing = [...byTemplate].filter(([, e]) => e.differ.length).map(([n]) => n);
    const unexpected = differing.filter((n) => !KNOWN_DIFFERENCES[n]);
    const cases = oracle.results.length;
    const withRecords = oracle.results.filter((r) => 'records' in r.outcome && r.outcome.records.length).length;
    console.log(
      [
        `textfsm oracle (${WHOLE_SET ? 'whole set' : `sample: every ${STRIDE}th template`}; python ${pytoolsPython}, ntc-templates ${oracle.ntc_version}):`,
        `  templates tried: ${byTemplate.size}, identical on every text: ${byTemplate.size - differing.length}, differ: ${differing.length}`,
        `  texts: ${cases} (${withRecords} produced records); ${[...byGenerator].map(([k, v]) => `${k}: ${v.cases - v.differ}/${v.cases} agree`).join(', ')}`,
        ...differing.map((n) => `  differs: ${n}${KNOWN_DIFFERENCES[n] ? ` (known: ${KNOWN_DIFFERENCES[n]})` : ''}`),
        ...details,
      ].join('\n'),
    );
    expect(byTemplate.size).toBeGreaterThan(WHOLE_SET ? 900 : 200);
    expect(byGenerator.get('rstr')?.cases ?? 0).toBeGreaterThan(WHOLE_SET ? 3000 : 400);
    expect(unexpected).toEqual([]);
  });
});
