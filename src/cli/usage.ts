/** A command line the CLI cannot run: printed as one line plus a hint, exit code 2 (never a stack trace). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
