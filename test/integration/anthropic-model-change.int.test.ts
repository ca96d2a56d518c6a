import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScope } from '../../src/policy/scope.js';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, counterOn, eventually, startHarness, testBudget } from '../support/harness.js';

// Claude Haiku 4.5 takes neither adaptive thinking nor an effort, Claude Sonnet 5 no manual thinking
// budget: the fake upstream answers each with the 400 the Messages API does (anthropic-models.ts).
const messages = [{ role: 'user' as const, content: 'Think it through.' }];

describe('a budget downgrade from Claude Opus 4.8 to Claude Haiku 4.5', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '1', downgrade: { at_percent: 50, to: 'claude-haiku-4-5' } });
  let h: Harness;
  let client: Anthropic;
  beforeAll(async () => {
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    // 24,000 output tokens of claude-opus-4-8 at $25/M: $0.60, 60% of the day's $1.
    h.fake.setDefault({ usage: { input: 0, output: 24_000 } });
    await client.messages.stream({ model: 'claude-opus-4-8', max_tokens: 24_000, messages }).finalMessage();
    await eventually(async () => expect((await counterOn(h.tollgate, budget)).spent).toBe(600_000_000_000n));
    h.fake.setDefault({ text: 'Done.', usage: { input: 10, output: 5 } });
  });
  afterAll(() => h.close());

  it('sends adaptive thinking as a budget of the cap and no effort, the rest as the SDK sent it', async () => {
    const before = h.fake.requests.length;
    const { response } = await client.beta.messages
      .create({ model: 'claude-opus-4-8', max_tokens: 4_000, thinking: { type: 'adaptive', display: 'summarized' }, output_config: { effort: 'xhigh' }, messages, betas: ['effort-2025-11-24'] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('claude-opus-4-8->claude-haiku-4-5');
    expect(h.fake.requests.slice(before).map((r) => r.json)).toEqual([{ model: 'claude-haiku-4-5', max_tokens: 4_000, thinking: { type: 'enabled', budget_tokens: 3_999, display: 'summarized' }, messages }]);
  });

  it('keeps an output_config format, dropping only the effort, in a stream', async () => {
    const before = h.fake.requests.length;
    const format = { type: 'json_schema' as const, schema: { type: 'object', properties: {}, additionalProperties: false } };
    const stream = client.messages.stream({ model: 'claude-opus-4-8', max_tokens: 1_000, thinking: { type: 'adaptive' }, output_config: { effort: 'low', format }, messages });
    await stream.finalMessage();
    // No room for the least budget (1,024) below a cap of 1,000: thinking off.
    expect(h.fake.requests.slice(before).map((r) => r.json)).toEqual([{ model: 'claude-haiku-4-5', max_tokens: 1_000, thinking: { type: 'disabled' }, output_config: { format }, messages, stream: true }]);
  });
});

describe('a model policy rewriting Claude Sonnet 4.5 to Claude Sonnet 5', () => {
  let h: Harness;
  beforeAll(async () => {
    const policy = { id: 'p', name: null, scope: parseScope('org'), allow: null, deny: [], rewrites: [{ from: 'claude-sonnet-4-5', to: 'claude-sonnet-5' }], allowKeep: true, source: 'config' as const, createdAt: 0 };
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [policy] } } });
    h.fake.setDefault({ text: 'Done.', usage: { input: 10, output: 5 } });
  });
  afterAll(() => h.close());

  it('sends a manual thinking budget as adaptive thinking', async () => {
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const { response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8_000, thinking: { type: 'enabled', budget_tokens: 4_000 }, messages }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('claude-sonnet-4-5->claude-sonnet-5');
    expect(h.fake.requests.map((r) => r.json)).toEqual([{ model: 'claude-sonnet-5', max_tokens: 8_000, thinking: { type: 'adaptive' }, messages }]);
  });
});
