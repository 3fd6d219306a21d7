/** Plain-text output of the CLI: tables, durations, a progress bar that redraws itself only on a terminal. */

export interface Column<T> {
  title: string;
  value: (row: T) => string;
}

/** Left-aligned columns sized to their widest cell; long cells are cut with an ellipsis. */
export function table<T>(rows: T[], columns: Column<T>[], maxWidth = 60): string {
  const cells = rows.map((r) => columns.map((c) => cut(c.value(r), maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.title.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

function cut(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '-';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * One line of progress: `[#####-----] 12/40 finished 10, failed 2 · 3.4 s`. On a terminal it redraws in place; on a
 * pipe or file it prints a line only when something changed, at most once a second unless forced, so logs stay readable.
 */
export class ProgressBar {
  private lastText = '';
  private lastPrinted = 0;
  private readonly started = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number,
    private readonly width = 30,
  ) {}

  update(done: number, detail: string, force = false): void {
    const filled = this.total === 0 ? this.width : Math.round((done / this.total) * this.width);
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    const text = `[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${done}/${this.total} ${detail} · ${elapsed} s`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${text}`);
      return;
    }
    const body = text.replace(/ · [\d.]+ s$/, '');
    // Off a terminal: a line only when something changed, and (unless forced) at most one a second.
    if (body === this.lastText.replace(/ · [\d.]+ s$/, '') || (!force && Date.now() - this.lastPrinted < 1000)) return;
    this.lastText = text;
    this.lastPrinted = Date.now();
    this.out.write(`${text}\n`);
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
