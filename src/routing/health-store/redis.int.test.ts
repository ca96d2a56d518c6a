import { describe } from 'vitest';
import { healthStoreContract, rateShareContract } from './contract.js';
import { RedisHealthStore } from './redis.js';

const REDIS = process.env.TOLLGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

describe('redis health store', () => {
  healthStoreContract(() => new RedisHealthStore(REDIS, `{tgtest-health-${process.pid}}:`));
  rateShareContract(() => new RedisHealthStore(REDIS, `{tgtest-health-${process.pid}}:`));
});
