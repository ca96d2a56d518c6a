import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, testBudget } from '../support/harness.js';
import { startSpentBudget } from '../support/spent-budget.js';

// gpt-4.1 takes penalties, logit bias, log probabilities and stop sequences; gpt-5-mini refuses each
// with a 400 (the fake upstream refuses them as OpenAI does: refuseUnsupported). A downgrade from one
// to the other drops them, keeping the rest as the SDK sent it.
describe('a budget downgrade to a reasoning model of a request with settings it refuses', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '1', downgrade: { at_percent: 50, to: 'gpt-5-mini' } });
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    // 70,000 output tokens of gpt-4.1 at $8/M: $0.56 of the day's $1.
    ({ h, client } = await startSpentBudget(budget, { usage: { input: 0, output: 70_000 } }, (c) => c.chat.completions.create({ model: 'gpt-4.1', max_completion_tokens: 70_000, messages: [{ role: 'user', content: 'hi' }] }), 560_000_000_000n, { usage: { input: 10, output: 5 }, refuseUnsupported: true }));
  });
  afterAll(() => h.close());

  it('Chat Completions: penalties, logit_bias, logprobs, top_logprobs and stop are dropped', async () => {
    const before = h.fake.requests.length;
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], presence_penalty: 0.6, frequency_penalty: 0.4, logit_bias: { '50256': -100 }, logprobs: true, top_logprobs: 2, stop: ['\n\n'], seed: 7, stream: true })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-4.1->gpt-5-mini');
    expect(h.fake.requests.slice(before).map((r) => [r.status, r.json])).toEqual([[200, { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], seed: 7, stream: true, stream_options: { include_usage: true } }]]);
  });

  it('the Responses API: log probabilities are no longer asked for, what else it includes is', async () => {
    const before = h.fake.requests.length;
    const r = await client.responses.create({ model: 'gpt-4.1', input: 'hi', top_logprobs: 3, include: ['message.output_text.logprobs', 'web_search_call.action.sources'] });
    expect(r.status).toBe('completed');
    expect(h.fake.requests.slice(before).map((x) => x.json)).toEqual([{ model: 'gpt-5-mini', input: 'hi', include: ['web_search_call.action.sources'] }]);
  });

  it('the fake upstream refuses them as OpenAI does when the model is asked for directly', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], presence_penalty: 0.6 })).rejects.toMatchObject({ status: 400, param: 'presence_penalty', code: 'unsupported_parameter' });
  });
});
