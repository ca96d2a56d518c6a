import pg from 'pg';
import { afterAll, describe } from 'vitest';
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

  afterAll(() => dropSchemas(schemas));
});
