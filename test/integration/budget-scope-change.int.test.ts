import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/alerts/webhook.js';
import { formatUsd, usd } from '../../src/core/money.js';
import { createKey } from '../../src/identity/key-service.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

// Redis database 11 is this file’s alone: flushed at the end.
const REDIS_URL = 'redis://127.0.0.1:6379/11';

/** $20 per million input tokens, $60 per million output: each answered request costs $0.007. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });
const PER_REQUEST = usd('0.007');
const LIMIT = usd('0.1');

const schemas: string[] = [];
const alerts: MemorySink[] = [];
const started: Harness[] = [];
afterAll(async () => {
  for (const h of started.splice(0)) await h.close();
  await dropSchemas(schemas);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  await redis.quit();
});

type Setup = () => Promise<Harness[]>;

const sqliteMemory: Setup = async () => {
  const sink = new MemorySink();
  alerts.push(sink);
  return [await startHarness({ price, policy: { alerts: sink } })];
};

const postgresRedis: Setup = async () => {
  const schema = `tg_scope_${process.pid}_${Date.now() % 100000}`;
  schemas.push(schema);
  const settings = { ...DEFAULT_POLICY_SETTINGS, keyPrefix: `{tgscope${process.pid}${Math.random().toString(36).slice(2, 8)}}:` };
  const open = (): Promise<Storage> => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 });
  const start = async () => {
    const sink = new MemorySink();
    alerts.push(sink);
    return startHarness({ price, storage: open, policy: { redisUrl: REDIS_URL, settings, alerts: sink } });
  };
  return [await start(), await start()];
};

describe.each([
  ['SQLite, memory counters', sqliteMemory],
  ['Postgres, two replicas, counters in Redis', postgresRedis],
] as const)('a budget moved to another scope under its id (%s)', (_name, setup) => {
  it('counts the new scope’s spend from the ledger, not the old scope’s counter, and raises its thresholds', async () => {
    const hs = await setup();
    started.push(...hs);
    const sinks = alerts.slice(-hs.length);
    for (const h of hs) h.fake.setDefault({ usage: { input: 200, output: 50 } });
    const [a, b] = [hs[0]!, hs.at(-1)!];
    const keys = a.tollgate.storage.keys;
    const ivan = await createKey(keys, { user: 'ivan', team: null, project: null });
    const carol = await createKey(keys, { user: 'carol', team: null, project: null });

    const admin = async (h: Harness, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${h.url}/admin/v1${path}`, { method, headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json()) as { data: Record<string, unknown>[] };
      expect(res.status, JSON.stringify(json)).toBeLessThan(300);
      return json;
    };
    const move = async (scope: string) => {
      await admin(a, 'POST', '/budgets', { id: 'swap2', scope, window: 'day', limit_usd: formatUsd(LIMIT), thresholds: [80] });
      for (const h of hs) await eventually(() => expect(h.tollgate.policy!.rules.current().budgets.find((x) => x.id === 'swap2')?.scope.value).toBe(scope.slice('user:'.length)));
    };
    const status = async (h: Harness) => (await admin(h, 'GET', '/budgets/status')).data.find((d) => d.id === 'swap2')!;
    const chat = async (h: Harness, key: string) => {
      const res = await fetch(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.text();
      return res.status;
    };
    const spentBy = async (user: string) => {
      for (const h of hs) await h.tollgate.flush();
      let sum = 0n;
      for await (const r of a.tollgate.storage.ledger.scan({})) if (r.user === user) sum += r.costPicos ?? 0n;
      return sum;
    };

    // The budget starts on a user who spends nothing; its counter is initialised at $0.
    await move('user:nobody');
    for (let i = 0; i < 5; i++) expect(await chat(a, ivan.key)).toBe(200);
    expect(await spentBy('ivan')).toBe(5n * PER_REQUEST);
    expect(await status(a)).toMatchObject({ spent_usd: '0', used_percent: 0 });

    // Moved to ivan, who has $0.035 in the ledger today: only what fits in the rest of $0.10 is admitted.
    await move('user:ivan');
    const admitted: number[] = [];
    for (let i = 0; i < 30; i++) admitted.push(await chat(hs[i % hs.length]!, ivan.key));
    const ok = admitted.filter((s) => s === 200).length;
    expect(admitted.filter((s) => s !== 200 && s !== 402)).toEqual([]);
    const ivanSpend = await spentBy('ivan');
    expect(ivanSpend).toBeLessThanOrEqual(LIMIT);
    expect(ivanSpend).toBe(BigInt(5 + ok) * PER_REQUEST);
    expect(ok).toBeLessThanOrEqual(9);
    await eventually(async () => expect(await status(b)).toMatchObject({ scope: 'user:ivan', spent_usd: formatUsd(ivanSpend), held_usd: '0' }));
    expect(Number((await status(a)).used_percent)).toBeGreaterThanOrEqual(80);
    const drift = (await admin(b, 'GET', '/budgets/reconcile')).data.find((d) => d.budget_id === 'swap2');
    expect(drift).toMatchObject({ counted_usd: formatUsd(ivanSpend), ledger_usd: formatUsd(ivanSpend), drift_usd: '0' });
    await eventually(() => expect(sinks.flatMap((s) => s.events).filter((e) => e.type === 'budget.threshold').map((e) => ('scope' in e ? e.scope : null))).toEqual(['user:ivan']));

    // Moved on to carol, who spent nothing: ivan’s spend stays with ivan, and her 80% is news again.
    await move('user:carol');
    expect(await status(b)).toMatchObject({ scope: 'user:carol', spent_usd: '0', used_percent: 0 });
    const carolAdmitted: number[] = [];
    for (let i = 0; i < 30; i++) carolAdmitted.push(await chat(hs[i % hs.length]!, carol.key));
    expect(carolAdmitted.slice(0, 10)).toEqual(Array(10).fill(200));
    const carolSpend = await spentBy('carol');
    expect(carolSpend).toBeLessThanOrEqual(LIMIT);
    await eventually(async () => expect(await status(a)).toMatchObject({ spent_usd: formatUsd(carolSpend), held_usd: '0' }));
    await eventually(() => expect(sinks.flatMap((s) => s.events).filter((e) => e.type === 'budget.threshold').map((e) => ('scope' in e ? e.scope : null))).toEqual(['user:ivan', 'user:carol']));
  });
});
