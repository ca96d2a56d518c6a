import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../core/usage.js';
import { estimateMessageTokens } from './count-tokens.js';
import { anthropicStopReason, matchedStopSequence, openaiFinishReason } from './stop-reasons.js';
import { anthropicDeltaUsageOf, anthropicUsageOf, openaiUsageOf } from './usage.js';

describe('stop reasons', () => {
  it('OpenAI → Anthropic', () => {
    expect(['stop', 'length', 'tool_calls', 'function_call', 'content_filter', undefined].map((f) => anthropicStopReason(f, false))).toEqual(['end_turn', 'max_tokens', 'tool_use', 'tool_use', 'refusal', 'end_turn']);
    expect(anthropicStopReason('stop', true)).toBe('refusal');
    expect(matchedStopSequence('###', ['###'])).toBe('###');
    expect(matchedStopSequence('###', [])).toBeNull();
    expect(matchedStopSequence(null, ['###'])).toBeNull();
  });

  it('Anthropic → OpenAI', () => {
    const all = ['end_turn', 'stop_sequence', 'pause_turn', 'max_tokens', 'model_context_window_exceeded', 'tool_use', 'refusal', undefined];
    expect(all.map(openaiFinishReason)).toEqual(['stop', 'stop', 'stop', 'length', 'length', 'tool_calls', 'content_filter', 'stop']);
  });
});

describe('usage both ways', () => {
  const u = { ...zeroUsage(), inputTokens: 10_000, cacheReadTokens: 6000, cacheWriteTokens: 3000, cacheWrite1hTokens: 1000, outputTokens: 500, reasoningTokens: 200 };

  it('Anthropic’s input is the uncached part; the TTL split only where Anthropic sends it', () => {
    expect(anthropicUsageOf(u)).toEqual({
      input_tokens: 1000,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 6000,
      cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
      output_tokens: 500,
      output_tokens_details: { thinking_tokens: 200 },
    });
    expect(anthropicDeltaUsageOf(u)).not.toHaveProperty('cache_creation');
  });

  it('OpenAI’s prompt_tokens is all of the input', () => {
    expect(openaiUsageOf(u)).toEqual({
      prompt_tokens: 10_000,
      completion_tokens: 500,
      total_tokens: 10_500,
      prompt_tokens_details: { cached_tokens: 6000, cache_write_tokens: 3000 },
      completion_tokens_details: { reasoning_tokens: 200 },
    });
    expect(openaiUsageOf(zeroUsage()).prompt_tokens_details).toEqual({ cached_tokens: 0 });
  });
});

describe('count_tokens estimate', () => {
  it('four characters a token over what reaches the model; an image counts 1,600 whatever its base64 size', () => {
    const text = { model: 'qwen3', max_tokens: 99999, messages: [{ role: 'user', content: 'x'.repeat(400) }] };
    // "user" (4 characters) and the 400 of the text.
    expect(estimateMessageTokens(text)).toBe(101);
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(1_000_000) } };
    expect(estimateMessageTokens({ model: 'q', messages: [{ role: 'user', content: [image] }] })).toBe(1601);
    const tools = { model: 'q', messages: [], tools: [{ name: 'Read', description: 'd'.repeat(36), input_schema: { type: 'object' } }] };
    // "Read" and the description: `type` members are skipped as framing, in schemas too (a small undercount).
    expect(estimateMessageTokens(tools)).toBe(10);
  });
});
