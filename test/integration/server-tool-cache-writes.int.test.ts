import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../src/core/usage.js';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

// A Messages stream whose model ran a server tool (Claude Code's WebSearch) reports in message_delta
// the cache writes of every sampling round, while message_start's TTL split covers the first round
// alone (LiteLLM #42663). The writes past the split are priced at its shares: a Claude Code session
// that caches for an hour pays 2x input for them, not the 1.25x of 5-minute writes.

const price = createPricer();
const h = useHarness({ price });

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

describe('cache writes of a server tool’s later sampling rounds', () => {
  it('are priced at the TTL shares of message_start’s split, through the Anthropic SDK', async () => {
    const model = 'claude-sonnet-4-5-20250929';
    h.fake.script({
      events: [
        event('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 300, cache_creation_input_tokens: 31_490, cache_read_input_tokens: 426_653, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 31_490 }, output_tokens: 1 } } }),
        event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
        event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Found it.' } }),
        event('content_block_stop', { type: 'content_block_stop', index: 0 }),
        event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 900, cache_creation_input_tokens: 184_457, cache_read_input_tokens: 426_653, output_tokens: 700, server_tool_use: { web_search_requests: 5, web_fetch_requests: 0 } } }),
        event('message_stop', { type: 'message_stop' }),
      ],
    });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const final = await client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'search' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }).finalMessage();
    expect(final.usage.cache_creation_input_tokens).toBe(184_457);
    const [row] = await h.rows();
    const usage = { ...zeroUsage(), inputTokens: 900 + 184_457 + 426_653, cacheReadTokens: 426_653, cacheWriteTokens: 184_457, cacheWrite1hTokens: 184_457, outputTokens: 700, webSearches: 5 };
    expect(row).toMatchObject({ model, inputTokens: usage.inputTokens, cacheWriteTokens: 184_457, cacheWrite1hTokens: 184_457, outputTokens: 700, usageSource: 'final', unpriced: false });
    expect(row!.costPicos).toBe(price({ provider: 'anthropic', catalogProvider: 'anthropic', model, at: new Date(row!.ts), usage }).costPicos);
  });
});
