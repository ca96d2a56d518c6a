import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { createKey } from '../../src/identity/key-service.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, counterOn, eventually, startHarness, testBudget } from '../support/harness.js';
import { TcpProxy } from '../../src/storage/testing/tcp-proxy.js';

// The machine's Redis (CI starts it), reached through a TCP proxy the test cuts and opens again:
// an outage for this gateway alone, with no Redis stopped.
const REDIS = new URL(process.env.TOLLGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379');
const proxy = new TcpProxy({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
const schemas: string[] = [];

/** $0.10 per million input tokens, $0.40 per million output: a stream of 500 output tokens is held at about $0.0002. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 100_000n + BigInt(r.usage.outputTokens) * 400_000n, unpriced: false });
const dave = testBudget({ scope: 'user:dave', window: 'day', limit_usd: '0.0008' });

let h: Harness | undefined;
beforeAll(() => proxy.listen());
afterEach(async () => {
  if (!proxy.listening) await proxy.listen();
  await h?.close();
  h = undefined;
});
afterAll(async () => {
  await proxy.cut();
  await dropSchemas(schemas);
});

function recording(): { log: Logger; lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Where a replica keeps its ledger and its counters; replicas given the same share them. */
interface Shared {
  schema: string;
  keyPrefix: string;
}

function shared(): Shared {
  const schema = `tg_settle_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
  schemas.push(schema);
  return { schema, keyPrefix: `{tg${process.pid}${Math.random().toString(36).slice(2, 8)}}:` };
}

/** A replica on Postgres whose counters are in Redis through the proxy; a settlement is tried twice, 100 ms apart, before it is kept for later. */
async function start(log: Logger, where: Shared = shared()): Promise<{ key: string }> {
  const url = new URL(REDIS);
  url.port = String(proxy.port);
  const settings = { ...DEFAULT_POLICY_SETTINGS, keyPrefix: where.keyPrefix, settleRetry: { tries: 2, firstPauseMs: 100 } };
  h = await startHarness({ price, log, storage: () => openPostgres({ url: TEST_PG_URL, schema: where.schema, maxConnections: 4 }), policy: { redisUrl: url.toString(), settings, rules: { budgets: [dave], rateLimits: [], modelPolicies: [] } } });
  // About 1.8 s a stream (a dozen pieces, 150 ms apart).
  h.fake.setDefault({ usage: { input: 20, output: 40 }, chunkDelayMs: 150 });
  return createKey(h.tollgate.storage.keys, { user: 'dave', team: null, project: null });
}

function stream(key: string): Promise<{ status: number; body: string }> {
  return fetch(`${h!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', max_tokens: 500, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  }).then(async (r) => ({ status: r.status, body: await r.text() }));
}

const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe('Redis unreachable while streams end', () => {
  it('the replica keeps the settlements it could not apply and applies them once Redis answers: nothing stays held, spend matches the ledger, and the next request is admitted', async () => {
    const { log, lines } = recording();
    const { key } = await start(log);
    const streams = [stream(key), stream(key), stream(key)];
    await eventually(() => expect(h!.fake.arrivals).toHaveLength(3));
    // Three holds of about $0.0002 each: a fourth would not fit under $0.0008 beside them.
    expect((await counterOn(h!.tollgate, dave)).held).toBeGreaterThan(600_000_000n);

    await proxy.cut();
    const t0 = Date.now();
    expect((await Promise.all(streams)).map((s) => s.status)).toEqual([200, 200, 200]);
    // The streams ended about 1.8 s into the outage, and their two tries each failed long before it ends.
    await pause(Math.max(0, 3500 - (Date.now() - t0)));
    expect(h!.tollgate.policy!.enforcer.stats.settleErrors).toBeGreaterThanOrEqual(6);
    await proxy.listen();

    const rows = (await h!.rows()).filter((r) => r.user === 'dave');
    expect(rows).toHaveLength(3);
    const ledger = rows.reduce((s, r) => s + (r.costPicos ?? 0n), 0n);
    expect(ledger).toBe(3n * 18_000_000n);
    await eventually(async () => expect(await counterOn(h!.tollgate, dave)).toMatchObject({ spent: ledger, held: 0n }), 10_000);
    const next = await stream(key);
    expect(next.status).toBe(200);
    expect(h!.tollgate.policy!.enforcer.pendingSettlements).toMatchObject({ waiting: 0, kept: 3, applied: 3, gone: 0, dropped: 0, lapsed: 0 });
    // A warning while Redis is away, a line when it is back; no error, and no line a request.
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.filter((l) => l.msg.startsWith('the budget counters do not answer'))).toHaveLength(1);
    expect(lines.find((l) => l.msg.startsWith('the budget counters answer again'))).toMatchObject({ level: 'info', fields: { applied: 3, dropped: 0, lapsed: 0 } });
  }, 30_000);

  it('a replica that shuts down before Redis answers says how many settlements it leaves for the lease; reconcile --fix on another replica releases them', async () => {
    const { log, lines } = recording();
    const where = shared();
    const { key } = await start(log, where);
    const streams = [stream(key), stream(key)];
    await eventually(() => expect(h!.fake.arrivals).toHaveLength(2));
    await proxy.cut();
    expect((await Promise.all(streams)).map((s) => s.status)).toEqual([200, 200]);
    await eventually(() => expect(h!.tollgate.policy!.enforcer.pendingSettlements.waiting).toBe(2));
    const t0 = Date.now();
    await h!.close();
    h = undefined;
    // One last try, refused at once: shutdown does not wait for Redis.
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(lines.find((l) => l.msg.startsWith('shutting down with 2 settlement(s)'))).toMatchObject({ level: 'warn', fields: { left: 2 } });

    // Another replica on the same ledger and counters, Redis answering: the two holds stand, their requests' rows are in the ledger.
    await proxy.listen();
    await start(recording().log, where);
    expect(await counterOn(h!.tollgate, dave)).toMatchObject({ spent: 0n, held: 2n * 209_500_000n });
    const admin = (fix: boolean) => fetch(`${h!.url}/admin/v1/budgets/reconcile${fix ? '?fix=true' : ''}`, { headers: { authorization: 'Bearer admin-secret' } }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(await admin(false)).toMatchObject({ ended_holds: 2, released_holds: 0 });
    expect(await admin(true)).toMatchObject({ ended_holds: 2, released_holds: 2, data: [{ budget_id: dave.id, counted_usd: '0', ledger_usd: '0.000036', fixed: true }] });
    expect(await counterOn(h!.tollgate, dave)).toMatchObject({ spent: 2n * 18_000_000n, held: 0n });
  }, 30_000);
});
