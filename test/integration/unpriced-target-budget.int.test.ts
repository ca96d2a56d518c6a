import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import type { PriceFn } from '../../src/metering/build-row.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import type { Budget } from '../../src/policy/rules.js';
import type { RoutingRule } from '../../src/routing/rules/rule.js';
import type { RecordedRequest } from '../fake-upstream/index.js';
import { type Harness, counterOn, defaultProviders, startHarness, testBudget } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';
import { TEST_REDIS, redisPrefixes } from '../support/redis.js';

// A routing rule moves small gpt-5 requests to a local model with no price. Admission reserves
// nothing for it (an unpriced model counts as free); when the local server fails, the request falls
// back to gpt-5, which a user budget must still be able to pay for.

const RATES: Record<string, [bigint, bigint]> = { 'gpt-5': [1_000_000n, 8_000_000n] };
const price: PriceFn = (r) => {
  const rate = RATES[r.model];
  return rate ? { costPicos: BigInt(r.usage.inputTokens) * rate[0] + BigInt(r.usage.outputTokens) * rate[1], unpriced: false } : { costPicos: null, unpriced: true };
};
const toLocal: RoutingRule = { id: 'small-to-local', mode: 'enforce', match: { model: ['gpt-5'] }, action: { model: 'qwen3-local' } };
const model = (r: RecordedRequest) => (r.json as { model?: string } | undefined)?.model;
const asked = (m: string) => (r: RecordedRequest) => model(r) === m;

const open: { close(): Promise<void> }[] = [];
const prefixes = redisPrefixes('tgut');
afterAll(async () => {
  for (const x of open.reverse()) await x.close();
  await prefixes.drop();
});

async function gateway(counters: 'memory' | 'redis', budgets: Budget[]): Promise<Harness> {
  const h = await startHarness({
    price,
    routingRules: [toLocal],
    policy: {
      rules: { budgets, rateLimits: [], modelPolicies: [] },
      ...(counters === 'redis' ? { redisUrl: TEST_REDIS, settings: { ...DEFAULT_POLICY_SETTINGS, keyPrefix: prefixes.next() } } : {}),
    },
  });
  open.push(h);
  return h;
}

const ask = (h: Harness) =>
  new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).chat.completions
    .create({ model: 'gpt-5', max_completion_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
    .withResponse()
    .then(
      (x) => ({ status: 200, id: x.response.headers.get('x-tollgate-request-id') }),
      (e: InstanceType<typeof OpenAI.APIError>) => ({ status: e.status, id: e.headers?.get('x-tollgate-request-id') ?? null, code: (e.error as { code?: string }).code }),
    );

describe.each(['memory', 'redis'] as const)('a failed unpriced target falls back to a priced model within the budget (%s counters)', (counters) => {
  it('refuses the fallback a spent budget cannot pay for, rather than serving it unreserved', async () => {
    // 0.0001 USD: gpt-5 with 100 output tokens (0.0008 USD at least) never fits; the free target always does.
    const spent = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 0.0001 });
    const h = await gateway(counters, [spent]);
    expect((await ask(h)).status).toBe(200);
    expect(h.fake.requests.map(model)).toEqual(['qwen3-local']);

    h.fake.script({ match: asked('qwen3-local'), status: 503, times: 5 });
    const refused = await ask(h);
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });
    // The local try was made; gpt-5 never was.
    expect(h.fake.requests.map(model)).toEqual(['qwen3-local', 'qwen3-local']);
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
    expect(h.fake.requests.map(model)).toEqual(['qwen3-local', 'gpt-5']);
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
    const h = await startHarness({
      price,
      providers: (url) => [...defaultProviders(url), { name: 'azure', dialect: 'openai', baseUrl: url, apiKey: 'sk-azure', models: undefined, headers: {}, catalog: 'openai' }],
      policy: {
        rules: { budgets: [azure], rateLimits: [], modelPolicies: [] },
        ...(counters === 'redis' ? { redisUrl: TEST_REDIS, settings: { ...DEFAULT_POLICY_SETTINGS, keyPrefix: prefixes.next() } } : {}),
      },
      routing: (url) =>
        routingFrom(
          {
            routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } },
            routes: [{ model: 'gpt-5', deployments: [{ provider: 'openai', name: 'ut-main' }, { provider: 'azure', name: 'ut-azure', model: 'prod-gpt5', order: 1 }] }],
          },
          [...defaultProviders(url), { name: 'azure', dialect: 'openai', baseUrl: url, apiKey: 'sk-azure', models: undefined, headers: {}, catalog: 'openai' }],
        ),
    });
    open.push(h);
    h.fake.script({ match: asked('gpt-5'), status: 503, times: 5 }, { match: asked('prod-gpt5'), model: 'gpt-5', usage: { input: 20, output: 30 } });
    const refused = await ask(h);
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });
    expect(h.fake.requests.map(model)).toEqual(['gpt-5']);
    expect(await counterOn(h.tollgate, azure)).toMatchObject({ spent: 0n, held: 0n });
  });
});
