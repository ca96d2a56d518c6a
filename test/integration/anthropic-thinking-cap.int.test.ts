import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, startHarness, testBudget } from '../support/harness.js';

// Anthropic refuses manual thinking whose budget_tokens is not below max_tokens (400), so a budget's
// enforce_max_tokens that lowers the cap lowers the thinking budget with it.
describe('a Messages output cap lowered under a thinking budget', () => {
  let h: Harness;
  beforeAll(async () => {
    const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.05', enforce_max_tokens: true });
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
  });
  afterAll(() => h.close());

  it('sends a thinking budget below the lowered cap, the rest of the request as the SDK sent it', async () => {
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 16_000,
      thinking: { type: 'enabled', budget_tokens: 8_000 },
      messages: [{ role: 'user', content: 'Think it through.' }],
    });
    await stream.finalMessage();
    const sent = h.fake.requests[0]!.json as { max_tokens: number; thinking: { type: string; budget_tokens: number }; stream: boolean };
    // $0.05 at claude-sonnet-4-6's $15/M of output is under 3,334 tokens.
    expect(sent.max_tokens).toBeLessThan(3_334);
    expect(sent.max_tokens).toBeGreaterThan(3_000);
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: sent.max_tokens - 1 });
    expect(sent.stream).toBe(true);
  });
});
