// The local stack (scripts/stack/up.sh) answers, and Temporal knows every search attribute of temporal-config/.
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
// A CommonJS package: Node's ESM loader cannot see its named exports.
import proto from '@temporalio/proto';

const { temporal } = proto;
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

const config = loadConfig();

/** `Name Type` lines of temporal-config/search-attributes.txt, `#` comments dropped. */
function declaredSearchAttributes(): Array<[name: string, type: string]> {
  const text = readFileSync(new URL('../../temporal-config/search-attributes.txt', import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/) as [string, string]);
}

describe('local stack', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: config.temporal.address });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('Temporal answers getSystemInfo', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('Temporal has every search attribute of temporal-config/search-attributes.txt', async () => {
    const declared = declaredSearchAttributes();
    expect(declared.length).toBeGreaterThan(0);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: config.temporal.namespace,
    });
    const registered = Object.fromEntries(
      Object.entries(customAttributes ?? {}).map(([name, type]) => [name, temporal.api.enums.v1.IndexedValueType[type]]),
    );
    const expected = Object.fromEntries(
      declared.map(([name, type]) => [name, `INDEXED_VALUE_TYPE_${type.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase()}`]),
    );
    expect(registered).toMatchObject(expected);
  });

  it('FerretDB answers ping', async () => {
    const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 5000 });
    try {
      await client.connect();
      expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('Kafka answers listTopics', async () => {
    const admin = new Kafka({ brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(Array.isArray(await admin.listTopics())).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });
});
