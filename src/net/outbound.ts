import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import type { Config } from '../config/index.js';
import { bareHost } from './address.js';
import { defaultPort, OutboundPolicy, policySettings, type PolicySettings } from './policy.js';

/**
 * The one way Switchyard opens a connection a request can aim (webhooks, the `http` service, GPU nodes, and
 * anything added later): `outboundFor(config).fetch(url, init)`. Nothing in src/ or activities/ calls the global
 * `fetch` for such a target (test/unit/outbound-callers.test.ts looks).
 *
 * The check is made on the connection: an undici Agent whose connector resolves the name itself, checks every
 * address it got, and connects to the first one, by address. So the address checked is the address connected to
 * (a DNS answer that changes between a check and a connect — rebinding — cannot slip through), and every new
 * connection is checked, whatever made it: a redirect, a retry, a keep-alive pool refill. Redirects are followed
 * here, one hop at a time, each hop's URL checked first for a clear message, and its connection checked again.
 */

/** A destination the outbound policy refuses. Activities turn it into a non-retryable failure of that type. */
export class OutboundRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

/** Resolves a host name to every address it has (the system resolver by default; unit tests stub it). */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Request headers that carry the caller's credentials: not sent on to another origin after a redirect. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export interface OutboundInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** URL text without its credentials and query, for messages (a query may carry a token). */
export function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export class Outbound {
  readonly policy: OutboundPolicy;
  readonly dispatcher: Agent;

  constructor(settings: PolicySettings, resolve: Resolver = systemResolver) {
    this.policy = new OutboundPolicy(settings, resolve);
    const connect = buildConnector({});
    this.dispatcher = new Agent({
      connect: (opts, callback) => {
        const scheme = opts.protocol.replace(/:$/, '');
        const host = bareHost(opts.hostname);
        const port = opts.port ? Number(opts.port) : defaultPort(scheme);
        const addresses = isIP(host) ? Promise.resolve([host]) : resolve(host);
        addresses
          .then(async (found) => {
            const refusal = await this.policy.checkConnection({ scheme, host, port, addresses: found });
            if (refusal) throw new OutboundRefusedError(`outbound policy refused ${scheme}://${host}:${port}: ${refusal.reason}`);
            // Connect by address; TLS still verifies (and SNI still names) the host the URL named.
            connect({ ...opts, hostname: found[0]!, ...(scheme === 'https' && !isIP(host) ? { servername: host } : {}) }, callback);
          })
          .catch((e: unknown) => callback(e instanceof Error ? e : new Error(String(e)), null));
      },
    });
  }

  /** Throws OutboundRefusedError when the URL alone shows the policy refuses it (scheme, host name, IP literal). */
  assertUrl(url: URL, what = 'URL'): void {
    const refusal = this.policy.checkUrl(url);
    if (refusal) throw new OutboundRefusedError(`${what} ${safeUrl(url)} is refused by the outbound policy: ${refusal.reason}`);
  }

  /**
   * fetch through the policy. Redirects are followed here (at most `maxRedirects`), each hop checked; a 303, or a
   * 301/302 answering a POST, goes on as a GET without a body, and credentials are not carried to another origin.
   */
  async fetch(input: string | URL, init: OutboundInit = {}): Promise<Response> {
    let url = new URL(input);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers: Record<string, string> = { ...init.headers };
    this.assertUrl(url);
    for (let hop = 0; ; hop++) {
      const res = await this.fetchOnce(url, { method, headers, body, signal: init.signal, redirect: 'manual', dispatcher: this.dispatcher });
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || location === null) return res;
      await res.body?.cancel().catch(() => undefined);
      if (hop >= this.policy.settings.maxRedirects) {
        throw new OutboundRefusedError(`outbound policy refused ${safeUrl(url)}: more than ${this.policy.settings.maxRedirects} redirects (OUTBOUND_MAX_REDIRECTS)`);
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new OutboundRefusedError(`${safeUrl(url)} redirected to an invalid URL`);
      }
      const refusal = this.policy.checkUrl(next);
      if (refusal) throw new OutboundRefusedError(`outbound policy refused the redirect from ${safeUrl(url)} to ${safeUrl(next)}: ${refusal.reason}`);
      if (res.status === 303 ? method !== 'HEAD' : (res.status === 301 || res.status === 302) && method === 'POST') {
        method = 'GET';
        body = undefined;
        for (const h of Object.keys(headers)) if (/^content-/i.test(h)) delete headers[h];
      }
      if (next.origin !== url.origin) for (const h of Object.keys(headers)) if (CREDENTIAL_HEADERS.includes(h.toLowerCase())) delete headers[h];
      url = next;
    }
  }

  private async fetchOnce(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await undiciFetch(url, init);
    } catch (e) {
      // fetch wraps what the connector threw in a TypeError('fetch failed', {cause}).
      const cause = (e as { cause?: unknown }).cause;
      if (cause instanceof OutboundRefusedError) throw cause;
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

const perConfig = new WeakMap<Config, Outbound>();

/** The process's Outbound for a configuration (one connection pool per parsed configuration). */
export function outboundFor(config: Config): Outbound {
  let o = perConfig.get(config);
  if (!o) {
    o = new Outbound(policySettings(config));
    perConfig.set(config, o);
  }
  return o;
}
