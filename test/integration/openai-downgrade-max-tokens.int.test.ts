import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, testBudget } from '../support/harness.js';
import { startSpentBudget } from '../support/spent-budget.js';

// gpt-4.1 takes a chat request's max_tokens and any temperature; gpt-5-mini, as every OpenAI reasoning
// model, refuses max_tokens with a 400 ("Use 'max_completion_tokens' instead"), and a temperature or
// top_p but 1. A downgrade from one to the other renames the cap and drops those.
describe('a budget downgrade of a chat request with max_tokens to a reasoning model', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'gpt-5-mini' }, enforce_max_tokens: true });
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    // 800 output tokens of gpt-4.1 at $8/M: $0.0064, 64% of the day.
    ({ h, client } = await startSpentBudget(budget, { usage: { input: 0, output: 800 } }, (c) => c.chat.completions.create({ model: 'gpt-4.1', max_tokens: 800, messages: [{ role: 'user', content: 'hi' }] }), 6_400_000_000n, { usage: { input: 10, output: 5 } }));
  });
  afterAll(() => h.close());

  it('sends gpt-5-mini the cap as max_completion_tokens, the rest as the SDK sent it', async () => {
    const before = h.fake.requests.length;
    const { response } = await client.chat.completions.create({ model: 'gpt-4.1', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-4.1->gpt-5-mini');
    expect(h.fake.requests.slice(before).map((r) => r.json)).toEqual([{ model: 'gpt-5-mini', max_completion_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }]);
  });

  it('drops a temperature and top_p gpt-5-mini refuses, keeping the rest as the SDK sent it', async () => {
    const before = h.fake.requests.length;
    await client.chat.completions.create({ model: 'gpt-4.1', temperature: 0.2, top_p: 0.9, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect(h.fake.requests.slice(before).map((r) => r.json)).toEqual([{ model: 'gpt-5-mini', max_completion_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }]);
  });

  it('lowers that cap where enforce_max_tokens must, and sends no max_tokens beside it', async () => {
    const before = h.fake.requests.length;
    await client.chat.completions.create({ model: 'gpt-4.1', max_tokens: 100_000, messages: [{ role: 'user', content: 'hi' }] });
    const [sent] = h.fake.requests.slice(before).map((r) => r.json as Record<string, unknown>);
    expect(Object.keys(sent!)).toEqual(['model', 'messages', 'max_completion_tokens']);
    expect(sent!.max_completion_tokens).toBeLessThan(100_000);
  });
});
