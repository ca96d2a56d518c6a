import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { within } from '../core/within.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { PgProxy } from '../storage/testing/pg-proxy.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { createKey } from './key-service.js';
import { KeyResolver } from './key-resolver.js';

const schema = `tg_key_burst_${process.pid}_${Date.now() % 100000}`;

const hungSchema = `tg_key_hang_${process.pid}_${Date.now() % 100000}`;

afterAll(() => dropSchemas([schema, hungSchema]));

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

describe('a seen key while Postgres hangs', () => {
  it('is served its last state without waiting on a lookup each request, one lookup at a time, asked again a ttl after it failed', async () => {
    const proxy = new PgProxy();
    await proxy.listen();
    // A 200 ms cache, a 300 ms wait for a lookup, a 1 s query timeout: the defaults (2 s, 3 s, 30 s) scaled down.
    const storage = await openPostgres({ url: proxy.url, schema: hungSchema, maxConnections: 3, connectTimeoutMs: 1000, queryTimeoutMs: 1000 });
    try {
      const k = await createKey(storage.keys, { user: 'alice', team: null, project: null });
      // Storage's key lookups counted, and how many are under way at once.
      const asked = { total: 0, now: 0, most: 0 };
      const counted = {
        ...storage.keys,
        findByHash: (hash: string) => {
          asked.total++;
          asked.most = Math.max(asked.most, ++asked.now);
          return storage.keys.findByHash(hash).finally(() => asked.now--);
        },
      };
      const keys = new KeyResolver(counted, 200, Date.now, 300);
      expect(await keys.resolve(k.key)).toMatchObject({ id: k.id });
      asked.total = 0;
      proxy.hang();
      // A request every 50 ms for 2 s, each timed.
      const took: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t0 = performance.now();
        expect(await keys.resolve(k.key)).toMatchObject({ id: k.id });
        took.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
      // One request, the first after the cache ran out, waited for the lookup to time out; no other did.
      expect(took.filter((ms) => ms >= 250)).toHaveLength(1);
      // One query at a time: each held until the driver gives up (1 s), the next 200 ms after that.
      expect(asked.most).toBe(1);
      expect(asked.total).toBeGreaterThanOrEqual(2);
      expect(asked.total).toBeLessThanOrEqual(3);
      // Back: the key is read again, and a revocation made meanwhile counts.
      proxy.resume();
      await storage.keys.revoke(k.id, Date.now());
      await new Promise((r) => setTimeout(r, 1300));
      await keys.resolve(k.key);
      await new Promise((r) => setTimeout(r, 100));
      expect(await keys.resolve(k.key)).toMatchObject({ id: k.id, revokedAt: expect.any(Number) as number });
    } finally {
      proxy.resume();
      await storage.close();
      await proxy.cut();
    }
  });
});
