import type { Payload } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';

/** Keys whose values are credentials wherever they appear (connection args, env of a command, webhook settings). */
const CREDENTIAL_KEY = /password|passwd|passphrase|secret|token|private_?key|^pkey$|api_?key|authorization|credential|cookie/i;
/** Objects whose every value is masked: webhook and HTTP-service headers. */
const ALL_VALUES_KEY = /^headers$/i;
export const MASK = '***';
const MAX_DEPTH = 64;

/** A copy of `value` with every credential replaced by `***` (keys by name; header maps as a whole). */
export function maskCredentials(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskCredentials(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (CREDENTIAL_KEY.test(k) && v !== null && v !== '') out[k] = MASK;
    else if (ALL_VALUES_KEY.test(k) && v && typeof v === 'object' && !Array.isArray(v)) out[k] = Object.fromEntries(Object.keys(v).map((h) => [h, MASK]));
    else out[k] = maskCredentials(v, depth + 1);
  }
  return out;
}

/**
 * Decoded payloads as the codec endpoint gives them to people (the Temporal UI, `temporal --codec-endpoint`):
 * JSON payloads with their credentials masked. Workers decode with the codec itself and see them in the clear;
 * nothing a person is shown carries a device password. A payload that is not JSON is passed as it is.
 */
export function maskDecodedPayloads(payloads: Payload[]): Payload[] {
  return payloads.map((p) => {
    const encoding = p.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || Buffer.from(encoding).toString() !== 'json/plain' || !p.data) return p;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(p.data).toString('utf8'));
    } catch {
      return p;
    }
    return { ...p, data: Buffer.from(JSON.stringify(maskCredentials(parsed))) };
  });
}
