import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
// A CommonJS package: Node's ESM loader cannot see its named exports.
import proto from '@temporalio/proto';

const { temporal } = proto;
import type { Config } from '../config/index.js';
import { AesGcmCodec } from './codec.js';
import { ALL_SEARCH_ATTRIBUTES } from './search-attributes.js';
import { tracingClientInterceptors } from '../tracing/temporal.js';

export function createCodec(config: Config): AesGcmCodec {
  const previous = Object.fromEntries(Object.entries(config.codec.previousKeys).map(([id, k]) => [id, Buffer.from(k, 'base64')]));
  return new AesGcmCodec(config.codec.keyId, Buffer.from(config.codec.key, 'base64'), previous);
}

export function createDataConverter(config: Config): DataConverter {
  return { payloadCodecs: [createCodec(config)] };
}

export interface TemporalClientHandle {
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

export async function connectTemporalClient(config: Config): Promise<TemporalClientHandle> {
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '10s' });
  // With tracing installed, a workflow a traced request starts, signals or updates carries the trace (src/tracing).
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: createDataConverter(config), interceptors: tracingClientInterceptors() });
  return { connection, client, close: () => connection.close() };
}

const SA_TYPE_TO_PROTO: Record<string, number> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the search attributes that are missing, one per call: a call naming several registers only the
 * first on the dev server (DESIGN.md). Safe to run at every start-up of every process.
 */
export async function ensureSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const added: string[] = [];
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    if (known.has(key.name)) continue;
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: SA_TYPE_TO_PROTO[key.type]! },
      });
      added.push(key.name);
    } catch (e) {
      // Another process registering the same key at the same moment is fine.
      if (!/already exists/i.test((e as Error).message)) throw e;
    }
  }
  return added;
}
