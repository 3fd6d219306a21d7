import { StringDecoder } from 'node:string_decoder';

/**
 * Event-driven reads on an interactive channel (an SSH shell or a telnet connection): every wait returns the moment
 * its matcher matches, a timeout only bounds how long it may take. Nothing here sleeps or polls.
 */

/** What a reader needs of a transport: bytes in, bytes out, and the end. */
export interface CliChannel {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  write(data: string): unknown;
  /** SSH channels carry a separate stderr stream; its bytes are read like stdout. */
  readonly stderr?: { on(event: 'data', listener: (chunk: Buffer) => void): unknown };
}

/** Index just past the match in the buffer, or -1. */
export type Matcher = (buf: string) => number;

interface Waiter {
  match: Matcher;
  resolve: (text: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class ChannelReader {
  private buf = '';
  private waiter: Waiter | null = null;
  private closedError: Error | null = null;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly channel: CliChannel,
    private readonly onClosed: () => Error,
    private readonly log?: (dir: 'in' | 'out', text: string) => void,
  ) {
    const onData = (chunk: Buffer): void => {
      const text = this.decoder.write(chunk);
      this.log?.('in', text);
      this.buf += text;
      this.check();
    };
    channel.on('data', onData);
    channel.stderr?.on('data', onData);
    channel.on('close', () => {
      this.closedError = this.onClosed();
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        clearTimeout(w.timer);
        w.reject(this.closedError);
      }
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Unconsumed text, for diagnostics. */
  peek(): string {
    return this.buf;
  }

  write(text: string, logged: string = text): void {
    if (this.closedError) throw this.closedError;
    this.log?.('out', logged);
    this.channel.write(text);
  }

  /** Drops everything received so far. */
  clear(): string {
    const b = this.buf;
    this.buf = '';
    return b;
  }

  /** Resolves with the text up to the matcher's end index, as soon as it matches; the rest stays buffered. */
  waitFor(match: Matcher, timeoutMs: number, onTimeout: (buf: string) => Error): Promise<string> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.waiter) return Promise.reject(new Error('ChannelReader: concurrent reads are not allowed'));
    const end = match(this.buf);
    if (end >= 0) return Promise.resolve(this.take(end));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(onTimeout(this.buf));
      }, timeoutMs);
      this.waiter = { match, resolve, reject, timer };
    });
  }

  private take(end: number): string {
    const out = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    return out;
  }

  private check(): void {
    const w = this.waiter;
    if (!w) return;
    const end = w.match(this.buf);
    if (end < 0) return;
    this.waiter = null;
    clearTimeout(w.timer);
    w.resolve(this.take(end));
  }
}
