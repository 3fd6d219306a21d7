import type { Config, OutboundConfig } from '../config/index.js';
import { bareHost, cidrContains, embeddedIpv4, parseCidr, parseIp, type Cidr, type IpAddress } from './address.js';

/**
 * The outbound policy: which destinations a request may make Switchyard connect to (webhooks, the `http`
 * service, GPU nodes). Pure decisions; src/net/outbound.ts applies them to every connection it opens.
 *
 * Order, first match wins:
 *   1. the scheme must be listed (`schemes`);
 *   2. `denyCidrs` / `denyHosts` (the operator's) and the stack's own servers (Temporal, MongoDB, Kafka): refused;
 *   3. `allowCidrs` / `allowHosts`: allowed;
 *   4. the built-in denials (`defaults`): refused;
 *   5. `allowOnly`: refused; otherwise allowed.
 * An IPv6 address is also judged by every IPv4 address it embeds (mapped, NAT64, 6to4, Teredo): the stricter wins.
 */

/** Cloud metadata and link-local: never a legitimate target for a request, in any environment. */
const METADATA_CIDRS = [
  '169.254.0.0/16', // link-local; AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
  'fe80::/10', // IPv6 link-local
  '100.100.100.200/32', // Alibaba Cloud metadata
  'fd00:ec2::254/128', // AWS metadata over IPv6
  '168.63.129.16/32', // Azure wire server (a public address, answered inside Azure only)
  '0.0.0.0/8', // "this network": 0.0.0.0 reaches the local host on Linux
  '::/128',
  '224.0.0.0/4', // multicast
  'ff00::/8',
  '240.0.0.0/4', // reserved, and 255.255.255.255
];
const METADATA_HOSTS = ['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal'];

/** Everything inside a deployment: loopback, private and shared ranges, and the documentation/benchmark ones. */
const INTERNAL_CIDRS = [
  ...METADATA_CIDRS,
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // carrier-grade NAT, also used inside clouds (Alibaba metadata, Tailscale)
  'fc00::/7', // unique local
  'fec0::/10', // deprecated site-local
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24', // documentation
  '198.18.0.0/15', // benchmarking
  '2001:db8::/32', // documentation
  '100::/64', // discard
];
const INTERNAL_HOSTS = [...METADATA_HOSTS, 'localhost', '*.localhost'];

export type OutboundDefaults = Exclude<OutboundConfig['defaults'], 'auto'>;

/** One of the stack's own servers; `port` null = any port. */
export interface StackEndpoint {
  what: string;
  host: string;
  port: number | null;
}

export interface PolicySettings extends Omit<OutboundConfig, 'defaults'> {
  defaults: OutboundDefaults;
  /** The stack's own servers: refused on their port, or on every port with the `internal` defaults. */
  stack: StackEndpoint[];
}

/** The decision when it is a refusal: why, in words an operator and a caller can act on. */
export interface Refusal {
  reason: string;
}

/** What the connection is about to reach. `addresses`: every address the name resolved to (or the literal). */
export interface ConnectionTarget {
  scheme: string;
  host: string;
  port: number;
  addresses: string[];
}

function hostMatches(pattern: string, host: string): boolean {
  const p = bareHost(pattern);
  if (p.startsWith('*.')) return host.endsWith(p.slice(1));
  return host === p;
}

function cidrs(list: readonly string[]): Cidr[] {
  return list.map((t) => {
    const c = parseCidr(t);
    if (!c) throw new Error(`not a CIDR: ${t}`);
    return c;
  });
}

export function defaultPort(scheme: string): number {
  return scheme === 'https' ? 443 : 80;
}

/** host:port of each server the configuration names (`mongodb+srv` names an SRV record: its name, any port). */
export function stackEndpoints(config: Config): StackEndpoint[] {
  const out: StackEndpoint[] = [];
  const hostPort = (what: string, text: string, fallback: number | null) => {
    const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(text.trim());
    if (m?.[1]) out.push({ what, host: bareHost(m[1]), port: m[2] ? Number(m[2]) : fallback });
  };
  hostPort('Temporal', config.temporal.address, 7233);
  for (const b of config.kafka.brokers) hostPort('Kafka', b, 9092);
  const mongo = /^mongodb(\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(config.mongo.url);
  if (mongo) for (const h of mongo[2]!.split(',')) hostPort('MongoDB', h, mongo[1] ? null : 27017);
  return out;
}

export function policySettings(config: Config): PolicySettings {
  const defaults = config.outbound.defaults === 'auto' ? (config.env === 'PRODUCTION' ? 'internal' : 'metadata') : config.outbound.defaults;
  return { ...config.outbound, defaults, stack: stackEndpoints(config) };
}

export type StackResolver = (host: string) => Promise<string[]>;

/** A policy in force. `resolveStack` finds the addresses of the stack servers named by host name. */
export class OutboundPolicy {
  private readonly schemes: Set<string>;
  private readonly denyCidrs: Cidr[];
  private readonly allowCidrs: Cidr[];
  private readonly builtinCidrs: Cidr[];
  private readonly builtinHosts: string[];
  private stackCache: { at: number; entries: { endpoint: StackEndpoint; ips: IpAddress[] }[] } | null = null;

  constructor(
    readonly settings: PolicySettings,
    private readonly resolveStack: StackResolver,
  ) {
    this.schemes = new Set(settings.schemes);
    this.denyCidrs = cidrs(settings.denyCidrs);
    this.allowCidrs = cidrs(settings.allowCidrs);
    this.builtinCidrs = cidrs(settings.defaults === 'internal' ? INTERNAL_CIDRS : settings.defaults === 'metadata' ? METADATA_CIDRS : []);
    this.builtinHosts = settings.defaults === 'internal' ? INTERNAL_HOSTS : settings.defaults === 'metadata' ? METADATA_HOSTS : [];
  }

  /** Stack servers count on every port under the `internal` defaults, on their own port otherwise (loopback dev). */
  private stackPortMatches(endpoint: StackEndpoint, port: number): boolean {
    return this.settings.defaults === 'internal' || endpoint.port === null || endpoint.port === port;
  }

  private checkScheme(scheme: string): Refusal | null {
    return this.schemes.has(scheme) ? null : { reason: `scheme ${scheme} is not allowed (allowed: ${[...this.schemes].join(', ')}; OUTBOUND_SCHEMES)` };
  }

  /** Checks on the name alone (no resolution): the operator's denied hosts, stack server names, built-in names. */
  private checkName(host: string, port: number): Refusal | null {
    const denied = this.settings.denyHosts.find((p) => hostMatches(p, host));
    if (denied) return { reason: `host ${host} is denied (${denied}; OUTBOUND_DENY_HOSTS)` };
    const stack = this.settings.stack.find((e) => e.host === host && this.stackPortMatches(e, port));
    if (stack) return { reason: `${host}:${port} is the stack's own ${stack.what} server` };
    if (this.hostAllowed(host)) return null;
    const builtin = this.builtinHosts.find((p) => hostMatches(p, host));
    if (builtin) return { reason: `host ${host} is denied by the built-in ${this.settings.defaults} list (${builtin}; OUTBOUND_DEFAULTS)` };
    return null;
  }

  private hostAllowed(host: string): boolean {
    return this.settings.allowHosts.some((p) => hostMatches(p, host));
  }

  /** The address checks, stack servers given as resolved addresses. */
  private checkAddress(host: string, port: number, text: string, stack: { endpoint: StackEndpoint; ips: IpAddress[] }[]): Refusal | null {
    const ip = parseIp(text);
    if (!ip) return { reason: `${text} is not an IP address` };
    const all = [ip, ...embeddedIpv4(ip)];
    const shown = (a: IpAddress) => (a === ip ? text : `${text} (which embeds ${Array.from(a.bytes).join('.')})`);
    for (const a of all) {
      const deny = this.denyCidrs.find((c) => cidrContains(c, a));
      if (deny) return { reason: `${shown(a)} is in the denied range ${deny.text} (OUTBOUND_DENY_CIDRS)` };
      const own = stack.find((s) => this.stackPortMatches(s.endpoint, port) && s.ips.some((x) => x.family === a.family && x.bytes.every((b, i) => b === a.bytes[i])));
      if (own) return { reason: `${shown(a)}:${port} is the stack's own ${own.endpoint.what} server (${own.endpoint.host})` };
    }
    if (this.hostAllowed(host) || all.some((a) => this.allowCidrs.some((c) => cidrContains(c, a)))) return null;
    for (const a of all) {
      const builtin = this.builtinCidrs.find((c) => cidrContains(c, a));
      if (builtin) return { reason: `${shown(a)} is in ${builtin.text}, denied by the built-in ${this.settings.defaults} list (OUTBOUND_DEFAULTS)` };
    }
    if (this.settings.allowOnly) return { reason: `${text} is not in OUTBOUND_ALLOW_CIDRS or OUTBOUND_ALLOW_HOSTS (OUTBOUND_ALLOW_ONLY)` };
    return null;
  }

  private async stackAddresses(): Promise<{ endpoint: StackEndpoint; ips: IpAddress[] }[]> {
    const now = Date.now();
    if (this.stackCache && now - this.stackCache.at < 60_000) return this.stackCache.entries;
    const entries = await Promise.all(
      this.settings.stack.map(async (endpoint) => {
        const literal = parseIp(endpoint.host);
        if (literal) return { endpoint, ips: [literal] };
        // A stack server whose name does not resolve here cannot be reached through it either.
        const found = await this.resolveStack(endpoint.host).catch(() => [] as string[]);
        return { endpoint, ips: found.map((t) => parseIp(t)).filter((x): x is IpAddress => x !== null) };
      }),
    );
    this.stackCache = { at: now, entries };
    return entries;
  }

  /**
   * What can be decided from a URL before anything resolves (at submission): the scheme, the host name, and an IP
   * literal's address. A name that passes is checked again on every address it resolves to, at connect time.
   */
  checkUrl(url: URL): Refusal | null {
    const scheme = url.protocol.replace(/:$/, '');
    const host = bareHost(url.hostname);
    const port = url.port ? Number(url.port) : defaultPort(scheme);
    const refusal = this.checkScheme(scheme) ?? this.checkName(host, port);
    if (refusal || !parseIp(host)) return refusal;
    const literalStack = this.settings.stack.flatMap((endpoint) => {
      const ip = parseIp(endpoint.host);
      return ip ? [{ endpoint, ips: [ip] }] : [];
    });
    return this.checkAddress(host, port, host, literalStack);
  }

  /** The check made on the connection itself: every address the name resolved to must pass. */
  async checkConnection(target: ConnectionTarget): Promise<Refusal | null> {
    const host = bareHost(target.host);
    const first = this.checkScheme(target.scheme) ?? this.checkName(host, target.port);
    if (first) return first;
    if (target.addresses.length === 0) return { reason: `${host} resolved to no address` };
    const stack = await this.stackAddresses();
    for (const address of target.addresses) {
      const refusal = this.checkAddress(host, target.port, address, stack);
      if (refusal) return host === bareHost(address) ? refusal : { reason: `${host} resolves to ${address}; ${refusal.reason}` };
    }
    return null;
  }
}
