import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { within } from '../core/within.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { createKey } from './key-service.js';
import { KeyResolver } from './key-resolver.js';

const schema = `tg_key_burst_${process.pid}_${Date.now() % 100000}`;

afterAll(() => dropSchemas([schema]));

describe('key lookups while Postgres hangs', () => {
  it('a burst of requests with one uncached key waits on one query, leaving the pool for the rest', async () => {
    const storage = await openPostgres({ url: TEST_PG_URL, schema, maxConnections: 3 });
    const locker = new pg.Client({ connectionString: TEST_PG_URL });
    await locker.connect();
    try {
      const k = await createKey(storage.keys, { user: 'alice', team: null, project: null });
      // The key table locked: every lookup waits, as on a Postgres that does not answer.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${schema}.api_keys IN ACCESS EXCLUSIVE MODE`);

      const keys = new KeyResolver(storage.keys, 2000, Date.now, 10_000);
      const burst = Array.from({ length: 20 }, () => keys.resolve(k.key));
      // Queries waiting on this test's table (pg_locks, not pg_stat_activity: a transaction sees that as of its first read).
      const sql = `SELECT count(*) AS n FROM pg_locks WHERE relation = '${schema}.api_keys'::regclass AND NOT granted`;
      const blocked = async () => Number(((await locker.query(sql)).rows[0] as { n: string }).n);
      const deadline = Date.now() + 2000;
      while ((await blocked()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      expect(await blocked()).toBe(1);
      // The pool still has connections for everything else (the ledger, rules, the admin API).
      await expect(within(storage.policy.listIncreases({}), 1000, 'pool exhausted')).resolves.toEqual([]);

      await locker.query('ROLLBACK');
      const found = await Promise.all(burst);
      expect(new Set(found.map((r) => r?.id))).toEqual(new Set([k.id]));
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await storage.close();
    }
  });
});
