import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import { ParseFailedError, ParsePool, ParseThreadLostError, ParseTimeoutError } from '../parsing/parse-pool.js';
import { DeviceRequestError, type ParsingCheck } from './request.js';

/**
 * The submission-time check of a request's own `regex` / TextFSM template (docs/decisions.md "Parse templates are
 * compiled at submission"): compiled, not run, by the engines the job will use, so a template that cannot compile
 * is a 400 on `parsing.template` instead of a failed job. The compile runs on a parse thread of this process under
 * a budget, never on the API's event loop: it is the caller's input, and the thread can be stopped.
 */

/** A compile over this is refused: real templates (ntc-templates' largest) compile in a few milliseconds. */
export const COMPILE_BUDGET_MS = 2000;
/** The compile thread's heap: it holds one template and its compiled form. */
const COMPILE_HEAP_MB = 128;
/** Templates that compiled lately (a bulk request checks its template once per device; clients resend the same). */
const REMEMBERED = 256;

const pools = new Map<number, ParsePool>();
const compiled = new Map<string, true>();

function compilePool(budgetMs: number): ParsePool {
  let pool = pools.get(budgetMs);
  if (!pool) {
    pool = new ParsePool({ threads: 1, budgetMs, maxHeapMb: COMPILE_HEAP_MB });
    pools.set(budgetMs, pool);
  }
  return pool;
}

/** Starts the compile thread now (the API does it at start, so that the first submission does not wait for it). */
export function warmParsingCheck(config: Config): Promise<void> {
  return compilePool(compileBudgetMs(config)).warm();
}

/** Error messages quote the offending rule or pattern: a 400 shows its start only. */
function clip(message: string): string {
  return message.length > MESSAGE_CHARS ? `${message.slice(0, MESSAGE_CHARS)}…` : message;
}
const MESSAGE_CHARS = 500;

function compileBudgetMs(config: Config): number {
  return Math.min(config.device.parseBudgetMs, COMPILE_BUDGET_MS);
}

export function parsingChecker(config: Config): ParsingCheck {
  const budgetMs = compileBudgetMs(config);
  return async ({ name, template }) => {
    const key = createHash('sha256').update(name).update('\0').update(template).digest('hex');
    if (compiled.has(key)) return;
    const what = name === 'regex' ? 'regex pattern' : 'TextFSM template';
    try {
      await compilePool(budgetMs).compile([{ key: 'template', engine: name, template, text: '' }]);
    } catch (e) {
      if (e instanceof ParseFailedError) {
        // The compilers recurse on nesting: a pattern nested deeper than the thread's stack is refused as such.
        const why = e.name === 'RangeError' ? 'it nests too deeply to compile' : e.message;
        throw new DeviceRequestError(`invalid ${what}: ${clip(why)}`, 'parsing.template');
      }
      if (e instanceof ParseTimeoutError) throw new DeviceRequestError(`the ${what} took longer than ${budgetMs} ms to compile and was refused`, 'parsing.template');
      if (e instanceof ParseThreadLostError) throw new DeviceRequestError(`the ${what} needed more than ${COMPILE_HEAP_MB} MB to compile and was refused`, 'parsing.template');
      throw e;
    }
    compiled.set(key, true);
    if (compiled.size > REMEMBERED) compiled.delete(compiled.keys().next().value!);
  };
}
