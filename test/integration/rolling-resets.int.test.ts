import { afterAll, describe, expect, it } from 'vitest';
import type { PriceFn } from '../../src/metering/build-row.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import { type Harness, startHarness, testBudget } from '../support/harness.js';
import { TEST_REDIS, redisPrefixes } from '../support/redis.js';


/** $20 per million input tokens, $60 per million output. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });

const started: Harness[] = [];
const prefixes = redisPrefixes('tgresets');
afterAll(async () => {
  for (const h of started.splice(0)) await h.close();
  await prefixes.drop();
});

type Counters = () => { redisUrl?: string; keyPrefix?: string };
const memory: Counters = () => ({});
const redis: Counters = () => {
  const keyPrefix = prefixes.next();
  return { redisUrl: TEST_REDIS, keyPrefix };
};

describe.each([
  ['SQLite, memory counters', memory],
  ['SQLite, counters in Redis', redis],
] as const)('a rolling budget’s reset as every answer gives it (%s)', (_name, counters) => {
  it('is the same instant in the response header, the refusal, /me and the admin status: when what it counts now has aged out', async () => {
    // Mid-bucket: 5-minute buckets of a 5h window, the request's 10:00 to 10:05, which leaves the window at 15:05.
    const at = Date.parse('2026-11-22T10:02:30Z');
    const { redisUrl, keyPrefix } = counters();
    const budget = testBudget({ id: 'alice-5h', scope: 'user:alice', window: '5h', limit_usd: '0.05' });
    const h = await startHarness({ price, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] }, now: () => at, redisUrl, settings: { ...DEFAULT_POLICY_SETTINGS, ...(keyPrefix ? { keyPrefix } : {}) } } });
    started.push(h);
    h.fake.setDefault({ usage: { input: 200, output: 50 } });
    const chat = (maxTokens: number) =>
      fetch(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5', max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const expected = '2026-11-22T15:05:00.000Z';

    const ok = await chat(50);
    await ok.text();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-tollgate-budget-remaining')).toMatch(new RegExp(`; window=5h; resets=${expected.replace(/\./g, '\\.')}$`));

    // $60 a million output tokens: 1,000,000 of them could cost far more than the $0.05 limit.
    const refused = await chat(1_000_000);
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as { error: { tollgate: { resets_at: string } } }).error.tollgate.resets_at).toBe(expected);

    const me = (await (await fetch(`${h.url}/admin/v1/me`, { headers: { authorization: `Bearer ${h.key.key}` } })).json()) as { budgets: { budget_id: string; resets_at: string }[] };
    expect(me.budgets).toEqual([expect.objectContaining({ budget_id: 'alice-5h', resets_at: expected })]);
    const status = (await (await fetch(`${h.url}/admin/v1/budgets/status`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as { data: { id: string; resets_at: string }[] };
    expect(status.data).toEqual([expect.objectContaining({ id: 'alice-5h', resets_at: expected })]);
  });
});
