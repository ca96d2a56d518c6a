import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import type { PriceFn } from '../../src/metering/build-row.js';
import { type Harness, startHarness, testBudget } from '../support/harness.js';

/**
 * An Interactions create that continues a stored interaction (`previous_interaction_id`) is billed
 * the stored turns as input, which its body does not hold: a budget's estimate counts the previous
 * interaction's own tokens, from its row, or `policy.responses_context_tokens` when not known.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** $20 per million input tokens, $60 per million output: 128,000 tokens of context alone are $2.56. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });
const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.05' });

describe('a Gemini interaction continuing a stored one, under a budget', () => {
  it('is counted at the previous interaction’s own tokens when its row is known, at the setting when not', async () => {
    // Every key may continue any interaction: one made elsewhere reaches the estimate.
    h = await startHarness({ price, auth: { storedObjects: 'shared' }, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    const ai = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    h.fake.setDefault({ usage: { input: 200, output: 50 } });
    const generation_config = { max_output_tokens: 100 };
    const first = await ai.interactions.create({ model: 'gemini-2.5-flash', input: 'Remember 7.', generation_config });
    // 250 tokens of context, not 128,000: admitted.
    const next = await ai.interactions.create({ model: 'gemini-2.5-flash', input: 'What was it?', previous_interaction_id: first.id, generation_config });
    expect(next.id).not.toBe(first.id);
    // One the gateway has no row of: its context is not known, 128,000 tokens are counted, over the $0.05.
    const err = await ai.interactions
      .create({ model: 'gemini-2.5-flash', input: 'And then?', previous_interaction_id: 'v1_madeElsewhere', generation_config })
      .then(() => undefined, (e: unknown) => e as { status?: number; message?: string });
    expect(err?.status).toBe(402);
    expect(err?.message).toContain('(128,000) allowed for the stored interaction it continues (`previous_interaction_id`)');
    expect(h.fake.requests.map((r) => (r.json as { previous_interaction_id?: string }).previous_interaction_id)).toEqual([undefined, first.id]);
  });
});
