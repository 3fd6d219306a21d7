import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP addresses and CIDR blocks as bytes, for the outbound policy. Only canonical text forms are literals here:
 * odd IPv4 spellings (`2852039166`, `0251.0376.0251.0376`, `127.1`, `0xa9fea9fe`) are host names to this module;
 * URLs reach it through the WHATWG parser, which rewrites them to dotted quads, and anything else is checked on
 * the address the resolver returns (getaddrinfo accepts those spellings too, and answers with the real address).
 */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
  /** As written in the configuration (or the built-in list), for messages. */
  text: string;
}

/** `[::1]` → `::1`, `fe80::1%eth0` → `fe80::1`, `example.com.` → `example.com`. */
export function bareHost(host: string): string {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0 && h.includes(':')) h = h.slice(0, zone);
  if (h.endsWith('.') && !isIPv4(h)) h = h.slice(0, -1);
  return h.toLowerCase();
}

export function parseIp(text: string): IpAddress | null {
  const t = bareHost(text);
  if (isIPv4(t)) return { family: 4, bytes: Uint8Array.from(t.split('.').map(Number)) };
  if (isIPv6(t)) return { family: 6, bytes: parseIpv6(t) };
  return null;
}

function parseIpv6(t: string): Uint8Array {
  let text = t;
  const tail: number[] = [];
  // An embedded dotted quad (`::ffff:1.2.3.4`) is the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail.push(...text.slice(lastColon + 1).split('.').map(Number));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

/** `10.0.0.0/8`, `fe80::/10`, or a bare address (a /32 or /128). Null when it is not one. */
export function parseCidr(text: string): Cidr | null {
  const [addr, bits, extra] = text.trim().split('/');
  if (extra !== undefined || addr === undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  return { family: ip.family, bytes: ip.bytes, prefix, text: text.trim() };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((cidr.bytes[i]! & mask) !== (ip.bytes[i]! & mask)) return false;
  }
  return true;
}

const v4 = (bytes: ArrayLike<number>): IpAddress => ({ family: 4, bytes: Uint8Array.from(bytes) });

/**
 * The IPv4 addresses an IPv6 address carries and reaches, so `::ffff:169.254.169.254` is judged as 169.254.169.254:
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), SIIT (::ffff:0:0:0/96), NAT64 (64:ff9b::/96 and the
 * local-use 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32: server, and the client obfuscated by XOR).
 */
export function embeddedIpv4(ip: IpAddress): IpAddress[] {
  if (ip.family !== 6) return [];
  const b = ip.bytes;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const last4 = b.slice(12, 16);
  const out: IpAddress[] = [];
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) out.push(v4(last4));
  else if (zero(0, 12) && !zero(12, 15)) out.push(v4(last4)); // ::a.b.c.d (not :: or ::1)
  else if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && zero(10, 12)) out.push(v4(last4));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && (zero(4, 12) || (b[4] === 0 && b[5] === 1))) out.push(v4(last4));
  if (b[0] === 0x20 && b[1] === 0x02) out.push(v4(b.slice(2, 6)));
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) {
    out.push(v4(b.slice(4, 8)));
    out.push(v4(Array.from(last4, (x) => x ^ 0xff)));
  }
  return out;
}
