import { afterEach, describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, startHarness, testBudget } from '../support/harness.js';

/**
 * Gemini's proto JSON takes `generation_config.max_output_tokens` as it does
 * `generationConfig.maxOutputTokens`: a REST client's cap in either spelling bounds a budget's
 * estimate, and a cap the gateway lowers is lowered where the client wrote it.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PATH = '/v1beta/models/gemini-2.5-flash:generateContent';
const contents = [{ role: 'user', parts: [{ text: 'hi' }] }];

async function send(body: Record<string, unknown>) {
  const res = await fetch(`${h!.url}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': h!.key.key }, body: JSON.stringify({ contents, ...body }) });
  await res.arrayBuffer();
  return res.status;
}

describe('a Gemini output cap written in snake_case', () => {
  it('bounds the estimate of a budget as the camelCase one does: 50 tokens fit in $0.01, no cap does not', async () => {
    // At gemini-2.5-flash's $2.50/M, 50 output tokens are $0.000125; the 8,192 assumed without a cap (policy.default_max_output_tokens) $0.02.
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01' })], rateLimits: [], modelPolicies: [] } } });
    expect(await send({ generationConfig: { maxOutputTokens: 50 } })).toBe(200);
    expect(await send({ generation_config: { max_output_tokens: 50 } })).toBe(200);
    expect(await send({})).toBe(402);
    expect(h.fake.requests.map((r) => r.json)).toEqual([
      { contents, generationConfig: { maxOutputTokens: 50 } },
      { contents, generation_config: { max_output_tokens: 50 } },
    ]);
  });

  it('is lowered in place under enforce_max_tokens, with no second cap beside it, and one below the room goes as it came', async () => {
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', enforce_max_tokens: true })], rateLimits: [], modelPolicies: [] } } });
    expect(await send({ generation_config: { max_output_tokens: 50 } })).toBe(200);
    expect(await send({ generation_config: { max_output_tokens: 60_000, temperature: 0 } })).toBe(200);
    const [small, large] = h.fake.requests;
    expect(small!.body.toString()).toBe(JSON.stringify({ contents, generation_config: { max_output_tokens: 50 } }));
    expect(large!.json).toEqual({ contents, generation_config: { max_output_tokens: expect.any(Number), temperature: 0 } });
    expect((large!.json as { generation_config: { max_output_tokens: number } }).generation_config.max_output_tokens).toBeLessThan(4_000);
  });
});
