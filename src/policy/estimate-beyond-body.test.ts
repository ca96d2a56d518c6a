import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { usd } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import { createPricer } from '../pricing/index.js';
import type { AdmitRequest } from './admission.js';
import { MemoryCounters } from './counters/memory.js';
import { Enforcer } from './enforcer.js';
import { BEYOND_ANY_LIMIT, type EstimateSettings, type PriceContext, affordableOutputTokens, estimateCost, estimateRequest } from './estimate.js';
import type { CachedContent } from './gemini-cache.js';
import { budget, settings, setup } from './testing/enforcer.js';
import { noEvents } from './threshold-watch.js';

// Golden figures from the catalog's list prices (protocols.md §6): every input token at the dearest
// input rate, as every estimate prices it, and what the request declares it will be billed beyond its body.
const pricer = createPricer();
const price: PriceFn = (q) => pricer(q);
const at = new Date('2026-12-07T00:00:00Z');
const ctx = (catalogProvider: string, model: string): PriceContext => ({ price, provider: catalogProvider, catalogProvider, model, at });
const s: EstimateSettings = { defaultMaxOutputTokens: 8192, inputCounting: 'conservative', serverToolUses: 5, serverToolResultTokens: 10_000 };
const cost = (json: unknown, bodyBytes: number, maxOutputTokens: number, c: PriceContext, cached?: CachedContent) => estimateCost(estimateRequest({ bodyBytes, json, maxOutputTokens, cached }, c.model, s), c);

describe('the estimate of what a request declares beyond its body', () => {
  it('counts an Anthropic web search at max_uses: each search’s fee and its result’s tokens', () => {
    const json = { tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] };
    const e = estimateRequest({ bodyBytes: 500, json, maxOutputTokens: 1000 }, 'claude-sonnet-4-5', s);
    // The fee allowance (policy.server_tool_fee_usd) stands by for a model without a price per search; this one has its own.
    expect(e).toEqual({ inputTokens: 30_500, outputTokens: 1000, bounded: false, serverToolUses: 3, serverToolTokens: 30_000, webSearches: 3, toolFee: usd('0.035') });
    // claude-sonnet-4-5: 30,500 in at $6/M (1-hour write) = 1.83e11, 1,000 out at $15/M = 1.5e10, 3 searches at $10/1,000 = 3e10.
    expect(cost(json, 500, 1000, ctx('anthropic', 'claude-sonnet-4-5'))).toBe(228_000_000_000n);
    // The body alone, as before: 500 × 6e6 + 1.5e10.
    expect(cost({}, 500, 1000, ctx('anthropic', 'claude-sonnet-4-5'))).toBe(18_000_000_000n);
  });

  it('counts the Responses API’s web search at max_tool_calls, at the model’s own price per search, and a file search at the fee allowance', () => {
    const json = { tools: [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs_1'] }], max_tool_calls: 4 };
    // gpt-4.1: 40,300 in at $2/M = 8.06e10, 500 out at $8/M = 4e9, 4 searches at $10/1,000 = 4e10, and any of
    // the 4 calls a file search, whose fee the catalog does not price: 4 × $0.035 = 1.4e11.
    expect(cost(json, 300, 500, ctx('openai', 'gpt-4.1'))).toBe(264_600_000_000n);
    // A model without a price per search: its searches at the allowance too, 8 × $0.035 = 2.8e11.
    // gpt-audio's input $2.50/M: 40,300 × 2.5e6 = 1.0075e11, 500 out at $10/M = 5e9 (text out: modalities say so).
    expect(cost({ ...json, modalities: ['text'] }, 300, 500, ctx('openai', 'gpt-audio'))).toBe(385_750_000_000n);
    // policy.server_tool_fee_usd at 0: the fees the catalog does not price count nothing, as before.
    const free = (m: string, c: PriceContext) => estimateCost(estimateRequest({ bodyBytes: 300, json: { ...json, modalities: ['text'] }, maxOutputTokens: 500 }, m, { ...s, serverToolFeePicos: 0n }), c);
    expect(free('gpt-4.1', ctx('openai', 'gpt-4.1'))).toBe(124_600_000_000n);
    expect(free('gpt-audio', ctx('openai', 'gpt-audio'))).toBe(105_750_000_000n);
  });

  it('counts a code interpreter’s and a code execution’s uses at the fee allowance, on top of their results’ tokens', () => {
    // gpt-4.1: 5 uses × 10,000 + 100 = 50,100 in at $2/M = 1.002e11, 100 out at $8/M = 8e8, 5 containers at the $0.035 allowance = 1.75e11.
    expect(cost({ tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }, 100, 100, ctx('openai', 'gpt-4.1'))).toBe(276_000_000_000n);
    // claude-sonnet-4-5: 2 uses × 10,000 + 100 = 20,100 in at $6/M = 1.206e11, 100 out at $15/M = 1.5e9, 2 × $0.035 = 7e10.
    expect(cost({ tools: [{ type: 'code_execution_20250825', name: 'code_execution', max_uses: 2 }] }, 100, 100, ctx('anthropic', 'claude-sonnet-4-5'))).toBe(192_100_000_000n);
  });

  it('counts Gemini grounding by its results’ tokens at the setting, and its fee at the allowance', () => {
    // gemini-2.5-flash: 5 uses × 10,000 + 200 = 50,200 in at $0.30/M = 1.506e10, 1,000 out at $2.50/M = 2.5e9,
    // and 5 grounded uses at $0.035 = 1.75e11 (Gemini bills $35 per 1,000 grounded prompts past its free allowance).
    expect(cost({ tools: [{ googleSearch: {} }] }, 200, 1000, ctx('google', 'gemini-2.5-flash'))).toBe(192_560_000_000n);
    // URL context and code execution cost their tokens alone.
    expect(cost({ tools: [{ urlContext: {} }, { codeExecution: {} }] }, 200, 1000, ctx('google', 'gemini-2.5-flash'))).toBe(32_560_000_000n);
  });

  it('counts a named Gemini cache’s tokens at the cache-read price, and the setting for an unknown cache', () => {
    const json = { contents: [], cachedContent: 'cachedContents/abc' };
    const known = estimateRequest({ bodyBytes: 200, json, maxOutputTokens: 1000, cached: { tokens: 100_000, cache: 'cachedContents/abc' } }, 'gemini-2.5-flash', s);
    expect(known).toEqual({ inputTokens: 100_200, outputTokens: 1000, bounded: true, cachedTokens: 100_000, cachedFrom: 'cachedContents/abc' });
    // gemini-2.5-flash: 200 in at $0.30/M = 6e7, 100,000 cached at $0.03/M = 3e9, 1,000 out at $2.50/M = 2.5e9.
    expect(cost(json, 200, 1000, ctx('google', 'gemini-2.5-flash'), { tokens: 100_000, cache: 'cachedContents/abc' })).toBe(5_560_000_000n);
    // Unknown: 1,048,576 cached at $0.03/M = 31,457,280,000, not a bound.
    expect(estimateRequest({ bodyBytes: 200, json, maxOutputTokens: 1000 }, 'gemini-2.5-flash', s)).toMatchObject({ inputTokens: 1_048_776, cachedTokens: 1_048_576, cachedFrom: null, bounded: false });
    expect(cost(json, 200, 1000, ctx('google', 'gemini-2.5-flash'))).toBe(34_017_280_000n);
    // The cached tokens choose the long-context tier, as on the bill: gemini-2.5-pro past 200,000 in is $2.50 in, $0.25 cached, $15 out.
    // 200 × 2.5e6 = 5e8, 300,000 × 2.5e5 = 7.5e10, 1,000 × 1.5e7 = 1.5e10.
    expect(cost(json, 200, 1000, ctx('google', 'gemini-2.5-pro'), { tokens: 300_000, cache: 'cachedContents/abc' })).toBe(90_500_000_000n);
  });

  it('prices the output at the audio rate when the request asks for audio, also when enforce_max_tokens lowers the cap', () => {
    const json = { modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } };
    expect(estimateRequest({ bodyBytes: 400, json, maxOutputTokens: 2000 }, 'gpt-audio', s)).toEqual({ inputTokens: 400, outputTokens: 2000, bounded: true, audioOutputTokens: 2000 });
    // gpt-audio: 400 in at $2.50/M = 1e9, 2,000 audio out at $64/M = 1.28e11 (at the text rate, $10/M, 2e10).
    expect(cost(json, 400, 2000, ctx('openai', 'gpt-audio'))).toBe(129_000_000_000n);
    expect(cost({ modalities: ['text'] }, 400, 2000, ctx('openai', 'gpt-audio'))).toBe(21_000_000_000n);
    // Room for the input and 100 audio tokens (1e9 + 100 × 6.4e7): 100, not the 640 the text rate would allow.
    const e = estimateRequest({ bodyBytes: 400, json, maxOutputTokens: 2000 }, 'gpt-audio', s);
    expect(affordableOutputTokens(e, 2000, 7_400_000_000n, ctx('openai', 'gpt-audio'))).toBe(100);
    expect(affordableOutputTokens({ inputTokens: 400, outputTokens: 2000 }, 2000, 7_400_000_000n, ctx('openai', 'gpt-audio'))).toBe(640);
  });

  it('counts a limit too large to price as more than any limit', () => {
    // JSON reads 1e400 as Infinity.
    for (const uses of ['1e15', '1e400']) {
      const json: unknown = JSON.parse(`{"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":${uses}}]}`);
      expect(cost(json, 100, 100, ctx('anthropic', 'claude-sonnet-4-5'))).toBe(BEYOND_ANY_LIMIT);
    }
  });
});

describe('admission of a Gemini request that names a cache', () => {
  const NOW = Date.parse('2026-12-07T10:00:00Z');
  let seq = 0;
  const request = (json: unknown): AdmitRequest<{ provider: string; catalogProvider: undefined }> => ({
    id: `g${++seq}`, caller: { keyId: 'k1', user: 'alice', team: null, project: null, tags: {} }, model: 'gemini-2.5-flash', keep: false, bodyBytes: 100, json, maxOutputTokens: 100, resolve: () => ({ provider: 'google', catalogProvider: undefined }),
  });
  /** $1 per 1,000 tokens: a limit of $5 fits the 200 tokens of the body and the output, and 4,800 more. */
  const flat: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens + r.usage.outputTokens) * 1_000_000_000n, unpriced: false });

  it('reserves the cache’s tokens when known, the setting when not, and looks up nothing for other requests', async () => {
    const asked: string[] = [];
    const cachedContent = (name: string): Promise<CachedContent> => (asked.push(name), Promise.resolve(name === 'cachedContents/small' ? { tokens: 3_000, cache: name } : { tokens: settings.geminiCacheTokens, cache: null }));
    const e = new Enforcer({ rules: () => ({ budgets: [budget({ scope: 'user:alice', window: 'day', limit_usd: 5 })], rateLimits: [], modelPolicies: [], increases: [] }), counters: new MemoryCounters(), price: flat, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: 1e9, bucketTtlMs: 1e9, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => NOW, cachedContent });
    expect((await e.admit(request({ contents: [] }))).model).toBe('gemini-2.5-flash');
    expect(asked).toEqual([]);
    expect((await e.admit(request({ contents: [], cachedContent: 'cachedContents/small' }))).model).toBe('gemini-2.5-flash');
    const unknown = (await e.admit(request({ contents: [], cachedContent: 'cachedContents/elsewhere' })).catch((x: unknown) => x)) as GatewayError;
    expect(unknown.status).toBe(402);
    expect(unknown.details).toMatchObject({ request_input_tokens: 1_048_676, request_cached_tokens: 1_048_576, request_cached_from: 'setting' });
    expect(unknown.message).toContain('most of them (1,048,576) allowed for the cache it names (`cachedContent`), whose size the gateway does not know (`policy.gemini_cache_tokens`), billed as cache reads');
    expect(asked).toEqual(['cachedContents/small', 'cachedContents/elsewhere']);
  });
});

describe('a refusal of a request whose tools’ fees the catalog does not price', () => {
  const clock = { now: Date.parse('2026-12-07T10:00:00Z') };
  let seq = 0;
  const request = (model: string, catalogProvider: string, json: unknown): AdmitRequest<{ provider: string; catalogProvider: string }> => ({
    id: `f${++seq}`, caller: { keyId: 'k1', user: 'alice', team: null, project: null, tags: {} }, model, keep: false, bodyBytes: 100, json, maxOutputTokens: 100, resolve: () => ({ provider: catalogProvider, catalogProvider }),
  });

  it('says the fees counted at policy.server_tool_fee_usd are what is large, and how many uses', async () => {
    const { enforcer } = setup([budget({ scope: 'user:alice', window: 'day', limit_usd: 0.1 })], clock, noEvents, [], [], price);
    // gpt-4.1-mini: 50,100 in at $0.40/M ($0.02), 100 out at $1.60/M, and 5 containers at $0.035 ($0.175).
    const err = (await enforcer.admit(request('gpt-4.1-mini', 'openai', { tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] })).catch((x: unknown) => x)) as GatewayError;
    expect(err.status).toBe(402);
    expect(err.message).toContain('Its server-side tools are what is large: 5 uses of tools billed by the use at fees the price catalog does not give');
    expect(err.message).toContain('counted at $0.035 each as `policy.server_tool_fee_usd` allows');
    expect(err.message).toContain("To go on, lower the tools' limit on uses (`max_uses`, `max_tool_calls`)");
    expect(err.details).toMatchObject({ request_server_tool_uses: 5, request_web_searches: 0, request_tool_fee_uses: 5, request_estimate_usd: expect.stringMatching(/^0\.195/) });
  });

  it('counts the searches of a model without a price per search among those uses, and none of a model with one', async () => {
    const { enforcer } = setup([budget({ scope: 'user:alice', window: 'day', limit_usd: 0.01 })], clock, noEvents, [], [], price);
    const json = { tools: [{ type: 'web_search' }], max_tool_calls: 2, modalities: ['text'] };
    const refused = async (model: string) => ((await enforcer.admit(request(model, 'openai', json)).catch((x: unknown) => x)) as GatewayError).details;
    expect(await refused('gpt-audio')).toMatchObject({ request_web_searches: 2, request_tool_fee_uses: 2 });
    expect(await refused('gpt-4.1')).toMatchObject({ request_web_searches: 2, request_tool_fee_uses: 0 });
  });
});
