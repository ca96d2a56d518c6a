import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { REQUEST_COLUMNS, rowValues } from '../schema.js';
import { sampleRow } from '../testing/rows.js';
import { storageContract } from '../testing/contract.js';
import { crossSourceContract } from '../testing/cross-source-contract.js';
import { upgradeContract } from '../testing/upgrade-contract.js';
import { POSTGRES_TYPES, openPostgres } from './postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../testing/postgres.js';

// Real Postgres on the machine (CI starts it): 127.0.0.1:5432, trust auth, database `test`.
const schemas: string[] = [];

/** A schema of its own for each test, dropped at the end. */
function newSchema(): string {
  const schema = `tg_contract_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
  schemas.push(schema);
  return schema;
}

describe('Postgres storage', () => {
  storageContract(() => openPostgres({ url: TEST_PG_URL, schema: newSchema(), maxConnections: 4 }));
  crossSourceContract(() => openPostgres({ url: TEST_PG_URL, schema: newSchema(), maxConnections: 4 }));

  upgradeContract(async () => {
    const schema = newSchema();
    const client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    return {
      types: POSTGRES_TYPES,
      param: (i: number) => `$${i}`,
      bool: (b: boolean) => b,
      exec: async (sql: string, params: unknown[] = []) => {
        await client.query(sql, params.map((v) => (typeof v === 'bigint' ? v.toString() : v)));
      },
      close: () => client.end(),
      open: () => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 }),
    };
  });

  it('reports a row written since a cursor even when its transaction commits after later ones (a naive high-water mark would skip it)', async () => {
    const schema = newSchema();
    const s = await openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 });
    const slow = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    await slow.connect();
    const t = Date.UTC(2026, 10, 20, 12);
    const q = { tsBefore: t + 3_600_000, bucketMs: 60_000 };
    const c0 = await s.ledger.arrivalCursor();
    // A long write (an import) starts first and takes its transaction id...
    await slow.query('BEGIN');
    const row = rowValues(sampleRow({ id: 'slow', ts: t - 20 * 60_000 }), (b) => b).map((v) => (typeof v === 'bigint' ? v.toString() : v));
    await slow.query(`INSERT INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${REQUEST_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, row);
    // ...a quick one commits meanwhile and is read...
    await s.ledger.insert([sampleRow({ id: 'quick', ts: t })]);
    const r1 = await s.ledger.arrivedSince(c0, q);
    expect(r1.buckets).toEqual([t]);
    // ...and the long one, committed after that read, is reported by the next.
    await slow.query('COMMIT');
    const r2 = await s.ledger.arrivedSince(r1.cursor, q);
    expect(r2.buckets).toEqual([t - 20 * 60_000]);
    expect((await s.ledger.arrivedSince(r2.cursor, q)).buckets).toEqual([]);
    await slow.end();
    await s.close();
  });

  afterAll(() => dropSchemas(schemas));
});
