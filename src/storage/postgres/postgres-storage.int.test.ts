import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { storageContract } from '../testing/contract.js';
import { openPostgres } from './postgres-storage.js';

// Real Postgres on the machine (CI starts it): 127.0.0.1:5432, trust auth, database `test`.
const PG_URL = process.env.TOLLGATE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];

describe('Postgres storage', () => {
  storageContract(() => {
    const schema = `tg_contract_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
    schemas.push(schema);
    return openPostgres({ url: PG_URL, schema, maxConnections: 4 });
  });

  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await c.end();
  });
});
