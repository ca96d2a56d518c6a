import { afterAll, describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/core/money.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';
import { TEST_REDIS, redisPrefixes } from '../support/redis.js';


/** $20 per million input tokens, $60 per million output: each answered request costs $0.007. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });

const schemas: string[] = [];
const prefixes = redisPrefixes('tglate');
const started: Harness[] = [];
afterAll(async () => {
  for (const h of started.splice(0)) await h.close();
  await dropSchemas(schemas);
  await prefixes.drop();
});

type Setup = () => Promise<Harness[]>;

const sqliteMemory: Setup = async () => [await startHarness({ price, policy: {} })];

const postgresRedis: Setup = async () => {
  const schema = `tg_late_${process.pid}_${Date.now() % 100000}`;
  schemas.push(schema);
  const keyPrefix = prefixes.next();
  const open = (): Promise<Storage> => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 });
  const start = () => startHarness({ price, storage: open, policy: { redisUrl: TEST_REDIS, settings: { ...DEFAULT_POLICY_SETTINGS, keyPrefix } } });
  return [await start(), await start()];
};

describe.each([
  ['SQLite, memory counters', sqliteMemory],
  ['Postgres, two replicas, counters in Redis', postgresRedis],
] as const)('budgets made while requests they cover are in flight (%s)', (_name, setup) => {
  it('count those requests when they end, once, as the ledger does', async () => {
    const hs = await setup();
    started.push(...hs);
    const a = hs[0]!;
    const admin = async (h: Harness, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${h.url}/admin/v1${path}`, { method, headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json()) as { data: Record<string, unknown>[] };
      expect(res.status, JSON.stringify(json)).toBeLessThan(300);
      return json;
    };
    const create = async (id: string, scope: string) => {
      await admin(a, 'POST', '/budgets', { id, scope, window: 'day', limit_usd: '100' });
      for (const h of hs) await eventually(() => expect(h.tollgate.policy!.rules.current().budgets.some((b) => b.id === id)).toBe(true));
    };
    // Streams of about a second each, spread over the replicas.
    const streams = (n: number) =>
      Array.from({ length: n }, async (_, i) => {
        const h = hs[i % hs.length]!;
        const res = await fetch(`${h.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.text();
        return res.status;
      });
    const inFlight = async (n: number) => eventually(() => expect(hs.reduce((sum, h) => sum + h.fake.arrivals.length, 0)).toBeGreaterThanOrEqual(n));
    const ledger = async () => {
      for (const h of hs) await h.tollgate.flush();
      let sum = 0n;
      for await (const r of a.tollgate.storage.ledger.scan({})) sum += r.costPicos ?? 0n;
      return sum;
    };
    const agree = async (ids: string[]) => {
      const total = await ledger();
      for (const h of hs) {
        const status = (await admin(h, 'GET', '/budgets/status')).data;
        for (const id of ids) expect(status.find((s) => s.id === id)).toMatchObject({ spent_usd: formatUsd(total), held_usd: '0' });
      }
      const drift = (await admin(hs.at(-1)!, 'GET', '/budgets/reconcile')).data;
      expect(drift.filter((d) => ids.includes(d.budget_id as string)).map((d) => d.drift_usd)).toEqual(ids.map(() => '0'));
      return total;
    };
    for (const h of hs) h.fake.setDefault({ usage: { input: 200, output: 50 }, chunkDelayMs: 100 });

    // No rules at all: the first requests are admitted holding nothing.
    const first = streams(12);
    await inFlight(12);
    await create('team-day', 'team:platform');
    // The new budget's counter starts from the ledger, which does not have the requests in flight yet,
    // and requests admitted now reserve on it.
    await admin(hs.at(-1)!, 'GET', '/budgets/status');
    const second = streams(6);
    expect(await Promise.all([...first, ...second])).toEqual(Array.from({ length: 18 }, () => 200));
    const total = await eventually(() => agree(['team-day']));
    expect(total).toBe(18n * 7_000_000_000n);

    // Rules now: requests reserve on the team's budget, and a user's budget is made while they run.
    const third = streams(12);
    await inFlight(30);
    await create('alice-day', 'user:alice');
    await admin(hs.at(-1)!, 'GET', '/budgets/status');
    const fourth = streams(6);
    expect(await Promise.all([...third, ...fourth])).toEqual(Array.from({ length: 18 }, () => 200));
    expect(await eventually(() => agree(['team-day', 'alice-day']))).toBe(36n * 7_000_000_000n);
  });
});
