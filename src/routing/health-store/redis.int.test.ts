import { describe, expect, it } from 'vitest';
import { healthStoreContract, rateShareContract } from './contract.js';
import { RedisHealthStore } from './redis.js';

const REDIS = process.env.TOLLGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

describe('redis health store', () => {
  healthStoreContract(() => new RedisHealthStore(REDIS, `{tgtest-health-${process.pid}}:`));
  rateShareContract(() => new RedisHealthStore(REDIS, `{tgtest-health-${process.pid}}:`));

  it('leaves no listener behind for each command it sent while Redis was down', async () => {
    // Nothing listens there: every refresh tick waits for a connection that never comes.
    const store = new RedisHealthStore('redis://127.0.0.1:19598');
    const redis = (store as unknown as { redis: { listenerCount(event: string): number } }).redis;
    const before = redis.listenerCount('ready');
    for (let tick = 0; tick < 3; tick++) await Promise.all([store.read(['a'], Date.now()), store.readRates(['a'], Date.now())].map((p) => p.catch(() => undefined)));
    // Without the fix each command left its 'ready' listener (a leak, and Node's MaxListenersExceededWarning after 10).
    expect(redis.listenerCount('ready')).toBe(before);
    await store.close();
  });
});
