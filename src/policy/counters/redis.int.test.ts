import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { usd } from '../../core/money.js';
import { MemoryCounters } from './memory.js';
import type { Counters, SpendLine } from './port.js';
import { countersContract } from './contract.js';
import { CountersUnavailable } from './port.js';
import { Redis } from 'ioredis';
import { RedisDatabaseRefused } from './redis-database.js';
import { openRedisCounters, startRedisCounters } from './redis.js';

const REDIS = process.env.TOLLGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const prefix = `{tgtest${process.pid}}:`;

// A lease a test reserves and never settles keeps its set of leases, which has no TTL: the keys go with the file.
afterAll(async () => {
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

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

  it('reads a moving rolling window from running totals and agrees with the in-process counters, whatever happens', async () => {
    // Operations on a 4-bucket rolling window (plus a calendar line) at times that advance by
    // whole and partial buckets, past the window too: every outcome must equal the in-process store's.
    const STEP = 1000;
    const T0 = Date.UTC(2026, 11, 4);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.constantFrom(STEP, 3 * STEP, 4 * STEP), fc.integer({ min: 0, max: 6 * STEP })) }),
      fc.record({ kind: fc.constant('reserve' as const), cents: fc.integer({ min: 0, max: 250 }), lease: fc.constantFrom(2 * STEP, 60_000) }),
      fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), cents: fc.integer({ min: 0, max: 250 }) }),
      fc.record({ kind: fc.constant('adjust' as const), cents: fc.integer({ min: -100, max: 100 }) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
        // Each run starts by settling a reservation once its bucket has become the window's first.
        const before: typeof ops = [
          { kind: 'reserve', cents: 40, lease: 60_000 },
          { kind: 'advance', ms: 3 * STEP },
          { kind: 'reserve', cents: 10, lease: 60_000 },
          { kind: 'settle', pick: 0, cents: 70 },
          { kind: 'advance', ms: STEP },
          { kind: 'reserve', cents: 10, lease: 60_000 },
        ];
        const p = `${prefix}roll${++run}:${Math.random().toString(36).slice(2, 8)}:`;
        const stores: Counters[] = [openRedisCounters(REDIS, { prefix: p }), new MemoryCounters()];
        const rolling = (now: number): SpendLine => {
          const k = Math.floor(now / STEP);
          return { ref: 'roll', marker: `${p}bm:roll`, buckets: [0, 1, 2, 3].map((i) => `${p}b:roll:4s:${(k - 3 + i) * STEP}`), limit: usd('5'), ttlMs: 86_400_000 };
        };
        const day: SpendLine = { ref: 'day', marker: `${p}bm:day`, buckets: [`${p}b:day:1`], limit: usd('8'), ttlMs: 86_400_000 };
        try {
          const both = async <T>(f: (c: Counters) => Promise<T>): Promise<T> => {
            const [a, b] = await Promise.all(stores.map(f));
            expect(a).toEqual(b);
            return a!;
          };
          let now = T0;
          await both((c) => c.initialize([rolling(now), day].map((l) => ({ marker: l.marker, ttlMs: l.ttlMs, bucketTtlMs: l.ttlMs, amounts: [{ bucket: l.buckets.at(-1)!, amount: usd('0.5') }] }))));
          const open: string[] = [];
          let n = 0;
          for (const o of [...before, ...ops]) {
            if (o.kind === 'advance') now += o.ms;
            else if (o.kind === 'reserve') {
              const id = `${p}r${++n}`;
              const out = await both((c) => c.reserve({ id, now, leaseMs: o.lease, amount: usd(String(o.cents / 100)), groups: [{ lines: [rolling(now), day], pool: null }], rates: [] }));
              if (out.ok) open.push(id);
            } else if (o.kind === 'settle' && open.length > 0) {
              const [id] = open.splice(o.pick % open.length, 1);
              await both((c) => c.settle([{ id: id!, actual: usd(String(o.cents / 100)), tokens: 0 }], now));
            } else if (o.kind === 'adjust') await both((c) => c.adjust(rolling(now), usd(String(o.cents / 100))));
            await both((c) => c.read([rolling(now), day]));
          }
        } finally {
          await Promise.all(stores.map((c) => c.close()));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('counts again, within one window, spend that reached a rolling window\'s buckets but not its totals', async () => {
    // As a replica of an earlier version charges during a rolling upgrade: straight into a bucket.
    const STEP = 1000;
    const p = `${prefix}heal:${Math.random().toString(36).slice(2, 8)}:`;
    const counters = openRedisCounters(REDIS, { prefix: p });
    const direct = new Redis(REDIS);
    const line = (now: number): SpendLine => {
      const k = Math.floor(now / STEP);
      return { ref: 'roll', marker: `${p}bm:roll`, buckets: [0, 1, 2, 3].map((i) => `${p}b:roll:4s:${(k - 3 + i) * STEP}`), limit: usd('100'), ttlMs: 86_400_000 };
    };
    const levelAt = async (now: number, id: string) => {
      const out = await counters.reserve({ id: `${p}${id}`, now, leaseMs: 60_000, amount: 0n, groups: [{ lines: [line(now)], pool: null }], rates: [] });
      return out.ok ? out.levels[0] : undefined;
    };
    const truth = async (now: number) => {
      const [r] = await counters.read([line(now)]);
      return r!.spent + r!.held;
    };
    try {
      const t0 = Date.UTC(2026, 11, 4);
      await counters.initialize([{ marker: line(t0).marker, ttlMs: 86_400_000, bucketTtlMs: 86_400_000, amounts: [{ bucket: line(t0).buckets[3]!, amount: usd('2') }] }]);
      expect(await levelAt(t0, 'a')).toBe(usd('2'));
      await direct.hincrby(line(t0 + STEP).buckets[3]!, 'spent', usd('1').toString());
      // Missed while the totals stand; the buckets are the record.
      expect(await levelAt(t0 + STEP, 'b')).toBe(usd('2'));
      expect(await truth(t0 + STEP)).toBe(usd('3'));
      // A window's length after the totals were built they are built again, and agree from then on.
      for (let k = 2; k <= 6; k++) {
        const now = t0 + k * STEP;
        if (k >= 4) expect(await levelAt(now, `c${k}`)).toBe(await truth(now));
        else await levelAt(now, `c${k}`);
      }
    } finally {
      direct.disconnect();
      await counters.close();
    }
  });
});
