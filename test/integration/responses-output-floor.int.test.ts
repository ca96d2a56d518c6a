import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, testBudget } from '../support/harness.js';
import { startSpentBudget } from '../support/spent-budget.js';

// The Responses API refuses a max_output_tokens under 16 (400 integer_below_min_value): a budget's
// enforce_max_tokens that can pay for fewer output tokens refuses the request itself, as over budget.
describe('enforce_max_tokens with room for fewer than 16 output tokens of a Response', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', enforce_max_tokens: true });
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    // 310 output tokens of gpt-5.5 at $30/M: $0.0093 of the day's $0.01, which leaves room for the input and a few output tokens.
    ({ h, client } = await startSpentBudget(budget, { usage: { input: 0, output: 310 } }, (c) => c.responses.create({ model: 'gpt-5.5', input: 'hi', max_output_tokens: 310 }), 9_300_000_000n, { usage: { input: 5, output: 3 } }));
  });
  afterAll(() => h.close());

  it('refuses it with the budget’s 402 rather than forward a cap OpenAI refuses', async () => {
    const before = h.fake.requests.length;
    const err = await client.responses.create({ model: 'gpt-5.5', input: 'hi', max_output_tokens: 1_000 }).catch((e: unknown) => e);
    const sent = h.fake.requests.slice(before).map((r) => (r.json as { max_output_tokens?: number }).max_output_tokens);
    expect({ sent, status: (err as { status?: number }).status }).toEqual({ sent: [], status: 402 });
  });

  it('still lowers a Chat Completions cap that far: Chat takes any cap from 1', async () => {
    const before = h.fake.requests.length;
    await client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 1_000 });
    const [sent] = h.fake.requests.slice(before).map((r) => (r.json as { max_completion_tokens: number }).max_completion_tokens);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(16);
  });
});
