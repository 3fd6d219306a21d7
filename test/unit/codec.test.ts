import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec, CodecKeyError, ENCRYPTED_ENCODING } from '../../src/temporal/codec.js';
import { createCodecEndpoint } from '../../src/api/codec-endpoint.js';
import { loadConfig } from '../../src/config/index.js';

const key = randomBytes(32);
const codec = new AesGcmCodec('k1', key);

describe('AesGcmCodec', () => {
  it('round-trips a payload and hides its content', async () => {
    const payload = defaultPayloadConverter.toPayload({ password: 'hunter2-secret' });
    const [encoded] = await codec.encode([payload]);
    expect(Buffer.from(encoded!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('hunter2');
    expect(JSON.stringify(encoded!.metadata)).not.toContain('json/plain');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ password: 'hunter2-secret' });
  });

  it('uses a fresh IV for every payload', async () => {
    const payload = defaultPayloadConverter.toPayload('same');
    const [a, b] = await codec.encode([payload, payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('refuses tampered data and unknown keys', async () => {
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const data = Buffer.from(encoded!.data!);
    data[data.length - 20]! ^= 1;
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow();
    const other = new AesGcmCodec('k2', randomBytes(32));
    await expect(other.decode([encoded!])).rejects.toBeInstanceOf(CodecKeyError);
  });

  it('passes unencrypted payloads through', async () => {
    const plain = defaultPayloadConverter.toPayload(1);
    expect(await codec.decode([plain])).toEqual([plain]);
  });
});

describe('codec endpoint', () => {
  const app = createCodecEndpoint({ codec, operatorToken: 'operator-token-1', uiOrigins: ['http://localhost:8233'] });
  const body = async () => {
    const [p] = await codec.encode([defaultPayloadConverter.toPayload({ a: 1 })]);
    return {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(p!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(p!.data!).toString('base64'),
        },
      ],
    };
  };

  it('answers the UI preflight for its exact origin only', async () => {
    const ok = await app.request('/codec/decode', {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Headers': 'x-namespace, content-type' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/x-namespace, content-type/);
    const bad = await app.request('/codec/decode', { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('decodes for the operator and for nobody else', async () => {
    const req = async (headers: Record<string, string>) =>
      app.request('/codec/decode', { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify(await body()) });
    const denied = await req({});
    expect(denied.status).toBe(401);
    expect((await req({ authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await req({ authorization: 'Bearer operator-token-1' });
    expect(ok.status).toBe(200);
    const json = (await ok.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(json.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(json.payloads[0]!.data, 'base64').toString())).toEqual({ a: 1 });
    const cookie = await req({ cookie: 'switchyard_codec=operator-token-1' });
    expect(cookie.status).toBe(200);
  });
});

describe('key rotation', () => {
  it('decodes payloads written under a previous key, encodes only with the current one', async () => {
    const oldKey = randomBytes(32);
    const [written] = await new AesGcmCodec('k-old', oldKey).encode([defaultPayloadConverter.toPayload({ before: 'rotation' })]);
    const rotated = new AesGcmCodec('k-new', randomBytes(32), { 'k-old': oldKey });
    const [decoded] = await rotated.decode([written!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ before: 'rotation' });
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload('after')]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k-new');
    // Without the previous key the old payload is refused by its key id.
    await expect(new AesGcmCodec('k-new', randomBytes(32)).decode([written!])).rejects.toBeInstanceOf(CodecKeyError);
  });

  it('takes previous keys from CODEC_PREVIOUS_KEYS and refuses one that is not a 32-byte key', () => {
    const old = randomBytes(32).toString('base64');
    expect(loadConfig({ env: { CODEC_PREVIOUS_KEYS: JSON.stringify({ 'k-old': old }) } }).codec.previousKeys).toEqual({ 'k-old': old });
    expect(() => loadConfig({ env: { CODEC_PREVIOUS_KEYS: JSON.stringify({ 'k-old': 'c2hvcnQ=' }) } })).toThrow(/32 bytes/);
  });
});
