/**
 * Differential test: every template of the installed ntc-templates package, run on sample command outputs by our
 * parser and by Python textfsm (test/support/textfsm_oracle.py, one process for the whole batch), must give the
 * same records, or fail the same way.
 *
 * Corpus: ntc-templates' PyPI distributions (sdist and wheel) ship no command outputs, and CI reaches PyPI but not
 * the project's source repository, so the oracle script generates samples per template (walking its states and
 * synthesising lines that its rules match, seeded by template name). Hand-written outputs for a few common
 * commands live in test/fixtures/textfsm/<template name>.raw.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextFsm, TextFsmError, TextFsmTemplateError, type TextFsmRecord } from '../../src/parsing/textfsm.js';
import { pytoolsAvailable, pytoolsPython, runPythonJson } from '../support/pytools.js';

const ORACLE = fileURLToPath(new URL('../support/textfsm_oracle.py', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/textfsm/', import.meta.url));
const SAMPLES_PER_TEMPLATE = 3;
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
      throw new Error(
        `${pytoolsPython} is missing: the install script creates that venv (pip install textfsm ntc-templates)`,
      );
    }
    oracle = await runPythonJson<OracleResponse>(
      ORACLE,
      { cases: fixtureCases(), ntc: { samples: SAMPLES_PER_TEMPLATE, max_lines: MAX_LINES_PER_SAMPLE } },
      { timeoutMs: 170_000 },
    );
  }, 180_000);

  it('gives the same records as Python for every template', () => {
    const compiled = new Map<string, TextFsm | Error>();
    const byTemplate = new Map<string, { cases: number; differ: OracleResult[] }>();
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
      entry.cases++;
      if (!agree(r.outcome, ts)) {
        entry.differ.push(r);
        if (details.length < 5 && !KNOWN_DIFFERENCES[name]) {
          details.push(
            `--- ${r.id}\ntext:\n${r.text}\npython: ${JSON.stringify(r.outcome)}\nours:   ${JSON.stringify(ts)}`,
          );
        }
      }
      byTemplate.set(name, entry);
    }

    const differing = [...byTemplate].filter(([, e]) => e.differ.length).map(([n]) => n);
    const unexpected = differing.filter((n) => !KNOWN_DIFFERENCES[n]);
    const cases = oracle.results.length;
    const failedCases = [...byTemplate.values()].reduce((a, e) => a + e.differ.length, 0);
    const withRecords = oracle.results.filter((r) => 'records' in r.outcome && r.outcome.records.length).length;
    console.log(
      [
        `textfsm oracle (python ${pytoolsPython}, ntc-templates ${oracle.ntc_version}):`,
        `  templates tried: ${byTemplate.size}, agree: ${byTemplate.size - differing.length}, differ: ${differing.length}`,
        `  cases: ${cases} (${cases - failedCases} agree; ${withRecords} produced records)`,
        ...differing.map((n) => `  differs: ${n}${KNOWN_DIFFERENCES[n] ? ` (known: ${KNOWN_DIFFERENCES[n]})` : ''}`),
        ...details,
      ].join('\n'),
    );
    expect(byTemplate.size).toBeGreaterThan(900);
    expect(unexpected).toEqual([]);
  });
});
