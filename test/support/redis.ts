import { Redis } from 'ioredis';

/** The Redis the integration tests use (a database of its own per helper run, by its URL). */
export const TEST_REDIS = process.env.TOLLGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/**
 * Key prefixes of one test file's counters, and their removal afterwards: only this file's keys
 * go, since the Redis database may be shared with other test files running at once.
 */
export function redisPrefixes(tag: string): { next(): string; drop(): Promise<void> } {
  const made: string[] = [];
  return {
    next() {
      const p = `{${tag}${process.pid}${Math.random().toString(36).slice(2, 8)}}:`;
      made.push(p);
      return p;
    },
    async drop() {
      if (made.length === 0) return;
      const redis = new Redis(TEST_REDIS);
      for (const p of made.splice(0)) {
        const keys = await redis.keys(`${p}*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      await redis.quit();
    },
  };
}
