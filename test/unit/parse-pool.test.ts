import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileUserRegex, pythonGroupSyntax, regexRecords, runParseItems, type ParseItem } from '../../src/parsing/parse-job.js';
import { ParseFailedError, ParsePool, ParseThreadLostError, ParseTimeoutError } from '../../src/parsing/parse-pool.js';

// Catastrophic backtracking on a short line: exponential in the number of a's.
const EVIL_TEXT = `${'a'.repeat(36)}!`;
const evilRegex = (key = 'show evil'): ParseItem => ({ key, engine: 'regex', template: '^(?P<x>(a|aa)+)$', text: EVIL_TEXT });
const EVIL_FSM = ['Value X (\\S+)', '', 'Start', '  ^${X} ok -> Record', '  ^(a+)+$$ -> Record', ''].join('\n');
const ordinary = (key = 'show interfaces'): ParseItem => ({ key, engine: 'regex', template: '^(?P<name>\\S+) (?P<state>up|down)$', text: 'eth0 up\neth1 down\n' });

const pool = new ParsePool({ threads: 2, budgetMs: 1500 });
// Both threads ready before the tests: what they compare is a parse beside a stuck one, not thread start-up.
beforeAll(() => pool.warm(), 60_000);
afterAll(() => pool.close());

describe('regex parsing: Python re semantics', () => {
  it('accepts Python and JavaScript named groups alike', () => {
    expect(pythonGroupSyntax('^(?<name>\\S+) \\k<name> [(?<x>]')).toBe('^(?P<name>\\S+) (?P=name) [(?<x>]');
    expect(pythonGroupSyntax('(?P<a>x)(?<=y)(?<!z)')).toBe('(?P<a>x)(?<=y)(?<!z)');
    const text = 'eth0 up\neth1 down\n';
    expect(regexRecords(compileUserRegex('^(?P<name>\\S+) (?P<state>up|down)$'), text)).toEqual(regexRecords(compileUserRegex('^(?<name>\\S+) (?<state>up|down)$'), text));
  });

  it('returns what [m.groupdict() for m in re.finditer(p, text, re.M)] does', () => {
    // Expected values printed by CPython 3.
    expect(regexRecords(compileUserRegex('(?P<w>\\w*)'), 'ab cd')).toEqual([{ w: 'ab' }, { w: '' }, { w: 'cd' }, { w: '' }]);
    expect(regexRecords(compileUserRegex('(?P<a>x)?(?P<b>y)'), 'y xy')).toEqual([
      { a: null, b: 'y' },
      { a: 'x', b: 'y' },
    ]);
    expect(regexRecords(compileUserRegex('^(?P<n>\\d+)$'), '1\n22\nx\n333')).toEqual([{ n: '1' }, { n: '22' }, { n: '333' }]);
  });
});

describe('the parse pool', () => {
  it('parses on a thread what the same code parses on the loop', async () => {
    const items: ParseItem[] = [ordinary(), { key: 'fsm', engine: 'textfsm', template: 'Value N (\\S+)\n\nStart\n  ^${N} up -> Record\n', text: 'a up\nb down\nc up\n' }];
    expect(await pool.run(items)).toEqual(runParseItems(items));
  }, 60_000);

  it('stops a catastrophic regex at its budget with ParseTimeout, while an ordinary parse goes on beside it', async () => {
    const order: string[] = [];
    const evil = pool.run([evilRegex()]).then(
      () => order.push('evil finished'),
      (e: unknown) => {
        order.push('evil stopped');
        return e;
      },
    );
    const fine = pool.run([ordinary()]).then((r) => {
      order.push('ordinary');
      return r;
    });
    expect(await fine).toEqual({ 'show interfaces': [{ name: 'eth0', state: 'up' }, { name: 'eth1', state: 'down' }] });
    const err = await evil;
    expect(order).toEqual(['ordinary', 'evil stopped']);
    expect(err).toBeInstanceOf(ParseTimeoutError);
    expect((err as ParseTimeoutError).name).toBe('ParseTimeout');
    expect((err as Error).message).toMatch(/budget of 1500 ms.*regex pattern did not finish \(output of 'show evil'\)/);
  }, 60_000);

  it('names the TextFSM template line it was stuck on', async () => {
    const err = await pool.run([ordinary('first'), { key: 'show evil', engine: 'textfsm', template: EVIL_FSM, text: `x ok\n${EVIL_TEXT}\n` }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseTimeoutError);
    expect((err as ParseTimeoutError).templateLine).toBe(5);
    expect((err as Error).message).toContain("stuck on template line 5: ^(a+)+$$ -> Record (output of 'show evil')");
  }, 60_000);

  it('keeps serving after threads were stopped, and reports the parser errors by name', async () => {
    await Promise.all([pool.run([evilRegex('a')]).catch(() => null), pool.run([evilRegex('b')]).catch(() => null)]);
    expect(await pool.run([ordinary()])).toHaveProperty('show interfaces');
    const err = await pool.run([{ key: 'k', engine: 'textfsm', template: 'Value N (\\S+)\n\nStart\n  ^${N} -> Error\n', text: 'a\n' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseFailedError);
    expect((err as Error).name).toBe('TextFsmError');
    const bad = await pool.run([{ key: 'k', engine: 'regex', template: '(?P<x', text: 'a' }]).catch((e: unknown) => e);
    expect((bad as Error).name).toBe('PyRegexError');
    // Two budgets run out and two threads restart: seconds on a loaded 2-core machine, not a timing claim.
  }, 60_000);

  it('fails a job whose result outgrows the thread heap with ParseThreadLost, and keeps serving', async () => {
    const small = new ParsePool({ threads: 1, budgetMs: 60_000, maxHeapMb: 16 });
    try {
      // One record per character: millions of objects, far more than 16 MB.
      const err = await small.run([{ key: 'k', engine: 'regex', template: '(?P<c>.)', text: 'x'.repeat(3_000_000) }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ParseThreadLostError);
      expect((err as Error).message).toBe('parsing used more memory than its limit of 16 MB');
      expect(await small.run([ordinary()])).toHaveProperty('show interfaces');
    } finally {
      await small.close();
    }
  }, 60_000);
});

describe('compiling a submission’s templates (compile only, on a thread)', () => {
  it('compiles without parsing: a catastrophic pattern compiles at once, a broken one fails with its engine’s error', async () => {
    // The pattern that takes exponential time to match compiles in no time: compile() never matches anything.
    await expect(pool.compile([evilRegex(), { key: 'fsm', engine: 'textfsm', template: EVIL_FSM, text: EVIL_TEXT }])).resolves.toBeUndefined();
    await expect(pool.compile([{ key: 'k', engine: 'regex', template: '(?P<a>x', text: '' }])).rejects.toMatchObject({ name: 'PyRegexError', message: expect.stringContaining('missing ), unterminated subpattern') });
    await expect(pool.compile([{ key: 'k', engine: 'textfsm', template: 'Value X (\\S+)\n\nBegin\n  ^${X} -> Record\n', text: '' }])).rejects.toMatchObject({ name: 'TextFsmTemplateError', message: "Missing state 'Start'." });
  }, 60_000);

  it('stops a compile over its budget like a parse (ParseTimeout)', async () => {
    const tight = new ParsePool({ threads: 1, budgetMs: 10 });
    try {
      await tight.warm();
      const huge = `(?:${Array.from({ length: 40_000 }, (_, i) => `w${i}`).join('|')})`;
      await expect(tight.compile([{ key: 'k', engine: 'regex', template: huge, text: '' }])).rejects.toBeInstanceOf(ParseTimeoutError);
      // The pool goes on with a fresh thread.
      await expect(tight.compile([ordinary()])).resolves.toBeUndefined();
    } finally {
      await tight.close();
    }
  }, 60_000);
});
