import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { JINJA2_COMPAT_GUEST } from './jinja2-compat.guest.js';

/**
 * The script the sandbox evaluates once per QuickJS context: the @huggingface/jinja interpreter (an interpreter
 * over its own value classes: it never compiles a template to JavaScript), turned from an ES module into a script
 * so that the compatibility layer appended to it shares its scope, then a lockdown that freezes every intrinsic.
 * Each text edit names its anchor and fails loudly when a library update moves it.
 */

const require = createRequire(import.meta.url);

/** Text edits of the library's build, each applied exactly once. */
const LIBRARY_EDITS: ReadonlyArray<{ why: string; from: RegExp; to: string }> = [
  {
    why: 'the module becomes a script: its export list goes (the compatibility layer sees the names in scope)',
    from: /\nexport \{[^}]*\};?\s*$/,
    to: '\n',
  },
  {
    why: 'Jinja2 prints None for an expression whose value is none (the library printed nothing)',
    from: /if \(evaluated\.type !== "NullValue" && evaluated\.type !== "UndefinedValue"\) \{/,
    to: 'if (evaluated.type !== "UndefinedValue" && (evaluated.type !== "NullValue" || statement instanceof Expression)) {',
  },
  {
    why: 'a for loop unpacks tuples (what items and dictsort give) as it unpacks lists',
    from: /if \(current\.type !== "ArrayValue"\) \{/,
    to: 'if (!(current instanceof ArrayValue)) {',
  },
  {
    why: 'a test takes arguments as Jinja2 parses them: in parentheses, or one bare primary (`is divisibleby 4`)',
    from: /operand = new TestExpression\(operand, negate, filter\);/,
    to: `const testArgs = [];
      if (is(TOKEN_TYPES.OpenParen)) {
        testArgs.push(...parseArgs("call"));
      } else if (is(TOKEN_TYPES.NumericLiteral) || is(TOKEN_TYPES.StringLiteral) || is(TOKEN_TYPES.OpenSquareBracket) || is(TOKEN_TYPES.OpenCurlyBracket) || (is(TOKEN_TYPES.Identifier) && !["else", "or", "and"].includes(tokens[current].value))) {
        testArgs.push(parsePrimaryExpression());
      }
      operand = new TestExpression(operand, negate, filter);
      operand.testArgs = testArgs;`,
  },
  {
    why: 'the test receives its evaluated arguments',
    from: /const result = test\(operand\);/,
    to: 'const result = test(operand, ...(node.testArgs ?? []).map((a) => this.evaluate(a, environment)));',
  },
  {
    why: 'a tuple is iterable',
    from: /\["iterable", \(operand\) => operand\.type === "ArrayValue" \|\| operand\.type === "StringValue"\]/,
    to: '["iterable", (operand) => operand instanceof ArrayValue || operand instanceof ObjectValue || operand.type === "StringValue"]',
  },
];

/** Freezes the intrinsics and the interpreter's classes, so that no render can leave state for the next one. */
const LOCKDOWN = `
;(function () {
  var seen = new Set();
  function deepFreeze(o) {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    Object.freeze(o);
    Reflect.ownKeys(o).forEach(function (k) {
      var d = Object.getOwnPropertyDescriptor(o, k);
      if (!d) return;
      if ('value' in d) deepFreeze(d.value);
      else { deepFreeze(d.get); deepFreeze(d.set); }
    });
    deepFreeze(Object.getPrototypeOf(o));
  }
  var render = globalThis.__render;
  [Interpreter, Environment, RuntimeValue, StringValue, IntegerValue, FloatValue, BooleanValue, ArrayValue, TupleValue,
   ObjectValue, NullValue, UndefinedValue, FunctionValue, LoopValue].forEach(deepFreeze);
  delete globalThis.eval;
  Reflect.ownKeys(globalThis).forEach(function (k) { deepFreeze(globalThis[k]); });
  deepFreeze(render);
  Object.freeze(globalThis);
})();
`;

function libraryScript(): string {
  const path = require.resolve('@huggingface/jinja').replace(/index\.cjs$/, 'index.js');
  let text = readFileSync(path, 'utf8');
  for (const edit of LIBRARY_EDITS) {
    const matches = text.match(new RegExp(edit.from.source, edit.from.flags + 'g'));
    if (matches?.length !== 1) throw new Error(`@huggingface/jinja changed: cannot apply "${edit.why}" (${matches?.length ?? 0} matches)`);
    text = text.replace(edit.from, edit.to);
  }
  return text;
}

let cached: string | undefined;
/** The guest script (built once per process). */
export function guestScript(): string {
  cached ??= `(function () {\n${libraryScript()}\n${JINJA2_COMPAT_GUEST}\n${LOCKDOWN}\n})();\n`;
  return cached;
}
