import OpenAI from 'openai';
import { afterAll } from 'vitest';
import type { UpstreamProvider } from '../../src/gateway/select-provider.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import type { RecordedRequest } from '../fake-upstream/index.js';
import { type Harness, type HarnessOptions, defaultProviders, startHarness } from './harness.js';
import { TEST_REDIS, redisPrefixes } from './redis.js';

type PolicyOptions = NonNullable<HarnessOptions['policy']>;

// What the tests of budgets across fallbacks and routes share: prices by model, the model each
// upstream request named, a second OpenAI-dialect provider, and gateways on either counter store.

/** Picos per input and output token, by model; a model without rates is unpriced. */
export function priceByRates(rates: Record<string, readonly [bigint, bigint]>): PriceFn {
  return (r) => {
    const rate = rates[r.model];
    return rate ? { costPicos: BigInt(r.usage.inputTokens) * rate[0] + BigInt(r.usage.outputTokens) * rate[1], unpriced: false } : { costPicos: null, unpriced: true };
  };
}

/** The model an upstream request named, and a fake-upstream match for one. */
export const sentModel = (r: RecordedRequest) => (r.json as { model?: string } | undefined)?.model;
export const asked = (m: string) => (r: RecordedRequest) => sentModel(r) === m;

/** The default providers and "azure", a second OpenAI-dialect provider on the same fake upstream. */
export const withAzure = (url: string): UpstreamProvider[] => [...defaultProviders(url), { name: 'azure', dialect: 'openai', baseUrl: url, apiKey: 'sk-azure', models: undefined, headers: {}, catalog: 'openai' }];

export type Counters = 'memory' | 'redis';

/**
 * Gateways for one test file, closed after it: `counters` gives a policy's counter store, Redis
 * under a key prefix of its own (its keys dropped after the file), so earlier runs' spend does not count.
 */
export function budgetGateways(tag: string): { counters(kind: Counters): Partial<PolicyOptions>; start(o: HarnessOptions): Promise<Harness> } {
  const open: Harness[] = [];
  const prefixes = redisPrefixes(tag);
  afterAll(async () => {
    for (const h of open.reverse()) await h.close();
    await prefixes.drop();
  });
  return {
    counters: (kind) => (kind === 'redis' ? { redisUrl: TEST_REDIS, settings: { ...DEFAULT_POLICY_SETTINGS, keyPrefix: prefixes.next() } } : {}),
    async start(o) {
      const h = await startHarness(o);
      open.push(h);
      return h;
    },
  };
}

/** A chat completion through the OpenAI SDK: its status, the row's id, and a refusal's code. */
export function askChat(h: Harness, model: string): Promise<{ status: number | undefined; id: string | null; code?: string }> {
  return new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).chat.completions
    .create({ model, max_completion_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
    .withResponse()
    .then(
      (x) => ({ status: 200, id: x.response.headers.get('x-tollgate-request-id') }),
      (e: InstanceType<typeof OpenAI.APIError>) => ({ status: e.status, id: e.headers?.get('x-tollgate-request-id') ?? null, code: (e.error as { code?: string }).code }),
    );
}
