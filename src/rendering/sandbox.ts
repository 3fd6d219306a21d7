import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSRuntime, type QuickJSSyncVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import { TemplateError, TemplateLimitError, type RenderLimits, DEFAULT_RENDER_LIMITS } from './errors.js';
import { guestScript } from './guest-source.js';

/**
 * Jinja2 rendering inside a QuickJS interpreter compiled to WebAssembly (docs/decisions.md "Template rendering").
 * The template engine and everything it touches live in the WebAssembly instance's linear memory: the guest holds
 * no reference to any object of this process (no host function is ever installed in it), the context enters as a
 * JSON string and the output leaves as a string. The runtime is bounded in time (an interrupt handler with a
 * deadline), memory (QuickJS's allocator limit) and stack; the output is capped.
 */

/** The guest's JS stack: deep enough for nested loops and macros, far below the wasm stack. */
const GUEST_STACK_BYTES = 256 * 1024;
/** Time the warm-up render may take (ours, not a caller's, and slow on a busy machine). */
const WARM_UP_TIME_MS = 10_000;
/** Replace the warm context after this many renders anyway (bounds whatever a render could leave behind). */
const RENDERS_PER_CONTEXT = 5000;

/**
 * The clock of the time limit: this thread's CPU time where Node tells it (`process.threadCpuUsage`, Node 24 and
 * late 22), so a busy machine does not fail a template that would fit; elsewhere the wall clock.
 */
const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.bind(process);
export const RENDER_CLOCK: 'thread CPU' | 'wall clock' = threadCpuUsage ? 'thread CPU' : 'wall clock';
function renderClock(): number {
  if (!threadCpuUsage) return performance.now();
  const used = threadCpuUsage();
  return (used.user + used.system) / 1000;
}

// The package's types describe its CommonJS entry; the ES module import is the variant itself.
const quickjs: QuickJSWASMModule = await newQuickJSWASMModuleFromVariant(variant as unknown as QuickJSSyncVariant);

/**
 * One warm QuickJS runtime and context with the engine loaded. Not re-entrant (renders are synchronous). After a
 * render that went over a limit, the runtime is thrown away and the next render builds a fresh one.
 */
export class JinjaSandbox {
  private runtime: QuickJSRuntime | undefined;
  private context: QuickJSContext | undefined;
  private renders = 0;
  private deadline = 0;

  constructor(readonly limits: RenderLimits = DEFAULT_RENDER_LIMITS) {}

  /** Renders `template` with `context` (plain JSON data); throws TemplateError or TemplateLimitError. */
  render(template: string, context: Record<string, unknown>): string {
    return this.renderWithin(template, context, this.limits.timeMs);
  }

  /**
   * Loads the engine and renders our own warm-up template with time to spare (the first run of the interpreter's
   * code is slow: V8 compiles the WebAssembly as it is first called). Never throws: a failed warm-up only means
   * the first job pays instead.
   */
  warmUp(template: string, context: Record<string, unknown>): void {
    try {
      this.renderWithin(template, context, WARM_UP_TIME_MS);
    } catch {
      // the next render loads the engine again if this one spoiled it
    }
  }

  private renderWithin(template: string, context: Record<string, unknown>, timeMs: number): string {
    const contextJson = JSON.stringify(context);
    const ctx = this.warmContext();
    this.renders++;
    this.deadline = renderClock() + timeMs;
    const fn = ctx.getProp(ctx.global, '__render');
    const args = [ctx.newString(template), ctx.newString(contextJson), ctx.newNumber(this.limits.outputChars)];
    let spoiled = false;
    try {
      const result = ctx.callFunction(fn, ctx.undefined, ...args);
      if (result.error) {
        // Only the runtime's own exceptions escape __render: the interrupt, an allocation failure, the stack.
        const message = String(ctx.dump(result.error)?.message ?? ctx.dump(result.error));
        result.error.dispose();
        spoiled = true;
        throw this.limitError(message);
      }
      const [ok, text, kind] = ctx.dump(result.value) as [boolean, string, string?];
      result.value.dispose();
      if (ok) return text;
      if (kind === 'output') throw new TemplateLimitError('output', text);
      if (kind === 'memory' || kind === 'stack') {
        spoiled = true;
        throw this.limitError(text);
      }
      throw new TemplateError(text);
    } catch (e) {
      if (e instanceof TemplateError || e instanceof TemplateLimitError) throw e;
      // An allocation failure can surface on the host side too (reading a result); treat it as the memory limit.
      spoiled = true;
      throw new TemplateLimitError('memory', `memory limit: the template needed more than ${this.limits.memoryBytes} bytes`);
    } finally {
      for (const h of args) if (h.alive) h.dispose();
      if (fn.alive) fn.dispose();
      if (spoiled || this.renders >= RENDERS_PER_CONTEXT) this.dispose();
    }
  }

  private limitError(message: string): TemplateLimitError {
    if (renderClock() >= this.deadline || /interrupted/i.test(message)) {
      return new TemplateLimitError('time', `time limit: the template ran longer than ${this.limits.timeMs} ms`);
    }
    if (/stack overflow|too much recursion/i.test(message)) return new TemplateLimitError('stack', 'stack limit: the template nests or recurses too deeply');
    return new TemplateLimitError('memory', `memory limit: the template needed more than ${this.limits.memoryBytes} bytes`);
  }

  private warmContext(): QuickJSContext {
    if (this.context) return this.context;
    const runtime = quickjs.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(GUEST_STACK_BYTES);
    runtime.setInterruptHandler(() => renderClock() > this.deadline);
    const context = runtime.newContext();
    this.deadline = renderClock() + 10_000; // loading the engine is ours, not a template's, to pay
    const loaded = context.evalCode(guestScript(), 'jinja2-guest.js');
    if (loaded.error) {
      const message = JSON.stringify(context.dump(loaded.error));
      loaded.error.dispose();
      context.dispose();
      runtime.dispose();
      throw new Error(`the template sandbox failed to load: ${message}`);
    }
    loaded.value.dispose();
    this.runtime = runtime;
    this.context = context;
    this.renders = 0;
    return context;
  }

  /** Frees the runtime (the next render builds a new one). */
  dispose(): void {
    this.context?.dispose();
    this.runtime?.dispose();
    this.context = undefined;
    this.runtime = undefined;
  }
}
