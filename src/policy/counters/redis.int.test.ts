import { describe, expect, it } from 'vitest';
import { countersContract } from './contract.js';
import { CountersUnavailable } from './port.js';
import { openRedisCounters } from './redis.js';

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
});
