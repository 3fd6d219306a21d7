/**
 * The fault suite's HTTP client: every answer and every failure to get one is counted, so a scenario can report
 * how many 5xx answers and refused connections clients saw while a server was down.
 */

export interface HttpAnswer {
  status: number;
  json: unknown;
  ms: number;
}

/** No HTTP answer at all: refused, reset, or no answer within the timeout. */
export class NoAnswerError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`no answer from ${url}: ${reason}`);
    this.name = 'NoAnswerError';
  }
}

export interface HttpCounters {
  requests: number;
  answers: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  /** 503 answers among the 5xx (a dependency is down: the documented "try again" answer). */
  '503': number;
  noAnswer: number;
  /** Slowest answer, ms. */
  slowestMs: number;
}

export function emptyCounters(): HttpCounters {
  return { requests: 0, answers: 0, '2xx': 0, '4xx': 0, '5xx': 0, '503': 0, noAnswer: 0, slowestMs: 0 };
}

/** The five-hundreds seen, with what answered them (for the report when one is not a 503). */
export interface FiveHundred {
  method: string;
  path: string;
  status: number;
  body: string;
  /** The answer's Retry-After header (a 503 must carry one). */
  retryAfter: string | null;
}

export class HttpClient {
  counters = emptyCounters();
  fiveHundreds: FiveHundred[] = [];

  constructor(private readonly timeoutMs = 60_000) {}

  resetCounters(): HttpCounters {
    const c = this.counters;
    this.counters = emptyCounters();
    this.fiveHundreds = [];
    return c;
  }

  async call(method: string, url: string, headers: Record<string, string>, body?: unknown, timeoutMs = this.timeoutMs): Promise<HttpAnswer> {
    this.counters.requests++;
    const started = Date.now();
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      this.counters.noAnswer++;
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new NoAnswerError(url, cause ?? (e as Error).name ?? String(e));
    }
    const ms = Date.now() - started;
    this.counters.answers++;
    this.counters.slowestMs = Math.max(this.counters.slowestMs, ms);
    if (res.status >= 500) {
      this.counters['5xx']++;
      if (res.status === 503) this.counters['503']++;
      if (this.fiveHundreds.length < 200) this.fiveHundreds.push({ method, path: new URL(url).pathname, status: res.status, body: text.slice(0, 300), retryAfter: res.headers.get('retry-after') });
    } else if (res.status >= 400) this.counters['4xx']++;
    else if (res.status >= 200 && res.status < 300) this.counters['2xx']++;
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, ms };
  }
}
