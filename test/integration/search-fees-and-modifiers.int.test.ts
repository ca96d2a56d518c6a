import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

/**
 * Server-side web searches (Claude Code's WebSearch tool runs on Anthropic's side) are billed at
 * $10 per 1,000 on top of the tokens (protocols.md §3.10), and the price modifiers a usage
 * reports apply, through the real SDKs and catalog.
 */
describe('web search fees and price modifiers', () => {
  const h = useHarness({ price: createPricer() });

  it('a Message and a stream that searched the web cost their tokens plus $0.01 a search', async () => {
    // claude-sonnet-4-5: 1,000 in × 3e6 + 100 out × 15e6 = 4.5e9 picos, plus 3 searches × 1e10.
    h.fake.setDefault({ usage: { input: 1_000, output: 100, webSearches: 3 } });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const ask = { model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user' as const, content: 'What happened today?' }] };
    const { data, response } = await client.messages.create(ask).withResponse();
    expect(data.usage.server_tool_use?.web_search_requests).toBe(3);
    const stream = client.messages.stream(ask);
    const final = await stream.finalMessage();
    expect(final.usage.server_tool_use?.web_search_requests).toBe(3);
    const ids = [response.headers.get('x-tollgate-request-id'), (await stream.withResponse()).response.headers.get('x-tollgate-request-id')];
    for (const id of ids) {
      expect(await h.row(id!)).toMatchObject({ inputTokens: 1_000, outputTokens: 100, costPicos: 34_500_000_000n, unpriced: false });
    }
  });

  it('a Response that searched the web, streamed or not: its tool_usage searches at the model’s price', async () => {
    // gpt-4.1: 1,000 in × 2e6 + 100 out × 8e6 = 2.8e9 picos, plus 2 searches at $10 per 1,000 (1e10 each).
    h.fake.setDefault({ usage: { input: 1_000, output: 100, webSearches: 2 } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const { response } = await client.responses.create({ model: 'gpt-4.1', input: 'What happened today?' }).withResponse();
    const streamed = await client.responses.create({ model: 'gpt-4.1', input: 'What happened today?', stream: true }).withResponse();
    for await (const _ of streamed.data) void _;
    for (const id of [response.headers.get('x-tollgate-request-id'), streamed.response.headers.get('x-tollgate-request-id')]) {
      expect(await h.row(id!)).toMatchObject({ model: 'gpt-4.1', inputTokens: 1_000, outputTokens: 100, costPicos: 22_800_000_000n });
    }
  });

  it('fast mode at its premium and US inference at 1.1x, from the usage Anthropic reports, streamed or not; the row names both', async () => {
    // claude-opus-5-5: 1,000 in × 4e6 + 100 out × 20e6 = 6e9 picos; fast 2x; in the US 1.1x: 1.32e10.
    h.fake.setDefault({ usage: { input: 1_000, output: 100, speed: 'fast', inferenceGeo: 'us' } });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const ask = { model: 'claude-opus-5-5', max_tokens: 200, messages: [{ role: 'user' as const, content: 'Quick.' }] };
    const { data, response } = await client.messages.create(ask).withResponse();
    expect(data.usage).toMatchObject({ speed: 'fast', inference_geo: 'us' });
    const stream = client.messages.stream(ask);
    await stream.finalMessage();
    const ids = [response.headers.get('x-tollgate-request-id'), (await stream.withResponse()).response.headers.get('x-tollgate-request-id')];
    for (const id of ids) {
      expect(await h.row(id!)).toMatchObject({ model: 'claude-opus-5-5', inputTokens: 1_000, outputTokens: 100, costPicos: 13_200_000_000n, unpriced: false, serviceTier: 'fast+us' });
    }
  });
});
