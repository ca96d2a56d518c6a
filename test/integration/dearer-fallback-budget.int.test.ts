import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/schema.js';
import type { Budget } from '../../src/policy/rules.js';
import type { RoutingRule } from '../../src/routing/rules/rule.js';
import { type Counters, askChat, asked, budgetGateways, priceByRates, sentModel, withAzure } from '../support/budget-fallbacks.js';
import { type Harness, counterOn, testBudget } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

// A route for a cheap model falls back to a dear one. Admission holds the user budget at the cheap
// model's estimate; the fallback must be held at its own, or the dear model runs on the cheap one's room.

// Picos per input and output token: gpt-5 costs a thousand times gpt-5-mini.
const price = priceByRates({ 'gpt-5-mini': [1_000n, 8_000n], 'gpt-5': [1_000_000n, 8_000_000n] });
const gateways = budgetGateways('tgdf');

function gateway(counters: Counters, budgets: Budget[], routes: NonNullable<ConfigFile['routes']>): Promise<Harness> {
  return gateways.start({
    price,
    providers: withAzure,
    policy: { rules: { budgets, rateLimits: [], modelPolicies: [] }, ...gateways.counters(counters) },
    routing: (url) => routingFrom({ routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } }, routes }, withAzure(url)),
  });
}

const cheapToDear: NonNullable<ConfigFile['routes']> = [
  { model: 'gpt-5-mini', deployments: [{ provider: 'openai', name: 'df-cheap' }], fallbacks: ['gpt-5'] },
  { model: 'gpt-5', deployments: [{ provider: 'openai', name: 'df-dear' }] },
];

const ask = (h: Harness, m = 'gpt-5-mini') => askChat(h, m);

describe.each(['memory', 'redis'] as const)('a route falling back to a dearer model is held at its price (%s counters)', (counters) => {
  it('refuses the dear fallback a budget has room for the cheap model only', async () => {
    // 0.0005 USD: gpt-5 with 100 output tokens (0.0008 USD at least) never fits; gpt-5-mini (about 0.000001 USD) does.
    const user = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 0.0005 });
    const h = await gateway(counters, [user], cheapToDear);
    h.fake.script({ match: asked('gpt-5-mini'), status: 503, times: 5 }, { match: asked('gpt-5'), usage: { input: 20, output: 100 } });
    const refused = await ask(h);
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });
    expect(h.fake.requests.map(sentModel)).toEqual(['gpt-5-mini']);
    const row = await h.row(refused.id!);
    expect(row).toMatchObject({ status: 402, errorType: 'budget_exceeded', costPicos: 0n });
    expect(await counterOn(h.tollgate, user)).toMatchObject({ spent: 0n, held: 0n });
    expect(h.tollgate.policy!.enforcer.stats).toMatchObject({ admitted: 1, fallbackHolds: 0, fallbackRefused: 1 });
  });

  it('serves the dear fallback a budget has room for, charged its cost once with nothing held', async () => {
    const user = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const h = await gateway(counters, [user], cheapToDear);
    h.fake.script({ match: asked('gpt-5-mini'), status: 503 }, { match: asked('gpt-5'), usage: { input: 20, output: 30 } });
    const served = await ask(h);
    expect(served.status).toBe(200);
    expect(h.fake.requests.map(sentModel)).toEqual(['gpt-5-mini', 'gpt-5']);
    const row = await h.row(served.id!);
    expect(row.costPicos).toBe(20n * 1_000_000n + 30n * 8_000_000n);
    expect(await counterOn(h.tollgate, user)).toMatchObject({ spent: row.costPicos, held: 0n });
    expect(h.tollgate.policy!.enforcer.stats).toMatchObject({ admitted: 1, fallbackHolds: 1, fallbackRefused: 0, settleErrors: 0 });
  });

  it('keeps parallel requests that all fall back to the dear model within the limit', async () => {
    // 0.003 USD: room for 3 gpt-5 answers of 100 tokens (0.00082 USD each), and for all 12 gpt-5-mini ones many times over.
    const user = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 0.003 });
    const h = await gateway(counters, [user], cheapToDear);
    const n = 12;
    h.fake.script({ match: asked('gpt-5-mini'), status: 503, times: n }, { match: asked('gpt-5'), usage: { input: 20, output: 100 }, firstByteDelayMs: 100, times: n });
    const results = await Promise.all(Array.from({ length: n }, () => ask(h)));
    const served = results.filter((r) => r.status === 200);
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 402 && r.code === 'budget_exceeded')).toBe(true);
    expect(served.length).toBeGreaterThan(0);
    expect(served.length).toBeLessThanOrEqual(3);
    const rows = await Promise.all(results.map((r) => h.row(r.id!)));
    const ledger = rows.reduce((s, r) => s + (r.costPicos ?? 0n), 0n);
    expect(ledger).toBe(BigInt(served.length) * (20n * 1_000_000n + 100n * 8_000_000n));
    expect(ledger).toBeLessThanOrEqual(3_000_000_000n);
    expect(await counterOn(h.tollgate, user)).toMatchObject({ spent: ledger, held: 0n });
  });
});

// Admission prices a routed request where its first attempt goes: the deployment of lowest `order`,
// not the first one in the file. Priced at the other, the attempt on it needed a second reservation.
describe.each(['memory', 'redis'] as const)('a route whose first deployment in the file is not tried first (%s counters)', (counters) => {
  it('is admitted at the deployment of lowest order, with no second reservation', async () => {
    const openai = testBudget({ scope: 'provider:openai', window: 'day', limit_usd: 1 });
    const h = await gateway(counters, [openai], [{ model: 'gpt-5', deployments: [{ provider: 'azure', name: 'df-later', order: 1 }, { provider: 'openai', name: 'df-first' }] }]);
    h.fake.script({ match: asked('gpt-5'), usage: { input: 20, output: 30 } });
    const served = await ask(h, 'gpt-5');
    expect(served.status).toBe(200);
    const row = await h.row(served.id!);
    expect(row).toMatchObject({ provider: 'openai', costPicos: 20n * 1_000_000n + 30n * 8_000_000n });
    expect(await counterOn(h.tollgate, openai)).toMatchObject({ spent: row.costPicos, held: 0n });
    expect(h.tollgate.policy!.enforcer.stats).toMatchObject({ admitted: 1, fallbackHolds: 0 });
  });
});

// A routing rule moves gpt-5 requests to gpt-5-mini; when the target fails, the request falls back
// to gpt-5, which the user budget held at gpt-5-mini's estimate must have room for.
describe.each(['memory', 'redis'] as const)('a routing rule target falling back to the dearer model asked for (%s counters)', (counters) => {
  const toMini: RoutingRule = { id: 'to-mini', mode: 'enforce', match: { model: ['gpt-5'] }, action: { model: 'gpt-5-mini' } };
  it('refuses the fallback a budget has room for the target only', async () => {
    const user = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 0.0005 });
    const h = await gateways.start({ price, routingRules: [toMini], policy: { rules: { budgets: [user], rateLimits: [], modelPolicies: [] }, ...gateways.counters(counters) } });
    h.fake.script({ match: asked('gpt-5-mini'), status: 503, times: 5 }, { match: asked('gpt-5'), usage: { input: 20, output: 100 } });
    const refused = await ask(h, 'gpt-5');
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });
    expect(h.fake.requests.map(sentModel)).toEqual(['gpt-5-mini']);
    expect(await counterOn(h.tollgate, user)).toMatchObject({ spent: 0n, held: 0n });
  });
});
