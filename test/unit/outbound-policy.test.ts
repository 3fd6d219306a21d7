import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { webhookSchema } from '../../src/device/request.js';
import { headerProblem } from '../../src/domain/http-headers.js';
import { checkAction, type SchedulerError } from '../../src/scheduler/actions.js';
import { embeddedIpv4, parseCidr, parseIp } from '../../src/net/address.js';
import { Outbound, OutboundRefusedError } from '../../src/net/outbound.js';
import { policySettings, stackEndpoints, type PolicySettings } from '../../src/net/policy.js';

// Nothing here opens a connection: every name resolves through a stub, and every destination tested through
// `fetch` is refused by the connector before it connects. Allowed destinations are judged by the policy alone.

const PUBLIC = '93.184.216.34';
const DNS: Record<string, string[]> = {
  'hooks.example.com': [PUBLIC],
  'metadata.attacker.example': ['169.254.169.254'],
  'private.attacker.example': ['10.1.2.3'],
  'mixed.attacker.example': [PUBLIC, '169.254.169.254'],
  'v6meta.attacker.example': ['::ffff:169.254.169.254'],
  'hooks.corp.example': ['10.20.1.1'],
  'kafka.prod.example': ['34.1.2.3'],
  'loop.attacker.example': ['127.0.0.1'],
  'mongo-b.prod.example': ['35.1.1.1'],
  localhost: ['127.0.0.1', '::1'],
};
const resolved: string[] = [];
const stubResolver = async (host: string): Promise<string[]> => {
  resolved.push(host);
  const found = DNS[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

function configFor(env: 'TEST' | 'PRODUCTION', outbound: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      env,
      ...(env === 'PRODUCTION'
        ? { auth: { deviceApiKey: 'k'.repeat(16), schedulerJwtSecret: 's'.repeat(32), gpuApiKey: 'g'.repeat(16), serviceAuthToken: 't'.repeat(16), codecOperatorToken: 'o'.repeat(16) }, codec: { key: Buffer.alloc(32, 7).toString('base64') } }
        : {}),
      temporal: { address: 'temporal.prod.example:7233' },
      kafka: { brokers: ['kafka.prod.example:9092'] },
      mongo: { url: 'mongodb://user:pw@10.9.9.9:27017,mongo-b.prod.example:27018/db' },
      outbound,
      ...extra,
    },
  });
}

const outbounds: Outbound[] = [];
function outboundOf(settings: PolicySettings): Outbound {
  const o = new Outbound(settings, stubResolver);
  outbounds.push(o);
  return o;
}
afterAll(async () => {
  await Promise.all(outbounds.map((o) => o.close()));
});

const prod = () => outboundOf(policySettings(configFor('PRODUCTION')));
const dev = () => outboundOf(policySettings(configFor('TEST')));

async function connection(o: Outbound, url: string): Promise<string | null> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const addresses = parseIp(host) ? [host] : await stubResolver(host);
  const scheme = u.protocol.slice(0, -1);
  const r = await o.policy.checkConnection({ scheme, host, port: u.port ? Number(u.port) : scheme === 'https' ? 443 : 80, addresses });
  return r?.reason ?? null;
}
const urlRefusal = (o: Outbound, url: string) => o.policy.checkUrl(new URL(url))?.reason ?? null;

describe('addresses', () => {
  it('parses IPv4, IPv6 and embedded IPv4 forms', () => {
    expect(Array.from(parseIp('169.254.169.254')!.bytes)).toEqual([169, 254, 169, 254]);
    expect(parseIp('[::1]')!.bytes[15]).toBe(1);
    expect(parseIp('2852039166')).toBeNull(); // odd spellings are names here: the URL parser or the resolver turns them into addresses
    for (const mapped of ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:a9fe:a9fe', '::169.254.169.254', '::ffff:0:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '64:ff9b:1::a9fe:a9fe', '2002:a9fe:a9fe::1']) {
      expect(embeddedIpv4(parseIp(mapped)!).map((a) => Array.from(a.bytes).join('.')), mapped).toContain('169.254.169.254');
    }
    // Teredo: the client address is stored inverted.
    expect(embeddedIpv4(parseIp('2001:0:4136:e378:8000:63bf:5601:5601')!).map((a) => Array.from(a.bytes).join('.'))).toContain('169.254.169.254');
    expect(embeddedIpv4(parseIp('::1')!)).toEqual([]);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('fe80::/10')!.prefix).toBe(10);
    expect(parseCidr('nonsense')).toBeNull();
  });
});

describe('outbound policy (resolver stubbed)', () => {
  it('refuses cloud metadata and link-local addresses in every environment', async () => {
    for (const o of [prod(), dev()]) {
      for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://169.254.170.2/v2/credentials', 'http://100.100.100.200/latest/meta-data', 'http://[fd00:ec2::254]/', 'http://[fe80::1]/', 'http://168.63.129.16/', 'http://0.0.0.0:8080/', 'http://[::]/']) {
        expect(urlRefusal(o, url), url).toMatch(/denied by the built-in (internal|metadata) list/);
        expect(await connection(o, url), url).toMatch(/denied by the built-in/);
      }
      expect(urlRefusal(o, 'http://metadata.google.internal/computeMetadata/v1/')).toMatch(/host metadata\.google\.internal is denied/);
    }
  });

  it('refuses odd IPv4 spellings of the metadata address (decimal, octal, hex, short forms)', () => {
    const o = dev();
    for (const url of ['http://2852039166/', 'http://0251.0376.0251.0376/', 'http://0xa9fea9fe/', 'http://0xA9.0xFE.0xA9.0xFE/', 'http://169.254.43518/', 'http://169.16689662/', 'http://0251.254.169.254/']) {
      expect(urlRefusal(o, url), url).toMatch(/169\.254\.169\.254 is in 169\.254\.0\.0\/16/);
    }
  });

  it('refuses IPv6 forms that embed a denied IPv4 address', async () => {
    const o = dev();
    for (const url of ['http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[0:0:0:0:0:ffff:169.254.169.254]/', 'http://[::169.254.169.254]/', 'http://[64:ff9b::169.254.169.254]/', 'http://[2002:a9fe:a9fe::]/']) {
      expect(urlRefusal(o, url), url).toMatch(/embeds 169\.254\.169\.254/);
    }
    expect(await connection(o, 'http://v6meta.attacker.example/')).toMatch(/v6meta\.attacker\.example resolves to ::ffff:169\.254\.169\.254; ::ffff:169\.254\.169\.254 \(which embeds 169\.254\.169\.254\) is in 169\.254\.0\.0\/16/);
    expect(urlRefusal(prod(), 'http://[::ffff:127.0.0.1]:9000/')).toMatch(/embeds 127\.0\.0\.1/);
  });

  it('in PRODUCTION refuses loopback, private and shared ranges, and the stack’s own servers on any port', async () => {
    const o = prod();
    for (const url of ['http://127.0.0.1:7233/', 'http://127.3.4.5/', 'http://[::1]/', 'http://10.1.2.3/', 'http://172.16.0.1/', 'http://172.31.255.255/', 'http://192.168.1.1/', 'http://100.64.0.1/', 'http://[fd12::1]/', 'http://[fc00::1]/']) {
      expect(urlRefusal(o, url), url).toMatch(/denied by the built-in internal list/);
    }
    expect(urlRefusal(o, 'http://localhost:8080/')).toMatch(/host localhost is denied/);
    expect(urlRefusal(o, 'http://a.b.localhost/')).toMatch(/denied/);
    expect(urlRefusal(o, 'http://172.32.0.1/')).toBeNull();
    expect(urlRefusal(o, `http://${PUBLIC}/`)).toBeNull();
    // The stack: MongoDB by literal (any port), Kafka by name and by the address its name resolves to.
    expect(urlRefusal(o, 'http://10.9.9.9:8080/')).toMatch(/stack's own MongoDB server|denied/);
    expect(urlRefusal(o, 'http://kafka.prod.example:80/')).toMatch(/stack's own Kafka server/);
    expect(await connection(o, 'http://34.1.2.3:8080/')).toMatch(/34\.1\.2\.3:8080 is the stack's own Kafka server \(kafka\.prod\.example\)/);
    expect(await connection(o, 'http://mongo-b.prod.example:1/')).toMatch(/stack's own MongoDB server/);
    expect(await connection(o, 'https://hooks.example.com/x')).toBeNull();
  });

  it('outside PRODUCTION allows loopback but still refuses the stack servers on their own ports', async () => {
    const o = outboundOf(policySettings(configFor('TEST', {}, { temporal: { address: '127.0.0.1:7233' }, kafka: { brokers: ['127.0.0.1:9092'] }, mongo: { url: 'mongodb://127.0.0.1:27017' } })));
    expect(urlRefusal(o, 'http://127.0.0.1:8080/hook')).toBeNull();
    expect(await connection(o, 'http://localhost:8080/hook')).toBeNull();
    expect(urlRefusal(o, 'http://127.0.0.1:27017/')).toMatch(/127\.0\.0\.1:27017 is the stack's own MongoDB server/);
    expect(urlRefusal(o, 'http://127.0.0.1:7233/')).toMatch(/Temporal/);
    expect(await connection(o, 'http://loop.attacker.example:9092/')).toMatch(/loop\.attacker\.example resolves to 127\.0\.0\.1; 127\.0\.0\.1:9092 is the stack's own Kafka server/);
  });

  it('refuses a DNS name that resolves to a denied address, and a name with any denied address among its answers', async () => {
    const o = prod();
    expect(urlRefusal(o, 'http://metadata.attacker.example/')).toBeNull(); // a name: not known before it resolves
    expect(await connection(o, 'http://metadata.attacker.example/')).toMatch(/metadata\.attacker\.example resolves to 169\.254\.169\.254; 169\.254\.169\.254 is in 169\.254\.0\.0\/16/);
    expect(await connection(o, 'http://private.attacker.example/')).toMatch(/resolves to 10\.1\.2\.3/);
    expect(await connection(o, 'http://mixed.attacker.example/')).toMatch(/resolves to 169\.254\.169\.254/);
  });

  it('refuses through fetch itself, at the connector, before any connection (resolver stubbed)', async () => {
    const o = prod();
    resolved.length = 0;
    await expect(o.fetch('http://metadata.attacker.example/latest/meta-data/')).rejects.toThrow(OutboundRefusedError);
    await expect(o.fetch('http://metadata.attacker.example/latest/meta-data/')).rejects.toThrow(/outbound policy refused http:\/\/metadata\.attacker\.example:80: metadata\.attacker\.example resolves to 169\.254\.169\.254/);
    expect(resolved).toContain('metadata.attacker.example');
    await expect(o.fetch('http://169.254.169.254/')).rejects.toThrow(/is refused by the outbound policy/);
    await expect(o.fetch('http://2852039166/')).rejects.toThrow(OutboundRefusedError);
    await expect(o.fetch('ftp://hooks.example.com/')).rejects.toThrow(/scheme ftp is not allowed/);
  });

  it('applies the operator’s allow and deny lists in their order', async () => {
    const o = outboundOf(policySettings(configFor('PRODUCTION', { allowCidrs: ['10.20.0.0/16'], denyCidrs: ['10.20.5.5/32', '93.184.0.0/16'], allowHosts: ['hooks.corp.example'], denyHosts: ['*.evil.example'] })));
    expect(urlRefusal(o, 'http://10.20.1.1/')).toBeNull();
    expect(urlRefusal(o, 'http://10.30.0.1/')).toMatch(/built-in internal/);
    expect(urlRefusal(o, 'http://10.20.5.5/')).toMatch(/denied range 10\.20\.5\.5\/32 \(OUTBOUND_DENY_CIDRS\)/);
    expect(await connection(o, 'http://hooks.corp.example/')).toBeNull();
    expect(await connection(o, 'http://hooks.example.com/')).toMatch(/93\.184\.0\.0\/16/);
    expect(urlRefusal(o, 'http://a.evil.example/')).toMatch(/OUTBOUND_DENY_HOSTS/);
    expect(urlRefusal(o, 'http://evil.example/')).toBeNull();
    // The stack's own servers stay refused even inside an allowed range.
    const wide = outboundOf(policySettings(configFor('PRODUCTION', { allowCidrs: ['10.0.0.0/8'] })));
    expect(urlRefusal(wide, 'http://10.9.9.9:80/')).toMatch(/MongoDB/);
    expect(urlRefusal(wide, 'http://10.9.9.8:80/')).toBeNull();
  });

  it('allowOnly refuses everything not allowed; schemes limit what a URL may use', async () => {
    const o = outboundOf(policySettings(configFor('TEST', { allowOnly: true, allowHosts: ['hooks.example.com'], schemes: ['https'] })));
    expect(await connection(o, 'https://hooks.example.com/')).toBeNull();
    expect(await connection(o, 'https://private.attacker.example/')).toMatch(/OUTBOUND_ALLOW_ONLY/);
    expect(urlRefusal(o, `https://${PUBLIC}/`)).toMatch(/OUTBOUND_ALLOW_ONLY/);
    expect(urlRefusal(o, 'http://hooks.example.com/')).toMatch(/scheme http is not allowed/);
  });

  it('reads the stack servers from the configuration', () => {
    const c = configFor('TEST', {}, { mongo: { url: 'mongodb+srv://u:p@cluster0.example.net/db' } });
    expect(stackEndpoints(c)).toEqual([
      { what: 'Temporal', host: 'temporal.prod.example', port: 7233 },
      { what: 'Kafka', host: 'kafka.prod.example', port: 9092 },
      { what: 'MongoDB', host: 'cluster0.example.net', port: null },
    ]);
  });

  it('parses the configuration keys and refuses a bad CIDR', () => {
    const c = loadConfig({ env: { OUTBOUND_DENY_CIDRS: '127.0.0.2/32, fd00::/8', OUTBOUND_ALLOW_HOSTS: '*.corp.example', OUTBOUND_DEFAULTS: 'none', OUTBOUND_ALLOW_ONLY: 'false', OUTBOUND_SCHEMES: 'https' } });
    expect(c.outbound).toMatchObject({ denyCidrs: ['127.0.0.2/32', 'fd00::/8'], allowHosts: ['*.corp.example'], defaults: 'none', schemes: ['https'] });
    expect(() => loadConfig({ env: { OUTBOUND_DENY_CIDRS: '10.0.0.0/40' } })).toThrow(/OUTBOUND_DENY_CIDRS/);
    expect(policySettings(loadConfig({ env: {} })).defaults).toBe('metadata');
    const dir = mkdtempSync(join(tmpdir(), 'sy-outbound-'));
    writeFileSync(join(dir, 'c.yaml'), 'outbound:\n  denyHosts: ["*.corp.example"]\n  allowOnly: true\n');
    expect(loadConfig({ env: {}, file: join(dir, 'c.yaml') }).outbound).toMatchObject({ denyHosts: ['*.corp.example'], allowOnly: true, maxRedirects: 5 });
  });
});

describe('scheduled actions', () => {
  it('refuse a webhook or an http service URL the policy refuses, naming the action field', async () => {
    const config = configFor('TEST');
    const admin = { sub: 'root', role: 'admin' as const };
    const conn = { host: '10.0.0.1', username: 'u', password: 'p', device_type: 'cisco_ios' };
    // checkAction is async: a device action's template renders on the render thread.
    const problems = async (action: Record<string, unknown>) => {
      try {
        await checkAction(config, admin, action as { type: string });
        return [];
      } catch (e) {
        return (e as SchedulerError).problems;
      }
    };
    expect(await problems({ type: 'device', driver: 'netmiko', connection_args: conn, command: 'show clock', webhook: { url: 'http://169.254.169.254/' } })).toEqual([
      { field: 'action.webhook.url', message: expect.stringMatching(/outbound policy: 169\.254\.169\.254 is in 169\.254\.0\.0\/16/) },
    ]);
    expect(await problems({ type: 'service', service: 'http', condition: { url: 'http://[::ffff:169.254.169.254]/' } })).toEqual([
      { field: 'action.condition.url', message: expect.stringMatching(/outbound policy/) },
    ]);
    expect(await problems({ type: 'service', service: 'http', condition: { url: 'http://127.0.0.1:8080/', headers: { 'X-A': 'a\nb' } } })).toEqual([
      { field: 'action.condition.headers', message: expect.stringMatching(/CR, LF or NUL/) },
    ]);
    expect(await problems({ type: 'service', service: 'http', condition: { url: 'http://127.0.0.1:8080/' } })).toEqual([]);
  });
});

describe('headers from request data', () => {
  it('refuses CR, LF and NUL in values, non-token names and framing headers', () => {
    expect(headerProblem('X-Token', 'abc')).toBeNull();
    expect(headerProblem('X-Token', 'abc\r\nX-Injected: 1')).toMatch(/CR, LF or NUL/);
    expect(headerProblem('X-Token', 'abc\nX-Injected: 1')).toMatch(/CR, LF or NUL/);
    expect(headerProblem('X-Token', 'a\0b')).toMatch(/CR, LF or NUL/);
    expect(headerProblem('X-Injected: 1\r\nX-Token', 'v')).toMatch(/not a token/);
    expect(headerProblem('Bad Name', 'v')).toMatch(/not a token/);
    for (const h of ['Host', 'content-length', 'Transfer-Encoding', 'connection']) expect(headerProblem(h, 'x')).toMatch(/set by Switchyard/);
  });

  it('refuses such webhook headers in the device request model (a 400 naming webhook.headers)', () => {
    const bad = webhookSchema.safeParse({ url: 'http://127.0.0.1:1/h', headers: { 'X-A': 'x\r\nX-B: y' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['headers'], message: expect.stringMatching(/CR, LF or NUL/) });
    expect(webhookSchema.safeParse({ url: 'http://127.0.0.1:1/h', headers: { 'X-A\r\nX-B': 'y' } }).success).toBe(false);
    expect(webhookSchema.safeParse({ url: 'http://127.0.0.1:1/h', headers: { 'X-A': 'ok' } }).success).toBe(true);
  });
});

describe('every outbound call goes through src/net/outbound.ts', () => {
  it('finds no other fetch or http(s).request in src/ and activities/ (except our own probes and metrics, the CLI client and the GPU agent)', () => {
    const root = join(import.meta.dirname, '..', '..');
    // These call our own API, probes or the SDK's local metrics exporter at configured addresses, never a target a
    // request names.
    const exempt = new Set(['src/net/outbound.ts', 'src/healthcheck.ts', 'src/lifecycle/dev.ts', 'src/cli/http.ts', 'src/temporal/runtime.ts', 'src/gpu-agent/index.ts']);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) {
          const rel = relative(root, path);
          const text = readFileSync(path, 'utf8');
          if (!exempt.has(rel) && /(?<![.\w])fetch\(|\bhttps?\.(request|get)\(|import\s+\{[^}]*\}\s+from 'undici'|\bnew Agent\(/.test(text.replace(/\/\/.*$/gm, ''))) offenders.push(rel);
        }
      }
    };
    walk(join(root, 'src'));
    walk(join(root, 'activities'));
    expect(offenders).toEqual([]);
  });
});
