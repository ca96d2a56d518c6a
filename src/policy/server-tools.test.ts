import { describe, expect, it } from 'vitest';
import { serverTools } from './server-tools.js';

const allow = { uses: 5, resultTokens: 10_000 };
const count = (json: unknown) => serverTools(json, allow);

describe('server-side tools a request declares', () => {
  it('counts an Anthropic web search at its max_uses, each a search billed by the search, with a result of the allowance', () => {
    expect(count({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] })).toEqual({ uses: 3, webSearches: 3, feeUses: 0, resultTokens: 30_000 });
    // No limit of its own: policy.server_tool_uses.
    expect(count({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toEqual({ uses: 5, webSearches: 5, feeUses: 0, resultTokens: 50_000 });
    // A fraction rounds up; zero, a negative number or a string is no limit.
    expect(count({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2.5 }] })).toEqual({ uses: 3, webSearches: 3, feeUses: 0, resultTokens: 30_000 });
    for (const max_uses of [0, -1, '3', null]) expect(count({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses }] })?.uses).toBe(5);
  });

  it('counts web fetch by its results alone (no fee by the use), at its max_content_tokens, and code execution’s uses as billed at a fee the catalog does not price', () => {
    expect(count({ tools: [{ type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 2, max_content_tokens: 4_000 }] })).toEqual({ uses: 2, webSearches: 0, feeUses: 0, resultTokens: 8_000 });
    expect(count({ tools: [{ type: 'code_execution_20250825', name: 'code_execution' }] })).toEqual({ uses: 5, webSearches: 0, feeUses: 5, resultTokens: 50_000 });
    expect(count({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 1 }, { type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 1, max_content_tokens: 2_000 }] })).toEqual({ uses: 2, webSearches: 1, feeUses: 0, resultTokens: 12_000 });
  });

  it('counts the Responses API’s built-in tools at the allowance each, or all together at max_tool_calls, any of them a search or a use with a fee', () => {
    expect(count({ tools: [{ type: 'web_search_preview' }, { type: 'code_interpreter', container: { type: 'auto' } }] })).toEqual({ uses: 10, webSearches: 5, feeUses: 5, resultTokens: 100_000 });
    expect(count({ tools: [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs_1'] }], max_tool_calls: 2 })).toEqual({ uses: 2, webSearches: 2, feeUses: 2, resultTokens: 20_000 });
    expect(count({ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }], max_tool_calls: 3 })).toEqual({ uses: 3, webSearches: 0, feeUses: 3, resultTokens: 30_000 });
    expect(count({ tools: [{ type: 'web_search_2025_08_26' }, { type: 'web_search_preview_2025_03_11' }] })).toEqual({ uses: 10, webSearches: 10, feeUses: 0, resultTokens: 100_000 });
  });

  it('counts Gemini’s grounding, URL context and code execution by their results, and grounding’s uses as billed at a fee the catalog does not price', () => {
    expect(count({ tools: [{ googleSearch: {} }, { codeExecution: {} }] })).toEqual({ uses: 10, webSearches: 0, feeUses: 5, resultTokens: 100_000 });
    expect(count({ tools: [{ google_search: {}, url_context: {} }] })).toEqual({ uses: 10, webSearches: 0, feeUses: 5, resultTokens: 100_000 });
  });

  it('counts nothing for client tools, or a body without tools', () => {
    for (const json of [{}, { tools: [] }, { tools: [{ type: 'function', function: { name: 'f' } }, { name: 'get_weather', input_schema: {} }, { type: 'custom', name: 'c' }] }, { tools: [{ functionDeclarations: [{ name: 'f' }] }] }, { tools: 'web_search' }, null, [1]]) {
      expect(count(json)).toBeUndefined();
    }
  });
});
