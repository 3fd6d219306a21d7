import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { parsingChecker } from '../../src/device/parsing-check.js';
import { DeviceRequestError } from '../../src/device/request.js';

// The submission-time check of a request's own regex / TextFSM template: compiled on a parse thread with the
// engines the job runs; every refusal is a DeviceRequestError on `parsing.template` (the API's 400).
const check = parsingChecker(loadConfig({ env: {} }));

async function refusal(name: 'regex' | 'textfsm', template: string): Promise<DeviceRequestError> {
  const e = await check({ name, template }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, template.slice(0, 80)).toBeInstanceOf(DeviceRequestError);
  expect((e as DeviceRequestError).field).toBe('parsing.template');
  return e as DeviceRequestError;
}

describe('parsing templates checked at submission', () => {
  it('accepts valid templates, including ones that backtrack badly (their budget applies when the job parses)', async () => {
    await expect(check({ name: 'regex', template: '(?P<intf>\\S+)\\s+(?P<status>up|down)' })).resolves.toBeUndefined();
    await expect(check({ name: 'regex', template: '^(?P<x>(a|aa)+)$' })).resolves.toBeUndefined();
    await expect(check({ name: 'textfsm', template: 'Value INTF (\\S+)\nValue STATUS (up|down)\n\nStart\n  ^${INTF}\\s+${STATUS} -> Record\n' })).resolves.toBeUndefined();
  }, 60_000);

  it('refuses invalid regex patterns with Python re’s message', async () => {
    expect((await refusal('regex', '(?P<a>x')).message).toBe('invalid regex pattern: missing ), unterminated subpattern at position 0');
    expect((await refusal('regex', '[z-a]')).message).toBe('invalid regex pattern: bad character range z-a at position 1');
    expect((await refusal('regex', '*abc')).message).toContain('nothing to repeat');
    expect((await refusal('regex', '(?P<a>x)(?P<a>y)')).message).toContain("redefinition of group name 'a'");
    expect((await refusal('regex', 'a{5,2}')).message).toContain('min repeat greater than max repeat');
    expect((await refusal('regex', 'x{4294967296}')).message).toContain('the repetition number is too large');
  }, 60_000);

  it('refuses invalid TextFSM templates with textfsm’s message', async () => {
    expect((await refusal('textfsm', 'Value INTF (\\S+\n\nStart\n  ^${INTF} -> Record\n')).message).toContain("must be contained within a '()' pair");
    expect((await refusal('textfsm', 'Value INTF (\\S+)\n\nStart\n  ^${NOPE} -> Record\n')).message).toContain('invalid variable substitution');
    expect((await refusal('textfsm', 'Value INTF (\\S+)\n\nBegin\n  ^${INTF} -> Record\n')).message).toContain("Missing state 'Start'");
    expect((await refusal('textfsm', 'Value INTF (\\S+)\n\nStart\n  ^${INTF} -> Bogus\n')).message).toContain("State 'Bogus' not found");
  }, 60_000);

  it('refuses hostile templates clearly, with a short message', async () => {
    const deep = '('.repeat(100_000) + 'a' + ')'.repeat(100_000);
    expect((await refusal('regex', deep)).message).toBe('invalid regex pattern: it nests too deeply to compile');
    expect((await refusal('textfsm', `Value X (${deep})\n\nStart\n  ^\${X} -> Record\n`)).message).toBe('invalid TextFSM template: it nests too deeply to compile');
    // textfsm quotes the whole rule it refuses: the message keeps its start.
    const long = await refusal('textfsm', `Value INTF (\\S+)\n\nStart\n  ^${'${INTF}'.repeat(20_000)} -> Record\n`);
    expect(long.message.length).toBeLessThan(600);
  }, 60_000);

  it('refuses a template whose compile runs over the budget (DEVICE_PARSE_BUDGET_MS, at most 2 s)', async () => {
    const tight = parsingChecker(loadConfig({ env: { DEVICE_PARSE_BUDGET_MS: '10' } }));
    const huge = `(?:${Array.from({ length: 40_000 }, (_, i) => `w${i}`).join('|')})`;
    await expect(tight({ name: 'regex', template: huge })).rejects.toMatchObject({ field: 'parsing.template', message: 'the regex pattern took longer than 10 ms to compile and was refused' });
  }, 60_000);
});
