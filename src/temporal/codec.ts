import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { MAX_SUMMARY_CHARS, PUBLIC_SUMMARY_PREFIX } from '../domain/job-summary.js';
// A CommonJS package: Node's ESM loader cannot see its named exports.
import proto from '@temporalio/proto';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

/**
 * A job's memo summary (src/domain/job-summary.ts): a JSON string of at most MAX_SUMMARY_CHARS starting with
 * PUBLIC_SUMMARY_PREFIX. The one payload left in the clear, so the Temporal UI's list reads without the codec;
 * it is built from fields that are never secret. Anything else, however it looks, is encrypted.
 */
export function isPublicSummary(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  if (!encoding || Buffer.from(encoding).toString() !== 'json/plain' || !payload.data) return false;
  if (Object.keys(payload.metadata ?? {}).length !== 1 || payload.data.length > MAX_SUMMARY_CHARS * 4 + 2) return false;
  try {
    const v: unknown = JSON.parse(Buffer.from(payload.data).toString('utf8'));
    return typeof v === 'string' && v.startsWith(PUBLIC_SUMMARY_PREFIX) && v.length <= MAX_SUMMARY_CHARS;
  } catch {
    return false;
  }
}

/**
 * AES-256-GCM over the whole serialized payload (metadata included), so workflow history holds no request
 * field in plaintext: device passwords, keys and tokens stay unreadable without the key.
 */
export class AesGcmCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly keyId: string,
    key: Buffer,
    /** Older keys still accepted for decoding, by id (rotation). */
    previous: Record<string, Buffer> = {},
  ) {
    if (key.length !== 32) throw new CodecKeyError('the codec key must be 32 bytes');
    this.keys = new Map([...Object.entries(previous), [keyId, key]]);
  }

  static fromBase64(keyId: string, keyBase64: string): AesGcmCodec {
    return new AesGcmCodec(keyId, Buffer.from(keyBase64, 'base64'));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (isPublicSummary(payload)) return payload;
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.keyId)!, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_KEY]: Buffer.from(this.keyId),
        },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_KEY];
      const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : '';
      const key = this.keys.get(keyId);
      if (!key) throw new CodecKeyError(`no codec key with id "${keyId}"`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new CodecKeyError('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
