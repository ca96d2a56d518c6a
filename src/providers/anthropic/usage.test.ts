import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { anthropicUsage, overlayUsage } from './usage.js';

describe('Anthropic usage mapping', () => {
  it('adds cache reads and writes to the uncached input', () => {
    expect(anthropicUsage({ input_tokens: 10, cache_creation_input_tokens: 200, cache_read_input_tokens: 3000, output_tokens: 5 })).toEqual({
      ...zeroUsage(),
      inputTokens: 3210,
      cacheReadTokens: 3000,
      cacheWriteTokens: 200,
      outputTokens: 5,
    });
  });

  it('uses the TTL split when the write total is null, and never reports more 1h writes than writes', () => {
    expect(anthropicUsage({ input_tokens: 1, cache_creation_input_tokens: null, cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 70 } })).toMatchObject({
      inputTokens: 101,
      cacheWriteTokens: 100,
      cacheWrite1hTokens: 70,
    });
    expect(anthropicUsage({ cache_creation_input_tokens: 50, cache_creation: { ephemeral_1h_input_tokens: 80 } }).cacheWrite1hTokens).toBe(50);
  });

  it('gives the writes a server tool adds past message_start’s TTL split the split’s shares', () => {
    // LiteLLM #42663: a web search stream's writes past the split were priced at nothing there, at the 5-minute price here.
    // message_start: the first sampling round's writes, all 1h; message_delta: the total of every round.
    const allLong = overlayUsage({ input_tokens: 300, cache_creation_input_tokens: 31_490, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 31_490 } }, { input_tokens: 900, cache_creation_input_tokens: 184_457, output_tokens: 700, server_tool_use: { web_search_requests: 5 } });
    expect(anthropicUsage(allLong)).toMatchObject({ cacheWriteTokens: 184_457, cacheWrite1hTokens: 184_457, webSearches: 5 });
    expect(anthropicUsage({ cache_creation_input_tokens: 3_000, cache_creation: { ephemeral_5m_input_tokens: 1_000, ephemeral_1h_input_tokens: 0 } }).cacheWrite1hTokens).toBe(0);
    // Mixed, 1,000 of a split of 4,000 written for 1h: of the 1,001 past it, 250 are (rounded down).
    expect(anthropicUsage({ cache_creation_input_tokens: 5_001, cache_creation: { ephemeral_5m_input_tokens: 3_000, ephemeral_1h_input_tokens: 1_000 } }).cacheWrite1hTokens).toBe(1_250);
    // No split to go by: the writes are taken as 5-minute ones, the lower price.
    expect(anthropicUsage({ cache_creation_input_tokens: 3_000, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } }).cacheWrite1hTokens).toBe(0);
  });

  it('keeps thinking tokens informational and within output', () => {
    expect(anthropicUsage({ output_tokens: 40, output_tokens_details: { thinking_tokens: 90 } })).toMatchObject({ outputTokens: 40, reasoningTokens: 40 });
  });

  it('maps the input/output-only usage of Ollama and llama.cpp', () => {
    expect(anthropicUsage({ input_tokens: 12, output_tokens: 4 })).toEqual({ ...zeroUsage(), inputTokens: 12, outputTokens: 4 });
  });

  it('overlays message_delta totals: non-null fields replace, null ones and the TTL split do not', () => {
    const start = { input_tokens: 100, cache_read_input_tokens: 50, cache_creation: { ephemeral_1h_input_tokens: 8 }, output_tokens: 1 };
    const delta = { input_tokens: 140, cache_read_input_tokens: null, output_tokens: 60, cache_creation: { ephemeral_1h_input_tokens: 999 } };
    expect(overlayUsage(start, delta)).toEqual({ input_tokens: 140, cache_read_input_tokens: 50, cache_creation: { ephemeral_1h_input_tokens: 8 }, output_tokens: 60 });
  });

  it('counts the web searches the server ran, billed by the search', () => {
    expect(anthropicUsage({ input_tokens: 10, output_tokens: 5, server_tool_use: { web_search_requests: 3, web_fetch_requests: 2 } })).toEqual({ ...zeroUsage(), inputTokens: 10, outputTokens: 5, webSearches: 3 });
    expect(anthropicUsage({ input_tokens: 10, output_tokens: 5, server_tool_use: null }).webSearches).toBeUndefined();
  });

  it('carries the price modifiers the usage reports: fast speed and the inference geography', () => {
    expect(anthropicUsage({ input_tokens: 1, output_tokens: 1, speed: 'fast', inference_geo: 'us', service_tier: 'standard' })).toMatchObject({ speed: 'fast', inferenceGeo: 'us' });
    const plain = anthropicUsage({ input_tokens: 1, output_tokens: 1, speed: 'standard', inference_geo: null });
    expect([plain.speed, plain.inferenceGeo]).toEqual([undefined, undefined]);
  });

  it('adds the compaction rounds of usage.iterations, which the top-level counts leave out, and not the message rounds they hold', () => {
    const round = { input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    const compaction = { type: 'compaction', input_tokens: 500, cache_read_input_tokens: 40, cache_creation_input_tokens: 30, cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 }, output_tokens: 70 };
    const usage = { ...round, iterations: [compaction, { type: 'message', ...round }] };
    // Kept as a round as well, to be priced at its own length tier.
    const alone = { ...zeroUsage(), inputTokens: 570, cacheReadTokens: 40, cacheWriteTokens: 30, cacheWrite1hTokens: 20, outputTokens: 70 };
    expect(anthropicUsage(usage)).toEqual({ ...zeroUsage(), inputTokens: 580, cacheReadTokens: 40, cacheWriteTokens: 30, cacheWrite1hTokens: 20, outputTokens: 72, rounds: [{ usage: alone }] });
    expect(anthropicUsage({ ...round, iterations: null })).toEqual({ ...zeroUsage(), inputTokens: 10, outputTokens: 2 });
  });

  it('keeps an advisor’s sub-inference apart, under its own model, out of the executor’s counts', () => {
    const advice = { type: 'advisor_message', model: 'claude-opus-4-6', input_tokens: 300, cache_read_input_tokens: 100, cache_creation_input_tokens: 0, output_tokens: 50 };
    const u = anthropicUsage({ input_tokens: 10, output_tokens: 2, iterations: [advice, { type: 'advisor_message', input_tokens: 5 }] });
    expect(u).toEqual({ ...zeroUsage(), inputTokens: 10, outputTokens: 2, rounds: [{ model: 'claude-opus-4-6', usage: { ...zeroUsage(), inputTokens: 400, cacheReadTokens: 100, outputTokens: 50 } }] });
  });

  it('takes the 1-hour writes of a server tool loop from its rounds’ TTL splits when they add up to the writes', () => {
    // message_start's split is the first round's (30,000 of 31,490 for 1h); the second round wrote 120,000 for 5 minutes.
    const first = { type: 'message', cache_creation_input_tokens: 31_490, cache_creation: { ephemeral_5m_input_tokens: 1_490, ephemeral_1h_input_tokens: 30_000 } };
    const second = { type: 'message', cache_creation_input_tokens: 120_000, cache_creation: { ephemeral_5m_input_tokens: 120_000, ephemeral_1h_input_tokens: 0 } };
    const start = { input_tokens: 300, cache_creation_input_tokens: 31_490, cache_creation: first.cache_creation };
    const usage = overlayUsage(start, { input_tokens: 900, cache_creation_input_tokens: 151_490, output_tokens: 700, iterations: [first, second] });
    expect(anthropicUsage(usage)).toMatchObject({ cacheWriteTokens: 151_490, cacheWrite1hTokens: 30_000 });
    // Rounds whose writes do not add up to the total, or without a split, leave the shares as they were.
    const partial = overlayUsage(start, { cache_creation_input_tokens: 151_490, iterations: [first] });
    expect(anthropicUsage(partial).cacheWrite1hTokens).toBe(144_322);
    expect(anthropicUsage({ ...partial, iterations: [{ type: 'message', cache_creation_input_tokens: 151_490, cache_creation: null }] }).cacheWrite1hTokens).toBe(144_322);
  });
});
