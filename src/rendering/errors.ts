/** The limits and errors of template rendering (no QuickJS here: the API thread imports this without loading it). */

export interface RenderLimits {
  /** Time budget of one render in ms: the render thread's CPU time where Node tells it, else the wall clock (sandbox.ts). */
  timeMs: number;
  /** Heap of the QuickJS runtime, in bytes. */
  memoryBytes: number;
  /** Characters a render may produce. */
  outputChars: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { timeMs: 500, memoryBytes: 32 * 1024 * 1024, outputChars: 1_000_000 };

/** The template is wrong (syntax, unknown filter, a Python-side error): the caller's 400. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type RenderLimitKind = 'time' | 'memory' | 'stack' | 'output';

/** The template went over a limit; `limit` names which. */
export class TemplateLimitError extends Error {
  constructor(
    readonly limit: RenderLimitKind,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateLimitError';
  }
}
