import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { storageContract } from '../testing/contract.js';
import { crossSourceContract } from '../testing/cross-source-contract.js';
import { upgradeContract } from '../testing/upgrade-contract.js';
import { POSTGRES_TYPES, openPostgres } from './postgres-storage.js';

// Real Postgres on the machine (CI starts it): 127.0.0.1:5432, trust auth, database `test`.
const PG_URL = process.env.TOLLGATE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];

/** A schema of its own for each test, dropped at the end. */
function newSchema(): string {
  const schema = `tg_contract_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
  schemas.push(schema);
  return schema;
}

describe('Postgres storage', () => {
  storageContract(() => openPostgres({ url: PG_URL, schema: newSchema(), maxConnections: 4 }));
  crossSourceContract(() => openPostgres({ url: PG_URL, schema: newSchema(), maxConnections: 4 }));

  upgradeContract(async () => {
    const schema = newSchema();
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
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
      open: () => openPostgres({ url: PG_URL, schema, maxConnections: 4 }),
    };
  });

  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await c.end();
  });
});
