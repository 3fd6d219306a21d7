/**
 * Semantics of the TextFSM port, one behaviour per case. Every expectation in the tables below was produced by
 * Python textfsm 2.1 / CPython 3.11 `re` on the same input (the oracle the integration test runs at scale).
 */
import { describe, expect, it } from 'vitest';
import {
  PyRegex,
  PyRegexError,
  TextFsm,
  TextFsmError,
  TextFsmTemplateError,
  parseTextFsm,
  type TextFsmRecord,
} from '../../src/parsing/textfsm.js';

interface ParseCase {
  name: string;
  template: string;
  text: string;
  expected: { records: TextFsmRecord[] } | { parseError: string } | { templateError: string };
}

const PARSE_CASES: ParseCase[] = [
  {
    name: "record_eof",
    template: "Value A (\\S+)\nValue B (\\d+)\n\nStart\n  ^name ${A}\n  ^num ${B} -> Record\n",
    text: "name x\nnum 1\nname y\nnum 2\nname z\n",
    expected: { records: [{"A": "x", "B": "1"}, {"A": "y", "B": "2"}, {"A": "z", "B": ""}] },
  },
  {
    name: "filldown_clearall",
    template: "Value Filldown SECTION (\\S+)\nValue ITEM (\\S+)\n\nStart\n  ^section ${SECTION}\n  ^reset -> Clearall\n  ^item ${ITEM} -> Record\n",
    text: "section a\nitem 1\nitem 2\nsection b\nitem 3\nreset\nitem 4\n",
    expected: { records: [{"SECTION": "a", "ITEM": "1"}, {"SECTION": "a", "ITEM": "2"}, {"SECTION": "b", "ITEM": "3"}, {"SECTION": "", "ITEM": "4"}] },
  },
  {
    name: "clear_keeps_filldown",
    template: "Value Filldown S (\\S+)\nValue I (\\S+)\n\nStart\n  ^s ${S}\n  ^i ${I}\n  ^clear -> Clear\n  ^rec -> Record\n",
    text: "s a\ni 1\nclear\nrec\ni 2\nrec\n",
    expected: { records: [{"S": "a", "I": ""}, {"S": "a", "I": "2"}, {"S": "a", "I": ""}] },
  },
  {
    name: "key_option",
    template: "Value Key NAME (\\S+)\nValue VAL (\\S+)\n\nStart\n  ^${NAME}=${VAL} -> Record\n",
    text: "a=1\nb=2\n",
    expected: { records: [{"NAME": "a", "VAL": "1"}, {"NAME": "b", "VAL": "2"}] },
  },
  {
    name: "required",
    template: "Value Required NAME (\\S+)\nValue DESC (.*)\n\nStart\n  ^name ${NAME}\n  ^desc ${DESC}\n  ^end -> Record\n",
    text: "desc orphan\nend\nname a\ndesc first\nend\n",
    expected: { records: [{"NAME": "a", "DESC": "first"}] },
  },
  {
    name: "list",
    template: "Value NAME (\\S+)\nValue List MEMBERS (\\S+)\n\nStart\n  ^group ${NAME}\n  ^ member ${MEMBERS}\n  ^end -> Record\n",
    text: "group g1\n member a\n member b\nend\ngroup g2\nend\n",
    expected: { records: [{"NAME": "g1", "MEMBERS": ["a", "b"]}, {"NAME": "g2", "MEMBERS": []}] },
  },
  {
    name: "list_nested_groups",
    template: "Value List PEOPLE ((?P<name>\\w+):(?P<age>\\d+))\n\nStart\n  ^person ${PEOPLE}\n",
    text: "person bob:32\nperson ann:41\n",
    expected: { records: [{"PEOPLE": [{"name": "bob", "age": "32"}, {"name": "ann", "age": "41"}]}] },
  },
  {
    name: "list_filldown",
    template: "Value Filldown,List TAGS (\\S+)\nValue ID (\\d+)\n\nStart\n  ^tag ${TAGS}\n  ^id ${ID} -> Record\n",
    text: "tag x\nid 1\ntag y\nid 2\n",
    expected: { records: [{"TAGS": ["x"], "ID": "1"}, {"TAGS": ["x", "y"], "ID": "2"}, {"TAGS": ["x", "y"], "ID": ""}] },
  },
  {
    name: "list_none_item",
    template: "Value List X (\\d+)\nValue Y (\\S+)\n\nStart\n  ^a(?: ${X})? ${Y}\n",
    text: "a 1 p\na q\n",
    expected: { records: [{"X": ["1", null], "Y": "q"}] },
  },
  {
    name: "list_nested_none",
    template: "Value List X ((?P<k>\\d+))\n\nStart\n  ^a(?: ${X})?\n",
    text: "a\n",
    expected: { parseError: "expected string or bytes-like object, got 'NoneType'" },
  },
  {
    name: "required_list_order",
    template: "Value Required,List A (\\d+)\nValue B (\\S+)\n\nStart\n  ^a ${A}\n  ^b ${B} -> Record\n",
    text: "a 1\nb x\nb y\n",
    expected: { records: [{"A": ["1"], "B": "x"}] },
  },
  {
    name: "list_required_order",
    template: "Value List,Required A (\\d+)\nValue B (\\S+)\n\nStart\n  ^a ${A}\n  ^b ${B} -> Record\n",
    text: "a 1\nb x\nb y\n",
    expected: { records: [{"A": ["1"], "B": "x"}] },
  },
  {
    name: "fillup",
    template: "Value Fillup TOTAL (\\d+)\nValue ITEM (\\S+)\n\nStart\n  ^item ${ITEM} -> Record\n  ^total ${TOTAL} -> Record\n",
    text: "item a\nitem b\ntotal 7\nitem c\n",
    expected: { records: [{"TOTAL": "7", "ITEM": "a"}, {"TOTAL": "7", "ITEM": "b"}, {"TOTAL": "7", "ITEM": ""}, {"TOTAL": "", "ITEM": "c"}] },
  },
  {
    name: "continue",
    template: "Value A (\\S+)\nValue B (\\S+)\n\nStart\n  ^${A}\\s -> Continue\n  ^\\S+\\s+${B} -> Record\n",
    text: "x y\nu v\n",
    expected: { records: [{"A": "x", "B": "y"}, {"A": "u", "B": "v"}] },
  },
  {
    name: "continue_record",
    template: "Value A (\\S+)\n\nStart\n  ^${A} -> Continue.Record\n  ^.* -> Next\n",
    text: "one\ntwo\n",
    expected: { records: [{"A": "one"}, {"A": "two"}] },
  },
  {
    name: "states_end",
    template: "Value A (\\S+)\n\nStart\n  ^begin -> Body\n\nBody\n  ^stop -> End\n  ^${A} -> Record\n",
    text: "ignored\nbegin\nx\ny\nstop\nz\n",
    expected: { records: [{"A": "x"}, {"A": "y"}] },
  },
  {
    name: "explicit_eof_state",
    template: "Value A (\\S+)\n\nStart\n  ^${A}\n\nEOF\n",
    text: "x\n",
    expected: { records: [] },
  },
  {
    name: "transition_to_eof",
    template: "Value A (\\S+)\n\nStart\n  ^stop -> EOF\n  ^${A}\n",
    text: "x\nstop\ny\n",
    expected: { records: [{"A": "x"}] },
  },
  {
    name: "norecord_state",
    template: "Value A (\\d+)\n\nStart\n  ^go -> NoRecord Next1\n\nNext1\n  ^${A} -> Next.Record Start\n",
    text: "go\n5\ngo\n6\n",
    expected: { records: [{"A": "5"}, {"A": "6"}] },
  },
  {
    name: "error_msg",
    template: "Value A (\\S+)\n\nStart\n  ^ok ${A} -> Record\n  ^. -> Error \"unexpected line\"\n",
    text: "ok 1\nbad\n",
    expected: { parseError: "Error: \"unexpected line\". Rule Line: 5. Input Line: bad." },
  },
  {
    name: "error_bare",
    template: "Value A (\\S+)\n\nStart\n  ^ok ${A} -> Record\n  ^. -> Error\n",
    text: "bad\n",
    expected: { parseError: "State Error raised. Rule Line: 5. Input Line: bad" },
  },
  {
    name: "dollar_escape",
    template: "Value A (\\S+)\n\nStart\n  ^${A}\\s*$$ -> Record\n",
    text: "x\ny z\n",
    expected: { records: [{"A": "x"}] },
  },
  {
    name: "empty_values_recorded",
    template: "Value A (\\d*)\nValue B (\\d*)\n\nStart\n  ^x${A}y${B} -> Record\n",
    text: "xy\n",
    expected: { records: [{"A": "", "B": ""}] },
  },
  {
    name: "none_values_not_recorded",
    template: "Value A (\\d+)\nValue B (\\d+)\n\nStart\n  ^x(?:${A})?y(?:${B})? -> Record\n",
    text: "xy\n",
    expected: { records: [] },
  },
  {
    name: "none_becomes_empty",
    template: "Value A (\\d+)\nValue B (\\S+)\n\nStart\n  ^(?:${A} )?${B} -> Record\n",
    text: "q\n",
    expected: { records: [{"A": "", "B": "q"}] },
  },
  {
    name: "no_values",
    template: "\nStart\n  ^.* -> Record\n",
    text: "x\n",
    expected: { records: [] },
  },
  {
    name: "crlf_text",
    template: "Value A (\\S+)\n\nStart\n  ^${A}$$ -> Record\n",
    text: "a\r\nb\r\n\u000bc\u001cd\u2028e\n",
    expected: { records: [{"A": "a"}, {"A": "b"}, {"A": "c"}, {"A": "d"}, {"A": "e"}] },
  },
  {
    name: "crlf_template",
    template: "Value A (\\S+)\r\n\r\nStart\r\n  ^${A} -> Record\r\n",
    text: "a\nb\n",
    expected: { records: [{"A": "a"}, {"A": "b"}] },
  },
  {
    name: "comments",
    template: "# header\nValue A (\\S+)\n# mid\n\n# before state\nStart\n  # rule comment\n  ^${A} -> Record\n",
    text: "a\n",
    expected: { records: [{"A": "a"}] },
  },
  {
    name: "tab_rule",
    template: "Value A (\\S+)\n\nStart\n\t^${A} -> Record\n",
    text: "a\n",
    expected: { records: [{"A": "a"}] },
  },
  {
    name: "unicode_classes",
    template: "Value W (\\w+)\nValue D (\\d+)\n\nStart\n  ^${W}\\s${D} -> Record\n",
    text: "h\u00e9llo\u00a0\u0661\u0662\nab\ufeff12\n",
    expected: { records: [{"W": "h\u00e9llo", "D": "\u0661\u0662"}] },
  },
  {
    name: "inline_ignorecase",
    template: "Value A (\\d+)\n\nStart\n  ^(?i)port\\s+${A} -> Record\n",
    text: "PORT 1\nPort 2\n",
    expected: { templateError: "Invalid regular expression: '^(?i)port\\s+(?P<A>\\d+)'. Line: 4." },
  },
  {
    name: "capture_retention",
    template: "Value A (x)\nValue B (\\S+)\n\nStart\n  ^(?:${A}|y)+ ${B} -> Record\n",
    text: "xy z\n",
    expected: { records: [{"A": "x", "B": "z"}] },
  },
];

const TEMPLATE_ERRORS: [name: string, template: string, message: string][] = [
  ["missing_start", "Value A (\\S+)\n\nBegin\n  ^${A}\n", "Missing state 'Start'."],
  ["value_no_parens", "Value A \\S+\n\nStart\n  ^${A}\n", "Unknown option \"A\" Line 1."],
  ["value_duplicate", "Value A (\\S+)\nValue A (\\d+)\n\nStart\n  ^${A}\n", "Duplicate declarations for Value 'A'. Line: 2."],
  ["unknown_option", "Value Filldown,Sticky A (\\S+)\n\nStart\n  ^${A}\n", "Unknown option \"Sticky\" Line 1."],
  ["duplicate_option", "Value Key,Key A (\\S+)\n\nStart\n  ^${A}\n", "Duplicate option \"Key\" Line 1."],
  ["bad_value_regex", "Value A (\\S+\n\nStart\n  ^${A}\n", "Value '(\\S+' must be contained within a '()' pair. Line 1."],
  ["bad_rule_regex", "Value A (\\S+)\n\nStart\n  ^ok\n  ^${A}(\n", "Invalid regular expression: '^(?P<A>\\S+)('. Line: 5."],
  ["missing_caret", "Value A (\\S+)\n\nStart\n  ${A}\n", "Missing white space or carat ('^') before rule. Line: 4"],
  ["three_spaces", "Value A (\\S+)\n\nStart\n   ^${A}\n", "Missing white space or carat ('^') before rule. Line: 4"],
  ["continue_with_state", "Value A (\\S+)\n\nStart\n  ^${A} -> Continue Other\n\nOther\n", "Action 'Continue' with new state Other specified. Line: 4."],
  ["unknown_state", "Value A (\\S+)\n\nStart\n  ^${A} -> Nowhere\n", "State 'Nowhere' not found, referenced in state 'Start'"],
  ["reserved_state", "Value A (\\S+)\n\nStart\n  ^${A}\n\nRecord\n  ^x\n", "Invalid state name: 'Record'. Line: 6"],
  ["non_empty_end", "Value A (\\S+)\n\nStart\n  ^${A}\n\nEnd\n  ^x\n", "Non-Empty 'End' state."],
  ["unknown_var", "Value A (\\S+)\n\nStart\n  ^${B}\n", "Duplicate or invalid variable substitution: '^${B}'. Line: 4."],
  ["single_dollar", "Value A (\\S+)\n\nStart\n  ^${A}$\n", "Duplicate or invalid variable substitution: '^${A}$'. Line: 4."],
  ["no_blank_after_values", "Value A (\\S+)\nStart\n  ^${A}\n", "Expected blank line after last Value entry. Line: 2."],
  ["no_values_text", "Start\n  ^x\n", "No Value definitions found."],
  ["name_too_long", "Value NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN (\\S+)\n\nStart\n  ^x\n", "Invalid Value name 'NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN' or name too long. Line 1."],
  ["bad_action", "Value A (\\S+)\n\nStart\n  ^${A} -> Next.Bogus\n", "Badly formatted rule '^${A} -> Next.Bogus'. Line: 4."],
  ["quoted_state_not_error", "Value A (\\S+)\n\nStart\n  ^${A} -> \"msg\"\n", "Alphanumeric characters only in state names. Line: 4."],
  ["global_flags_mid", "Value A (\\S+)\n\nStart\n  ^${A}(?i)\n", "Invalid regular expression: '^(?P<A>\\S+)(?i)'. Line: 4."],
  ["lookbehind_variable", "Value A (\\S+)\n\nStart\n  ^(?<=a+)${A}\n", "Invalid regular expression: '^(?<=a+)(?P<A>\\S+)'. Line: 4."],
  ["duplicate_state", "Value A (\\S+)\n\nStart\n  ^${A}\n\nStart\n  ^x\n", "Duplicate state name: 'Start'. Line: 6"],
];

const REGEX_CASES: [pattern: string, input: string, groups: (string | null)[] | null][] = [
  ["(?P<word>\\w+) (?P=word)", "hey hey", ["hey hey", "hey"]],
  ["(?P<word>\\w+) (?P=word)", "hey you", null],
  ["(a)?b\\1", "b", null],
  ["(a)?b(?(1)c|d)", "bd", ["bd", null]],
  ["(a)?b(?(1)c|d)", "abc", ["abc", "a"]],
  ["(?i)HELLO", "hello", ["hello"]],
  ["(?i:A)b", "aB", null],
  ["(?i)a(?-i:B)", "Ab", null],
  ["(?i)a(?-i:B)", "AB", ["AB"]],
  ["(?x) a b  # comment", "ab", ["ab"]],
  ["a\\Z", "a\n", null],
  ["a$", "a\n", ["a"]],
  ["\\Aa", "a", ["a"]],
  ["(?m)a$", "a\nb", ["a"]],
  ["\\bfoo\\b", "foo", ["foo"]],
  ["\\w+\\b", "caf\u00e9!", ["caf\u00e9"]],
  ["\\B", "", null],
  ["\\b", "", null],
  ["\\d+", "\u0661\u0662", ["\u0661\u0662"]],
  ["(?a)\\d+", "\u0661\u0662", null],
  ["\\s", "\u001c", ["\u001c"]],
  ["\\s", "\ufeff", null],
  ["\\s", "\u00a0", ["\u00a0"]],
  ["a++a", "aaa", null],
  ["(?>a+)a", "aaa", null],
  ["(?>a|ab)c", "abc", null],
  ["a*+b", "aab", ["aab"]],
  ["(?:(a)|b)*", "ab", ["ab", "a"]],
  ["(a|)*b", "aab", ["aab", ""]],
  ["(?:(?P<x>\\d*))?", "", ["", ""]],
  ["(?:x(a)|x(b))*", "xaxb", ["xaxb", "a", "b"]],
  ["(?<=a)b", "b", null],
  ["a(?<=a)b", "ab", ["ab"]],
  ["a(?<!a)b", "ab", null],
  ["x{,2}", "xxx", ["xx"]],
  ["x{2,}", "xxx", ["xxx"]],
  ["a{", "a{", ["a{"]],
  ["a{1", "a{1", ["a{1"]],
  ["a{}", "a{}", ["a{}"]],
  ["[]a]+", "]a]b", ["]a]"]],
  ["[^]a]", "b", ["b"]],
  ["[a-]+", "a-a", ["a-a"]],
  ["[\\d-]+", "1-2", ["1-2"]],
  ["\\x41\\u0042\\102", "ABB", ["ABB"]],
  [".", "\n", null],
  ["(?s).", "\n", ["\n"]],
  [".", "\ud83d\ude00", ["\ud83d\ude00"]],
  ["(?i)\u212a", "k", ["k"]],
  ["(?i)s", "\u017f", ["\u017f"]],
  ["(?i)[a-c]+", "ABC", ["ABC"]],
  ["(?i)(a)\\1", "aA", ["aA", "a"]],
  ["(?#note)a", "a", ["a"]],
  ["(a)(b)?", "a", ["a", "a", null]],
];

const BAD_PATTERNS: [pattern: string, message: string][] = [
  ["a**", "multiple repeat at position 2"],
  ["*a", "nothing to repeat at position 0"],
  ["(a", "missing ), unterminated subpattern at position 0"],
  ["a)", "unbalanced parenthesis at position 1"],
  ["[a", "unterminated character set at position 0"],
  ["\\q", "bad escape \\q at position 0"],
  ["(?P<1a>x)", "bad character in group name '1a' at position 4"],
  ["(?P<a>x)(?P<a>y)", "redefinition of group name 'a' as group 2; was group 1 at position 12"],
  ["(?P=zz)", "unknown group name 'zz' at position 4"],
  ["\\2(a)", "invalid group reference 2 at position 1"],
  ["(?<=a|bc)", "look-behind requires fixed-width pattern"],
  ["[z-a]", "bad character range z-a at position 1"],
  ["[\\w-z]", "bad character range \\w-z at position 1"],
  ["(?iL)a", "bad inline flags: cannot use 'L' flag with a str pattern at position 4"],
  ["a{3,2}", "min repeat greater than max repeat at position 2"],
  ["(?z)", "unknown extension ?z at position 1"],
  ["(?(2)a)", "invalid group reference 2 at position 3"],
  ["^(?i)a", "global flags not at the start of the expression at position 1"],
];

describe('TextFSM parsing (options, actions, states)', () => {
  it.each(PARSE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const exp = c.expected;
    if ('records' in exp) {
      expect(parseTextFsm(c.template, c.text)).toEqual(exp.records);
    } else if ('parseError' in exp) {
      expect(() => parseTextFsm(c.template, c.text)).toThrow(TextFsmError);
    } else {
      expect(() => parseTextFsm(c.template, c.text)).toThrow(TextFsmTemplateError);
    }
  });

  it('reports Error actions with the rule line and the input line', () => {
    const tpl = 'Value A (\\S+)\n\nStart\n  ^ok ${A} -> Record\n  ^. -> Error "unexpected line"\n';
    try {
      parseTextFsm(tpl, 'ok 1\nbad\n');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TextFsmError);
      const e = err as TextFsmError;
      expect(e.name).toBe('TextFsmError');
      expect(e.message).toBe('Error: "unexpected line". Rule Line: 5. Input Line: bad.');
      expect(e.ruleLine).toBe(5);
      expect(e.inputLine).toBe('bad');
    }
    expect(() => parseTextFsm('Value A (\\S+)\n\nStart\n  ^. -> Error\n', 'x')).toThrow(
      'State Error raised. Rule Line: 4. Input Line: x',
    );
  });

  it('fails like Python when a List value with nested groups did not participate', () => {
    expect(() => parseTextFsm('Value List X ((?P<k>\\d+))\n\nStart\n  ^a(?: ${X})?\n', 'a\n')).toThrow(TextFsmError);
  });

  it('accepts scoped inline flags in rules, while global ones cannot follow the leading ^', () => {
    const ok = 'Value A (\\d+)\n\nStart\n  ^(?i:port)\\s+${A} -> Record\n';
    expect(parseTextFsm(ok, 'PORT 1\nPort 2\nport 3\n')).toEqual([{ A: '1' }, { A: '2' }, { A: '3' }]);
  });

  it('suppresses the implicit EOF record when asked to (ParseText eof=False)', () => {
    const fsm = new TextFsm('Value A (\\S+)\n\nStart\n  ^${A}\n');
    expect(fsm.parse('x\n')).toEqual([{ A: 'x' }]);
    expect(fsm.parse('x\n', false)).toEqual([]);
  });

  it('compiles once and parses many texts, each from a fresh state', () => {
    const fsm = new TextFsm(
      'Value Filldown,Key IF (\\S+)\nValue Required,List ADDR (\\S+)\n\nStart\n  ^interface ${IF} -> Record\n  ^ address ${ADDR}\n',
    );
    expect(fsm.header).toEqual(['IF', 'ADDR']);
    expect(fsm.valuesWithOption('Key')).toEqual(['IF']);
    expect(fsm.valuesWithOption('Filldown')).toEqual(['IF']);
    const text = 'interface a\n address 1\n address 2\ninterface b\n';
    // Values of the matching line are assigned before its Record runs, so the record carries IF 'b'.
    const first = fsm.parse(text);
    expect(first).toEqual([{ IF: 'b', ADDR: ['1', '2'] }]);
    // Python's ParseText would append to the previous result here; each parse starts afresh instead.
    expect(fsm.parse(text)).toEqual(first);
    expect(fsm.parseRows(text)).toEqual([['b', ['1', '2']]]);
  });
});

describe('template errors', () => {
  it.each(TEMPLATE_ERRORS)('%s', (_name, template, message) => {
    let caught: unknown;
    try {
      new TextFsm(template);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TextFsmTemplateError);
    const e = caught as TextFsmTemplateError;
    expect(e.name).toBe('TextFsmTemplateError');
    expect(e.message).toBe(message);
    const line = /Line:? (\d+)/.exec(message);
    if (line) expect(e.line).toBe(Number(line[1]));
  });

  it('keeps the regex error as the cause of an invalid rule', () => {
    try {
      new TextFsm('Value A (\\S+)\n\nStart\n  ^ok\n  ^${A}(\n');
      expect.unreachable();
    } catch (err) {
      const e = err as TextFsmTemplateError;
      expect(e.line).toBe(5);
      expect(e.cause).toBeInstanceOf(PyRegexError);
      expect((e.cause as Error).message).toBe('missing ), unterminated subpattern at position 11');
    }
  });
});

describe('Python regex semantics', () => {
  it.each(REGEX_CASES)('re.match(%j, %j)', (pattern, input, groups) => {
    const re = new PyRegex(pattern);
    const m = re.match(input);
    if (groups === null) {
      expect(m).toBeNull();
      return;
    }
    expect(m).not.toBeNull();
    const got = Array.from({ length: re.groups + 1 }, (_, i) => m?.group(i) ?? null);
    expect(got).toEqual(groups);
  });

  it.each(BAD_PATTERNS)('rejects %j like re.compile', (pattern, message) => {
    expect(() => new PyRegex(pattern)).toThrow(PyRegexError);
    expect(() => new PyRegex(pattern)).toThrow(message);
  });

  it('loops over long lines without recursion when the repeated item is one character', () => {
    expect(new PyRegex('^(?:a|b| )*$').match('ab '.repeat(20_000))?.group(0)).toHaveLength(60_000);
    expect(new PyRegex('^(\\S+\\s*)*$').match('ab '.repeat(500))?.group(1)).toBe('ab ');
  });

  it('turns a recursion too deep for the JS stack into a TextFsmError, not a crash', () => {
    const fsm = new TextFsm('Value A (\\S+)\n\nStart\n  ^(?:${A}\\s*)+$$ -> Record\n');
    expect(() => fsm.parse('ab '.repeat(50_000))).toThrow(TextFsmError);
  });

  it('exposes named groups in definition order, unset ones as null', () => {
    const m = new PyRegex('(?P<b>x)?(?P<a>y)').match('y');
    expect([...(m?.groupdict() ?? [])]).toEqual([
      ['b', null],
      ['a', 'y'],
    ]);
    expect(m?.span(2)).toEqual([0, 1]);
  });
});
