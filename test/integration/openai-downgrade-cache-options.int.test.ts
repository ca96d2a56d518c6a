import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, testBudget } from '../support/harness.js';
import { startSpentBudget } from '../support/spent-budget.js';

// GPT-5.6's prompt_cache_options and prompt_cache_breakpoint are refused (400) by older models
// (protocols.md §2.2), so a downgrade from gpt-5.6-sol to gpt-5-mini must not forward them.
describe('a budget downgrade of a GPT-5.6 request that sets cache options', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'gpt-5-mini' } });
  let h: Harness;
  let client: OpenAI;
  const breakpoint = { mode: 'explicit', ttl: '30m' };
  beforeAll(async () => {
    // 400 output tokens of gpt-5.6-sol at $20/M: $0.008, 80% of the day.
    ({ h, client } = await startSpentBudget(budget, { usage: { input: 0, output: 400 } }, (c) => c.responses.create({ model: 'gpt-5.6-sol', input: 'hi', max_output_tokens: 400 }), 8_000_000_000n, { usage: { input: 10, output: 5 } }));
  });
  afterAll(() => h.close());

  it('Responses: sends gpt-5-mini the request without them, the rest as the SDK sent it', async () => {
    const before = h.fake.requests.length;
    const params = {
      model: 'gpt-5.6-sol',
      max_output_tokens: 50,
      prompt_cache_key: 'repo-42',
      prompt_cache_options: { mode: 'explicit', ttl: '30m' },
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'The stable prefix.', prompt_cache_breakpoint: breakpoint }] },
        { role: 'user', content: [{ type: 'input_text', text: 'The question.' }] },
      ],
    } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;
    const { response } = await client.responses.create(params).withResponse();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-5.6-sol->gpt-5-mini');
    const sent = h.fake.requests.slice(before)[0]!.json as Record<string, unknown>;
    expect(sent).toEqual({
      model: 'gpt-5-mini',
      max_output_tokens: 50,
      prompt_cache_key: 'repo-42',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'The stable prefix.' }] },
        { role: 'user', content: [{ type: 'input_text', text: 'The question.' }] },
      ],
    });
  });

  it('Chat Completions: the same, marker by marker', async () => {
    const before = h.fake.requests.length;
    const params = {
      model: 'gpt-5.6-sol',
      max_completion_tokens: 50,
      prompt_cache_options: { mode: 'implicit' },
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are terse.', prompt_cache_breakpoint: breakpoint }] },
        { role: 'user', content: 'hi' },
      ],
    } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
    const { response } = await client.chat.completions.create(params).withResponse();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-5.6-sol->gpt-5-mini');
    const sent = h.fake.requests.slice(before)[0]!.json as Record<string, unknown>;
    expect(sent).toEqual({ model: 'gpt-5-mini', max_completion_tokens: 50, messages: [{ role: 'system', content: [{ type: 'text', text: 'You are terse.' }] }, { role: 'user', content: 'hi' }] });
  });
});
