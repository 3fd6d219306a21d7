/** A template that Python textfsm would refuse to load (`textfsm.TextFSMTemplateError`). */
export class TextFsmTemplateError extends Error {
  /** 1-based template line the error was found on, when Python's message names one. */
  readonly line: number | null;

  constructor(message: string, line: number | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TextFsmTemplateError';
    this.line = line;
  }
}

/** A failure while parsing text: an `Error` action fired, or the input broke the state machine (`TextFSMError`). */
export class TextFsmError extends Error {
  /** Template line of the rule that raised, when an `Error` action did. */
  readonly ruleLine: number | null;
  /** The input line being processed. */
  readonly inputLine: string | null;

  constructor(message: string, ruleLine: number | null = null, inputLine: string | null = null) {
    super(message);
    this.name = 'TextFsmError';
    this.ruleLine = ruleLine;
    this.inputLine = inputLine;
  }
}
