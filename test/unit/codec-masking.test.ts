import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { deviceJobSummary } from '../../src/domain/job-summary.js';
import { AesGcmCodec, isPublicSummary } from '../../src/temporal/codec.js';
import { maskCredentials, maskDecodedPayloads } from '../../src/temporal/codec-masking.js';

const json = (v: unknown) => ({ metadata: { [METADATA_ENCODING_KEY]: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });

describe('what the codec endpoint shows people', () => {
  it('masks credentials by key name at any depth, and whole header maps', () => {
    const input = {
      jobId: 'j1',
      request: {
        connection: { host: '10.0.0.1', username: 'admin', password: 'pw-1', secret: 'en-2', private_key: 'KEY', passphrase: 'pp' },
        webhook: { url: 'https://h/x', headers: { 'X-Custom': 'abc', Authorization: 'Bearer t' } },
        lines: ['show clock'],
      },
      env: { DB_PASSWORD: 'x', API_TOKEN: 'y', PATH: '/bin' },
    };
    const masked = JSON.stringify(maskCredentials(input));
    for (const secret of ['pw-1', 'en-2', 'KEY', '"pp"', 'abc', 'Bearer t', '"x"', '"y"']) expect(masked).not.toContain(secret);
    expect(masked).toContain('"username":"admin"');
    expect(masked).toContain('"PATH":"/bin"');
    expect(masked).toContain('show clock');
  });

  it('masks JSON payloads and leaves others as they are', () => {
    const [a, b] = maskDecodedPayloads([json({ password: 'p' }), { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/plain') }, data: Buffer.from('password=p') }]);
    expect(Buffer.from(a!.data!).toString()).toBe('{"password":"***"}');
    expect(Buffer.from(b!.data!).toString()).toBe('password=p');
  });
});

describe('memo summaries', () => {
  const codec = new AesGcmCodec('k1', Buffer.alloc(32, 7));

  it('stay in the clear; anything else is encrypted', async () => {
    const summary = deviceJobSummary({ mode: 'config', lineCount: 3, driver: 'netmiko', host: '10.0.0.1', queue: 'FifoQ' });
    expect(summary).toBe('switchyard: device job, 3 config line(s) via netmiko on 10.0.0.1 (FifoQ)');
    const [kept, object, long, plain] = await codec.encode([json(summary), json({ s: summary }), json(`switchyard: ${'x'.repeat(300)}`), json('hello')]);
    expect(Buffer.from(kept!.data!).toString()).toBe(JSON.stringify(summary));
    for (const p of [object, long, plain]) expect(Buffer.from(p!.metadata![METADATA_ENCODING_KEY]!).toString()).toBe('binary/encrypted');
    expect(isPublicSummary({ ...json(summary), metadata: { ...json(summary).metadata, extra: Buffer.from('1') } })).toBe(false);
  });
});
