import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { chatUsage, embeddingsUsage, responsesUsage } from './usage.js';

describe('OpenAI usage mapping', () => {
  it('maps chat usage from local servers with missing or null details', () => {
    // Ollama: the three counts only.
    expect(chatUsage({ prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 })).toEqual({ ...zeroUsage(), inputTokens: 30, outputTokens: 7 });
    // vLLM without --enable-prompt-tokens-details.
    expect(chatUsage({ prompt_tokens: 30, completion_tokens: 7, prompt_tokens_details: null })).toMatchObject({ cacheReadTokens: 0 });
    // vLLM with it.
    expect(chatUsage({ prompt_tokens: 30, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 16 } })).toMatchObject({ cacheReadTokens: 16 });
  });

  it('prefers prompt_tokens_details over llama.cpp timings when both are there', () => {
    expect(chatUsage({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 40 } }, 90).cacheReadTokens).toBe(40);
    expect(chatUsage({ prompt_tokens: 100 }, 90).cacheReadTokens).toBe(90);
  });

  it('reads the cache hits of servers that report them beside the counts: DeepSeek and Moonshot (Kimi)', () => {
    // DeepSeek: prompt_tokens = hits + misses, and no prompt_tokens_details.
    expect(chatUsage({ prompt_tokens: 1000, completion_tokens: 9, prompt_cache_hit_tokens: 900, prompt_cache_miss_tokens: 100 })).toMatchObject({ inputTokens: 1000, cacheReadTokens: 900 });
    // Moonshot: cached_tokens beside prompt_tokens, which includes them.
    expect(chatUsage({ prompt_tokens: 19, completion_tokens: 21, total_tokens: 40, cached_tokens: 10 })).toMatchObject({ inputTokens: 19, cacheReadTokens: 10 });
    // OpenAI's own field wins where both are sent, and so it does over llama.cpp timings.
    expect(chatUsage({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 40 }, prompt_cache_hit_tokens: 60 }, 90).cacheReadTokens).toBe(40);
    expect(chatUsage({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 0 }, cached_tokens: 60 }).cacheReadTokens).toBe(0);
  });

  it('reads a 12h cache-write split on chat if one ever appears, never above the writes', () => {
    const u = chatUsage({ prompt_tokens: 100, prompt_tokens_details: { cache_write_tokens: 50, cache_write_tokens_details: { ttl_12h_tokens: 80 } } });
    expect(u).toMatchObject({ cacheWriteTokens: 50, cacheWrite1hTokens: 50 });
  });

  it('falls back to the TTL split when Responses has no cache_write_tokens total', () => {
    const u = responsesUsage({
      input_tokens: 5000,
      input_tokens_details: { cached_tokens: 1000, cache_write_tokens_details: { ttl_30m_tokens: 300, ttl_12h_tokens: 700 } },
      output_tokens: 10,
    });
    expect(u).toEqual({ ...zeroUsage(), inputTokens: 5000, cacheReadTokens: 1000, cacheWriteTokens: 1000, cacheWrite1hTokens: 700, outputTokens: 10 });
  });

  it('maps the minimal Responses usage of llama.cpp', () => {
    expect(responsesUsage({ input_tokens: 12, output_tokens: 3, total_tokens: 15 })).toEqual({ ...zeroUsage(), inputTokens: 12, outputTokens: 3 });
  });

  it('ignores junk values', () => {
    expect(chatUsage({ prompt_tokens: -5, completion_tokens: '7', prompt_tokens_details: { cached_tokens: 2.9 } })).toEqual({ ...zeroUsage(), cacheReadTokens: 2 });
    expect(embeddingsUsage({ total_tokens: 9 })).toEqual({ ...zeroUsage(), inputTokens: 9 });
  });

  it('takes a Response’s image generation from tool_usage.image_gen, with the model of its image_generation tool', () => {
    const usage = { input_tokens: 100, output_tokens: 20 };
    const gen = { input_tokens: 560, input_tokens_details: { image_tokens: 500, text_tokens: 60 }, output_tokens: 1_056, total_tokens: 1_616, cached_tokens: 100 };
    const tools = [{ type: 'web_search' }, { type: 'image_generation', model: 'gpt-image-1-mini', quality: 'low' }];
    expect(responsesUsage(usage, { image_gen: gen, web_search: { num_requests: 1 } }, tools)).toEqual({
      ...zeroUsage(),
      inputTokens: 100,
      outputTokens: 20,
      webSearches: 1,
      imageGeneration: { model: 'gpt-image-1-mini', textInput: 60, imageInput: 500, cachedInput: 100, output: 1_056 },
    });
    // No model in the tool's config: the tool's default. No split: all text.
    expect(responsesUsage(usage, { image_gen: { input_tokens: 50, output_tokens: 4_160 } }, [{ type: 'image_generation' }]).imageGeneration).toEqual({
      model: 'gpt-image-1',
      textInput: 50,
      imageInput: 0,
      cachedInput: 0,
      output: 4_160,
    });
    // A split that claims more than the total is capped; nothing generated is nothing to bill.
    expect(responsesUsage(usage, { image_gen: { input_tokens: 10, input_tokens_details: { image_tokens: 40, text_tokens: 40 }, output_tokens: 0, cached_tokens: 99 } }).imageGeneration).toEqual({
      model: 'gpt-image-1',
      textInput: 0,
      imageInput: 10,
      cachedInput: 10,
      output: 0,
    });
    expect(responsesUsage(usage, { image_gen: { input_tokens: 0, output_tokens: 0 } }).imageGeneration).toBeUndefined();
  });

  it('takes the audio in and out of a chat answer (modalities: audio), which audio models price apart', () => {
    const usage = { prompt_tokens: 1_000, completion_tokens: 1_000, prompt_tokens_details: { audio_tokens: 400, text_tokens: 600, cached_tokens: 0 }, completion_tokens_details: { audio_tokens: 600, text_tokens: 400 } };
    expect(chatUsage(usage)).toEqual({ ...zeroUsage(), inputTokens: 1_000, outputTokens: 1_000, audio: { input: 400, cacheRead: 0, output: 600 } });
    expect(chatUsage({ prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { audio_tokens: 0 } }).audio).toBeUndefined();
  });

  it('counts a Response’s billable web searches from its tool_usage, apart from usage', () => {
    const usage = { input_tokens: 100, output_tokens: 10 };
    expect(responsesUsage(usage, { web_search: { num_requests: 2 }, image_gen: null })).toEqual({ ...zeroUsage(), inputTokens: 100, outputTokens: 10, webSearches: 2 });
    expect(responsesUsage(usage, undefined).webSearches).toBeUndefined();
  });
});
