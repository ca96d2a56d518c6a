import { describe, expect, it } from 'vitest';
import type { Budget } from '../../src/policy/rules.js';
import type { RoutingRule } from '../../src/routing/rules/rule.js';
import { type Counters, askChat, asked, budgetGateways, priceByRates, sentModel, withAzure } from '../support/budget-fallbacks.js';
import { type Harness, counterOn, testBudget } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

// A routing rule moves small gpt-5 requests to a local model with no price. Admission reserves
// nothing for it (an unpriced model counts as free); when the local server fails, the request falls
// back to gpt-5, which a user budget must still be able to pay for.

const price = priceByRates({ 'gpt-5': [1_000_000n, 8_000_000n] });
const toLocal: RoutingRule = { id: 'small-to-local', mode: 'enforce', match: { model: ['gpt-5'] }, action: { model: 'qwen3-local' } };
const gateways = budgetGateways('tgut');

function gateway(counters: Counters, budgets: Budget[]): Promise<Harness> {
  return gateways.start({ price, routingRules: [toLocal], policy: { rules: { budgets, rateLimits: [], modelPolicies: [] }, ...gateways.counters(counters) } });
}

const ask = (h: Harness) => askChat(h, 'gpt-5');

describe.each(['memory', 'redis'] as const)('a failed unpriced target falls back to a priced model within the budget (%s counters)', (counters) => {
  it('refuses the fallback a spent budget cannot pay for, rather than serving it unreserved', async () => {
    // 0.0001 USD: gpt-5 with 100 output tokens (0.0008 USD at least) never fits; the free target always does.
    const spent = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 0.0001 });
    const h = await gateway(counters, [spent]);
    expect((await ask(h)).status).toBe(200);
    expect(h.fake.requests.map(sentModel)).toEqual(['qwen3-local']);

    h.fake.script({ match: asked('qwen3-local'), status: 503, times: 5 });
    const refused = await ask(h);
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });
    // The local try was made; gpt-5 never was.
    expect(h.fake.requests.map(sentModel)).toEqual(['qwen3-local', 'qwen3-local']);
    const row = await h.row(refused.id!);
    expect(row).toMatchObject({ status: 402, errorType: 'budget_exceeded', costPicos: 0n });
    expect(await counterOn(h.tollgate, spent)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('charges the fallback it can pay for once, with nothing left held', async () => {
    const roomy = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const h = await gateway(counters, [roomy]);
    h.fake.script({ match: asked('qwen3-local'), status: 503 }, { match: asked('gpt-5'), usage: { input: 20, output: 30 } });
    const served = await ask(h);
    expect(served.status).toBe(200);
    expect(h.fake.requests.map(sentModel)).toEqual(['qwen3-local', 'gpt-5']);
    const row = await h.row(served.id!);
    expect(row.costPicos).toBe(20n * 1_000_000n + 30n * 8_000_000n);
    expect(await counterOn(h.tollgate, roomy)).toMatchObject({ spent: row.costPicos, held: 0n });
  });
});

// A deployment of another provider that knows gpt-5 by a name of its own (an Azure deployment's
// name): the catalog has no price for that name, so its budgets are held at the route's model.
describe.each(['memory', 'redis'] as const)('a fallback deployment whose upstream name has no price (%s counters)', (counters) => {
  it('is held at the route model on its provider budget, which refuses it when spent', async () => {
    const azure = testBudget({ scope: 'provider:azure', window: 'day', limit_usd: 0.0001 });
    const h = await gateways.start({
      price,
      providers: withAzure,
      policy: { rules: { budgets: [azure], rateLimits: [], modelPolicies: [] }, ...gateways.counters(counters) },
      routing: (url) =>
        routingFrom(
          {
            routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } },
            routes: [{ model: 'gpt-5', deployments: [{ provider: 'openai', name: 'ut-main' }, { provider: 'azure', name: 'ut-azure', model: 'prod-gpt5', order: 1 }] }],
          },
          withAzure(url),
        ),
    });
    h.fake.script({ match: asked('gpt-5'), status: 503, times: 5 }, { match: asked('prod-gpt5'), model: 'gpt-5', usage: { input: 20, output: 30 } });
    const refused = await ask(h);
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });
    expect(h.fake.requests.map(sentModel)).toEqual(['gpt-5']);
    expect(await counterOn(h.tollgate, azure)).toMatchObject({ spent: 0n, held: 0n });
  });
});
