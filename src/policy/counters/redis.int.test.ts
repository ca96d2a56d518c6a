import { describe, expect, it } from 'vitest';
import { countersContract } from './contract.js';
import { CountersUnavailable } from './port.js';
import { Redis } from 'ioredis';
import { RedisDatabaseRefused } from './redis-database.js';
import { openRedisCounters, startRedisCounters } from './redis.js';

const REDIS = process.env.TOLLGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const prefix = `{tgtest${process.pid}}:`;

describe('redis counters', () => {
  countersContract(() => Promise.resolve({ counters: openRedisCounters(REDIS, { prefix }), prefix }));

  it('fails fast with CountersUnavailable when Redis cannot be reached', async () => {
    const counters = openRedisCounters('redis://127.0.0.1:1', { prefix, connectWaitMs: 200 });
    const line = { ref: 'x', marker: `${prefix}m`, buckets: [`${prefix}b`], limit: 1n, ttlMs: 1000 };
    const started = Date.now();
    await expect(counters.read([line])).rejects.toBeInstanceOf(CountersUnavailable);
    await expect(counters.reserve({ id: 'r', now: Date.now(), leaseMs: 1000, amount: 1n, groups: [{ lines: [line], pool: null }], rates: [] })).rejects.toBeInstanceOf(CountersUnavailable);
    expect(Date.now() - started).toBeLessThan(5000);
    await counters.close();
  });

  it('refuses a database Redis does not have: start-up fails, and no command runs in database 0', async () => {
    const url = `${REDIS.replace(/\/\d*$/, '')}/99`;
    const started = Date.now();
    const err = await startRedisCounters(url, { prefix }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisDatabaseRefused);
    expect((err as Error).message).toMatch(/^redis: the Redis at 127\.0\.0\.1:6379 refuses database 99 \(ERR DB index is out of range\)\. A Redis has databases 0 to 15/);
    expect(Date.now() - started).toBeLessThan(1500);

    // Opened without the start-up check (Redis was down at start, then came up): every call fails as unavailable.
    const counters = openRedisCounters(url, { prefix });
    const line = { ref: 'x', marker: `${prefix}db99`, buckets: [`${prefix}db99:b`], limit: 1n, ttlMs: 60_000 };
    await expect(counters.adjust(line, 5n)).rejects.toThrow(CountersUnavailable);
    await expect(counters.read([line])).rejects.toThrow(/refuses database 99/);
    await counters.close();
    const db0 = new Redis(REDIS);
    try {
      expect(await db0.exists(`${prefix}db99:b`)).toBe(0);
    } finally {
      db0.disconnect();
    }
  });

  it('starts with a database Redis has, and with a Redis that is down (budgets then follow their fail mode)', async () => {
    const ok = await startRedisCounters(`${REDIS.replace(/\/\d*$/, '')}/3`, { prefix });
    await expect(ok.read([])).resolves.toEqual([]);
    await ok.close();
    const started = Date.now();
    const down = await startRedisCounters('redis://127.0.0.1:1/3', { prefix });
    expect(Date.now() - started).toBeLessThan(1500);
    await down.close();
  });
});
