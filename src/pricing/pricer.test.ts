import { calcPrice, findProvider } from '@pydantic/genai-prices';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Usage, zeroUsage } from '../core/usage.js';
import { isAnchoredMatch } from './anchored-match.js';
import { catalogProviderFor, createPricer } from './index.js';

const at = new Date('2026-11-20T12:00:00Z');
const u = (x: Partial<Usage>): Usage => ({ ...zeroUsage(), ...x });
const price = createPricer();
const cost = (catalogProvider: string, model: string, usage: Partial<Usage>, when = at) => price({ provider: catalogProvider, catalogProvider, model, usage: u(usage), at: when }).costPicos;

// Rates in picos per token are (USD per million) × 1e6: $1.25/M = 1,250,000 picos per token.
describe('golden costs (protocols.md §1.3, §3.10, §6, §7)', () => {
  it('OpenAI: cached tokens are a subset of prompt tokens', () => {
    // gpt-5: 10,000 prompt of which 8,000 cached; 500 completion.
    // 2,000 × 1.25e6 + 8,000 × 0.125e6 + 500 × 10e6 = 2.5e9 + 1e9 + 5e9 = 8.5e9 picos = $0.0085
    expect(cost('openai', 'gpt-5', { inputTokens: 10_000, cacheReadTokens: 8_000, outputTokens: 500, reasoningTokens: 200 })).toBe(8_500_000_000n);
  });

  it('OpenAI GPT-5.6+: cache writes billed at their own rate', () => {
    // gpt-5.6-sol (catalog 4 / 0.4 cached / 5 write / 20 out): 10,000 in = 5,000 uncached + 2,000 read + 3,000 written; 1,000 out.
    // 5,000 × 4e6 + 2,000 × 0.4e6 + 3,000 × 5e6 + 1,000 × 20e6 = 2e10 + 8e8 + 1.5e10 + 2e10 = 5.58e10
    expect(cost('openai', 'gpt-5.6-sol', { inputTokens: 10_000, cacheReadTokens: 2_000, cacheWriteTokens: 3_000, outputTokens: 1_000 })).toBe(55_800_000_000n);
  });

  it('OpenAI before 5.6: a reported cache write costs plain input', () => {
    // gpt-4.1 has no write price: 1,000 written at 2e6 + 0 else.
    expect(cost('openai', 'gpt-4.1', { inputTokens: 1_000, cacheWriteTokens: 1_000 })).toBe(2_000_000_000n);
  });

  it('Anthropic: 5-minute and 1-hour writes at their own rates', () => {
    // claude-sonnet-4-5: 10 uncached × 3e6 + 1,000 5m × 3.75e6 + 2,000 1h × 6e6 + 3,000 read × 0.3e6 + 50 out × 15e6
    // = 3e7 + 3.75e9 + 1.2e10 + 9e8 + 7.5e8 = 1.743e10 picos = $0.01743
    expect(cost('anthropic', 'claude-sonnet-4-5-20250929', { inputTokens: 6_010, cacheReadTokens: 3_000, cacheWriteTokens: 3_000, cacheWrite1hTokens: 2_000, outputTokens: 50 })).toBe(17_430_000_000n);
  });

  it('long context: the whole request is repriced above the threshold', () => {
    // claude-sonnet-4-5 over 200K: 200,000 × 6e6 + 50,000 read × 0.6e6 + 1,000 out × 22.5e6 = 1.2e12 + 3e10 + 2.25e10 = $1.2525
    expect(cost('anthropic', 'claude-sonnet-4-5', { inputTokens: 250_000, cacheReadTokens: 50_000, outputTokens: 1_000 })).toBe(1_252_500_000_000n);
    // gemini-2.5-pro over 200K: 300,000 × 2.5e6 + 2,000 × 15e6 = 7.5e11 + 3e10 = $0.78
    expect(cost('google', 'gemini-2.5-pro', { inputTokens: 300_000, outputTokens: 2_000 })).toBe(780_000_000_000n);
    // gpt-5.4 over 272K: 300,000 × 5e6 + 1,000 × 22.5e6 = 1.5e12 + 2.25e10
    expect(cost('openai', 'gpt-5.4', { inputTokens: 300_000, outputTokens: 1_000 })).toBe(1_522_500_000_000n);
  });

  it('GPT-6.1 Terra (supplement): 30m cache writes at 1.25× input, and the whole request repriced past 272K', () => {
    // 20,000 uncached × 1e6 + 20,000 read × 0.05e6 + 10,000 written × 1.25e6 + 3,000 × 5e6
    expect(cost('openai', 'gpt-6.1-terra', { inputTokens: 50_000, cacheReadTokens: 20_000, cacheWriteTokens: 10_000, outputTokens: 3_000 })).toBe(48_500_000_000n);
    // 150,000 × 2e6 + 100,000 × 0.1e6 + 50,000 × 2.5e6 + 10,000 × 7.5e6
    expect(cost('openai', 'gpt-6.1-terra', { inputTokens: 300_000, cacheReadTokens: 100_000, cacheWriteTokens: 50_000, outputTokens: 10_000 })).toBe(510_000_000_000n);
  });

  it('Claude Code s [1m] label (1M-context mode, any case) is priced as its model: long-context prices by the request s own input, fast mode and the US premium too', () => {
    const long = { inputTokens: 250_000, cacheReadTokens: 50_000, outputTokens: 1_000 };
    expect(cost('anthropic', 'claude-sonnet-4-5[1m]', long)).toBe(1_252_500_000_000n);
    expect(cost('anthropic', 'claude-sonnet-4-5[1m]', { inputTokens: 1_000, outputTokens: 100 })).toBe(cost('anthropic', 'claude-sonnet-4-5', { inputTokens: 1_000, outputTokens: 100 }));
    expect(cost('anthropic', 'claude-sonnet-4-5-20250929[1m]', long)).toBe(1_252_500_000_000n);
    expect(cost('anthropic', 'claude-opus-4-6[1m]', { inputTokens: 1_000_000, speed: 'fast' })).toBe(30_000_000_000_000n);
    expect(cost('anthropic', 'claude-opus-4-6[1m]', { inputTokens: 1_000, inferenceGeo: 'us' })).toBe(cost('anthropic', 'claude-opus-4-6', { inputTokens: 1_000, inferenceGeo: 'us' }));
    // Only that exact suffix: a look-alike is no model with a price.
    expect(cost('anthropic', 'claude-sonnet-4-5[1M]', long)).toBe(1_252_500_000_000n);
    for (const lookAlike of ['claude-sonnet-4-5[2m]', 'claude-sonnet-4-5 [1m]', 'claude-sonnet-4-5[1m]x', 'claude-sonnet-4-5[1m][1m]', 'claude-sonnet-4-5-1m', '[1m]']) {
      expect(cost('anthropic', lookAlike, long)).toBeNull();
    }
    // An override of the label as written comes first; one of the model applies to the label too.
    const overridden = (model: string) => createPricer({ overrides: [{ model, input: '1', output: '1' }] })({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-5[1m]', usage: u({ inputTokens: 1_000 }), at });
    expect(overridden('claude-sonnet-4-5[1m]')).toMatchObject({ costPicos: 1_000_000_000n, source: 'override' });
    expect(overridden('claude-sonnet-4-5')).toMatchObject({ costPicos: 1_000_000_000n, source: 'override' });
  });

  it('Haiku 5.5 (supplement): the prompt counts cache reads toward its 100K tier', () => {
    // 100,000 uncached + 20,000 read = 120,000 > 100K: 100,000 × 0.5e6 + 20,000 × 0.05e6 + 1,000 × 2.5e6 = 5e10 + 1e9 + 2.5e9
    expect(cost('anthropic', 'claude-haiku-5-5', { inputTokens: 120_000, cacheReadTokens: 20_000, outputTokens: 1_000 })).toBe(53_500_000_000n);
    // 50,000 × 0.1e6 + 1,000 × 0.5e6 = 5e9 + 5e8
    expect(cost('anthropic', 'claude-haiku-5-5', { inputTokens: 50_000, outputTokens: 1_000 })).toBe(5_500_000_000n);
  });

  it('dated prices: Sonnet 5.5 cache reads halved on 2026-10-07', () => {
    const reads = { inputTokens: 10_000, cacheReadTokens: 10_000 };
    expect(cost('anthropic', 'claude-sonnet-5-5', reads, new Date('2026-10-06T23:59:59Z'))).toBe(2_000_000_000n);
    expect(cost('anthropic', 'claude-sonnet-5-5', reads, new Date('2026-10-07T00:00:00Z'))).toBe(1_000_000_000n);
  });

  it('Anthropic: web searches at $10 per 1,000 on top of the tokens, not halved in a batch (§3.10)', () => {
    // claude-sonnet-4-5: 1,000 in × 3e6 + 100 out × 15e6 = 4.5e9, plus 3 searches × 1e10 = 3.45e10.
    const usage = { inputTokens: 1_000, outputTokens: 100, webSearches: 3 };
    expect(cost('anthropic', 'claude-sonnet-4-5', usage)).toBe(34_500_000_000n);
    // Sonnet 5.5 (supplement) too: 1,000 × 2e6 + 100 × 10e6 + 3e10.
    expect(cost('anthropic', 'claude-sonnet-5-5', usage)).toBe(33_000_000_000n);
    expect(price({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-5', usage: u(usage), at, serviceTier: 'batch' }).costPicos).toBe(2_250_000_000n + 30_000_000_000n);
  });

  it('Anthropic fast mode at its published premium, inference_geo us at 1.1x on Opus 4.6+, and fast mode of an unknown premium unpriced', () => {
    // claude-opus-5-5: 1,000 in × 4e6 + 100 out × 20e6 = 6e9; fast 2x; in the US 1.1x on top.
    const usage = { inputTokens: 1_000, outputTokens: 100 };
    expect(cost('anthropic', 'claude-opus-5-5', usage)).toBe(6_000_000_000n);
    expect(cost('anthropic', 'claude-opus-5-5', { ...usage, speed: 'fast' })).toBe(12_000_000_000n);
    expect(cost('anthropic', 'claude-opus-5-5', { ...usage, speed: 'fast', inferenceGeo: 'us' })).toBe(13_200_000_000n);
    // Web searches are fees, outside the multipliers: 3 × 1e10.
    expect(cost('anthropic', 'claude-opus-5-5', { ...usage, speed: 'fast', webSearches: 3 })).toBe(42_000_000_000n);
    // claude-opus-4-6 (5 / 25): 5e9 + 2.5e9 = 7.5e9, in the US at 1.1x; fast at 6x (usage-formats.md §1.8: 1M in, $30).
    expect(cost('anthropic', 'claude-opus-4-6', { ...usage, inferenceGeo: 'us' })).toBe(8_250_000_000n);
    expect(cost('anthropic', 'claude-opus-4-6', { inputTokens: 1_000_000, speed: 'fast' })).toBe(30_000_000_000_000n);
    // Opus 4.7's fast premium is not published: unpriced, not guessed, unless the config names it (pricing.fast_mode).
    const fastOpus47 = { provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-opus-4-7', usage: u({ ...usage, speed: 'fast' }), at };
    expect(price(fastOpus47)).toEqual({ costPicos: null, unpriced: true, source: null });
    const configured = createPricer({ fastMode: [{ model: 'claude-opus-4-7*', multiplier: '6' }, { model: 'claude-opus-5-5', multiplier: '2.5' }] });
    expect(configured(fastOpus47)).toEqual({ costPicos: 45_000_000_000n, unpriced: false, source: 'catalog' });
    // The configured premium wins over the published one: 6e9 × 2.5.
    expect(configured({ ...fastOpus47, model: 'claude-opus-5-5' }).costPicos).toBe(15_000_000_000n);
  });

  it('OpenAI ultrafast: 3x until 2027-02-28, 6x after', () => {
    const q = (when: Date) => price({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-5', usage: u({ inputTokens: 1_000 }), at: when, serviceTier: 'ultrafast' }).costPicos;
    // gpt-5: 1,000 × 1.25e6 = 1.25e9.
    expect(q(new Date('2027-02-28T12:00:00Z'))).toBe(3_750_000_000n);
    expect(q(new Date('2027-03-01T12:00:00Z'))).toBe(7_500_000_000n);
  });

  it('Gemini 2.5 Flash: audio input, and cached audio, at their own rates (protocols.md §6)', () => {
    // 3,300 in: 1,000 text at 0.3e6, 2,000 audio of which 1,500 at 1e6 and 500 read from the cache at 0.1e6,
    // and 300 text read from the cache at 0.03e6; 100 out at 2.5e6:
    // 3e8 + 1.5e9 + 5e7 + 9e6 + 2.5e8 = 2.109e9 picos
    const usage = { inputTokens: 3_300, cacheReadTokens: 800, outputTokens: 100, audio: { input: 2_000, cacheRead: 500, output: 0 } };
    expect(cost('google', 'gemini-2.5-flash', usage)).toBe(2_109_000_000n);
    // The same counts without the audio split, all text: 2,500 × 0.3e6 + 800 × 0.03e6 + 100 × 2.5e6.
    expect(cost('google', 'gemini-2.5-flash', { ...usage, audio: undefined })).toBe(1_024_000_000n);
  });

  it('Gemini in a batch: half the standard price, thoughts at the output rate (§6.3)', () => {
    // 140 prompt tokens, 40 of them cached, 50 out (20 of them thoughts): 100 × 0.3e6 + 40 × 0.03e6 + 50 × 2.5e6 = 1.562e8; half in a batch.
    const q = (serviceTier?: string) => price({ provider: 'gemini', catalogProvider: 'google', model: 'gemini-2.5-flash', usage: u({ inputTokens: 140, cacheReadTokens: 40, outputTokens: 50, reasoningTokens: 20 }), at: new Date(), serviceTier }).costPicos;
    expect(q()).toBe(156_200_000n);
    expect(q('batch')).toBe(78_100_000n);
  });

  it('OpenAI gpt-audio: audio in and out at the audio rates; a model without them prices audio as text', () => {
    const usage = { inputTokens: 1_000, outputTokens: 1_000, audio: { input: 400, cacheRead: 0, output: 600 } };
    const p = findProvider({ providerId: 'openai' })!.models.find((m) => m.id === 'gpt-audio')!.prices as Record<string, number>;
    const mtok = (k: string) => BigInt(Math.round(p[k]! * 1e6));
    expect(cost('openai', 'gpt-audio', usage)).toBe(600n * mtok('input_mtok') + 400n * mtok('input_audio_mtok') + 400n * mtok('output_mtok') + 600n * mtok('output_audio_mtok'));
    expect(cost('openai', 'gpt-4o-audio-preview', usage)).toBe(cost('openai', 'gpt-4o-audio-preview', { ...usage, audio: undefined }));
  });

  it('OpenAI: a Response’s image generation at the image model’s rates, on top of its own tokens (§1.7 tool_usage)', () => {
    const own = { inputTokens: 1_000, outputTokens: 100 };
    // gpt-4.1: 1,000 × 2e6 + 100 × 8e6 = 2.8e9. gpt-image-1 (5 text in, 40 out): 50 × 5e6 + 4,160 × 40e6 = 2.5e8 + 1.664e11.
    const high = { model: 'gpt-image-1', textInput: 50, imageInput: 0, cachedInput: 0, output: 4_160 };
    expect(cost('openai', 'gpt-4.1', { ...own, imageGeneration: high })).toBe(169_450_000_000n);
    // gpt-image-1-mini (2 text in, 0.2 cached text, 2.5 image in, 0.25 cached image, 8 out): 100 cached, taken
    // from the 40 text tokens first, then 60 of the 500 image tokens:
    // 40 × 0.2e6 + 440 × 2.5e6 + 60 × 0.25e6 + 1,056 × 8e6 = 8e6 + 1.1e9 + 1.5e7 + 8.448e9 = 9.571e9, plus gpt-4.1's 2.8e9.
    const mini = { model: 'gpt-image-1-mini', textInput: 40, imageInput: 500, cachedInput: 100, output: 1_056 };
    expect(cost('openai', 'gpt-4.1', { ...own, imageGeneration: mini })).toBe(12_371_000_000n);
    // An image model without a price leaves the whole request unpriced, as an unknown model does.
    expect(price({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-4.1', usage: u({ ...own, imageGeneration: { ...mini, model: 'gpt-image-9' } }), at })).toEqual({ costPicos: null, unpriced: true, source: null });
    // An override names the image model as any other; the provider's discount takes its share too.
    const p = createPricer({ overrides: [{ model: 'gpt-image-9', input: '1', output: '10' }], discounts: { openai: '0.5' } });
    // (2.8e9 + 540 × 1e6 + 1,000 × 10e6) × 0.5: the override has one input rate, for the 540 input tokens, cached or not, text or image.
    expect(p({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-4.1', usage: u({ ...own, imageGeneration: { ...mini, model: 'gpt-image-9', output: 1_000 } }), at }).costPicos).toBe(
      (2_800_000_000n + 540n * 1_000_000n + 1_000n * 10_000_000n) / 2n,
    );
  });

  it('an advisor’s sub-inferences at the advisor model’s rates, on top of the request’s own, at its service tier', () => {
    const own = { inputTokens: 20_000, outputTokens: 1_000 };
    // claude-sonnet-4-6: 20,000 × 3e6 + 1,000 × 15e6 = 7.5e10. claude-opus-4-6 (40,000 in, 10,000 of them read; 1,500 out):
    // 30,000 × 5e6 + 10,000 × 0.5e6 + 1,500 × 25e6 = 1.5e11 + 5e9 + 3.75e10 = 1.925e11.
    const advice = { model: 'claude-opus-4-6', usage: u({ inputTokens: 40_000, cacheReadTokens: 10_000, outputTokens: 1_500 }) };
    expect(cost('anthropic', 'claude-sonnet-4-6', { ...own, rounds: [advice] })).toBe(267_500_000_000n);
    const batch = price({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-6', serviceTier: 'batch', usage: u({ ...own, rounds: [advice] }), at });
    expect(batch.costPicos).toBe(133_750_000_000n);
    // An advisor model without a price leaves the whole request unpriced.
    expect(price({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-6', usage: u({ ...own, rounds: [{ ...advice, model: 'claude-advisor-9' }] }), at })).toEqual({ costPicos: null, unpriced: true, source: null });
  });

  it('a server-side fallback: the served model at its rates, the hop that declined at the declining model rates, inside the counts or not', () => {
    // claude-opus-4-8 served 2,000 in and 400 out: 2,000 × 5e6 + 400 × 25e6 = 2e10. claude-fable-5 declined after
    // 2,000 in and 10 out: 2,000 × 10e6 + 10 × 50e6 = 2.05e10.
    const hop = { model: 'claude-fable-5', usage: u({ inputTokens: 2_000, outputTokens: 10 }) };
    expect(cost('anthropic', 'claude-opus-4-8', { inputTokens: 2_000, outputTokens: 400, rounds: [hop] })).toBe(40_500_000_000n);
    expect(cost('anthropic', 'claude-opus-4-8', { inputTokens: 4_000, outputTokens: 410, rounds: [{ ...hop, inCounts: true }] })).toBe(40_500_000_000n);
  });

  it('a compaction round inside the counts at its own length tier, the rest of the request at its own', () => {
    // claude-haiku-5-5 reprices a whole prompt above 100K (0.10 / 0.50 below, 0.50 / 2.50 above): a compaction that read
    // 150,000 and wrote 2,000 is above; the answer after it, 20,000 in and 1,000 out, below.
    const round = u({ inputTokens: 150_000, outputTokens: 2_000 });
    const counts = { inputTokens: 170_000, outputTokens: 3_000, rounds: [{ usage: round }] };
    // 150,000 × 0.5e6 + 2,000 × 2.5e6 = 8e10; 20,000 × 0.1e6 + 1,000 × 0.5e6 = 2.5e9.
    expect(cost('anthropic', 'claude-haiku-5-5', counts)).toBe(82_500_000_000n);
    expect(cost('anthropic', 'claude-haiku-5-5', { inputTokens: 170_000, outputTokens: 3_000 })).toBe(92_500_000_000n);
  });

  it('OpenAI Images: the image part of the input at the image input rate', () => {
    // gpt-image-1: 50 text × 5e6 + 323 image × 10e6 + 1,056 out × 40e6 = 2.5e8 + 3.23e9 + 4.224e10
    expect(cost('openai', 'gpt-image-1', { inputTokens: 373, imageInput: 323, outputTokens: 1_056 })).toBe(45_720_000_000n);
    // A model without an image rate prices it as text; a report of more image tokens than input is capped.
    expect(cost('openai', 'gpt-4.1', { inputTokens: 373, imageInput: 323 })).toBe(cost('openai', 'gpt-4.1', { inputTokens: 373 }));
    expect(cost('openai', 'gpt-image-1', { inputTokens: 10, imageInput: 99 })).toBe(100_000_000n);
  });

  it('never prices a look-alike or unknown model', () => {
    for (const [p, m] of [['anthropic', 'claude-sonnet-5-9'], ['openai', 'gpt-4o-mini-foo'], ['openai', 'qwen3-coder'], ['google', 'gemini-4-argon']] as const) {
      expect(price({ provider: p, catalogProvider: p, model: m, usage: u({ inputTokens: 10 }), at })).toEqual({ costPicos: null, unpriced: true, source: null });
    }
    expect(price({ provider: 'local', catalogProvider: undefined, model: 'gpt-5', usage: u({ inputTokens: 10 }), at }).unpriced).toBe(true);
  });

  it('overrides win over the catalog, and discounts apply to every source', () => {
    const p = createPricer({
      overrides: [{ model: 'acme-*', input: '3.00', cacheRead: '0.30', cacheWrite: '3.75', cacheWrite1h: '6.00', output: '15.00' }, { model: 'gpt-5', provider: 'azure', input: '1', output: '1' }],
      discounts: { anthropic: '0.05' },
    });
    const usage = u({ inputTokens: 6_010, cacheReadTokens: 3_000, cacheWriteTokens: 3_000, cacheWrite1hTokens: 2_000, outputTokens: 50 });
    expect(p({ provider: 'acme', catalogProvider: undefined, model: 'acme-large', usage, at })).toEqual({ costPicos: 17_430_000_000n, unpriced: false, source: 'override' });
    // 5% off: 17,430,000,000 × 0.95 = 16,558,500,000
    expect(p({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'acme-large', usage, at }).costPicos).toBe(16_558_500_000n);
    expect(p({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-5', usage, at }).costPicos).toBe(16_558_500_000n);
    // Provider-scoped override: only for azure.
    expect(p({ provider: 'azure', catalogProvider: 'openai', model: 'gpt-5', usage: u({ inputTokens: 1_000_000 }), at }).costPicos).toBe(1_000_000_000_000n);
    expect(p({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-5', usage: u({ inputTokens: 1_000_000 }), at }).costPicos).toBe(1_250_000_000_000n);
  });

  it('records a cost no ledger row can hold (a price typed in the wrong unit) unpriced, not as more than 64 bits, and says it is too large', () => {
    const p = createPricer({ overrides: [{ model: 'acme-*', input: '3000000', output: '15000000' }] });
    const q = (outputTokens: number) => p({ provider: 'acme', catalogProvider: undefined, model: 'acme-1', usage: u({ inputTokens: 1_000, outputTokens }), at });
    // 1e9 output tokens at $15M per million: 1.5e28 picodollars.
    // `tooLarge` tells an estimate (a huge max_tokens) that the model has a price: not to count it as free.
    expect(q(1_000_000_000)).toEqual({ costPicos: null, unpriced: true, source: null, tooLarge: true });
    // The same price on a small request still fits, and is kept.
    expect(q(10)).toEqual({ costPicos: 3_000_000n * 1_000_000n * 1_000n + 15_000_000n * 1_000_000n * 10n, unpriced: false, source: 'override' });
  });

  it('applies the reported service tier', () => {
    const flex = price({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-5', usage: u({ inputTokens: 1_000, outputTokens: 100 }), at, serviceTier: 'flex' });
    expect(flex.costPicos).toBe((1_000n * 1_250_000n + 100n * 10_000_000n) / 2n);
  });

  it('recognises the catalog provider from the upstream URL, and not for local servers', () => {
    expect(catalogProviderFor('https://api.openai.com', undefined)).toBe('openai');
    expect(catalogProviderFor('https://api.anthropic.com', undefined)).toBe('anthropic');
    expect(catalogProviderFor('https://generativelanguage.googleapis.com', undefined)).toBe('google');
    expect(catalogProviderFor('http://127.0.0.1:8000', undefined)).toBeUndefined();
    expect(catalogProviderFor('http://127.0.0.1:8000', 'openai')).toBe('openai');
    expect(catalogProviderFor('http://localhost:11434', undefined)).toBeUndefined();
    // Not a URL the snapshot records: the whole catalog recognises it.
    expect(catalogProviderFor('https://myres.openai.azure.com', undefined)).toBe('azure');
  });

  it('accepts version suffixes on a catalog prefix, and nothing else', () => {
    const rule = { starts_with: 'claude-sonnet-4-5' };
    expect(isAnchoredMatch(rule, 'claude-sonnet-4-5-20250929')).toBe(true);
    expect(isAnchoredMatch(rule, 'claude-sonnet-4-5@20250929')).toBe(true);
    expect(isAnchoredMatch(rule, 'claude-sonnet-4-5-5')).toBe(false);
    expect(isAnchoredMatch({ contains: 'gpt' }, 'gpt-5')).toBe(false);
  });

  it('accepts a date the catalog prefix ends inside of, and the whole id of an ends_with rule', () => {
    expect(isAnchoredMatch({ starts_with: 'claude-sonnet-4-2025' }, 'claude-sonnet-4-20250514')).toBe(true);
    expect(isAnchoredMatch({ starts_with: 'gpt-5-nano-' }, 'gpt-5-nano-2025-08-07')).toBe(true);
    expect(isAnchoredMatch({ starts_with: 'gpt-5-nano-' }, 'gpt-5-nano-mini')).toBe(false);
    expect(isAnchoredMatch({ starts_with: 'claude-sonnet-4-2025' }, 'claude-sonnet-4-2025x')).toBe(false);
    expect(isAnchoredMatch({ starts_with: 'claude-sonnet-5' }, 'claude-sonnet-5-5')).toBe(false);
    expect(isAnchoredMatch({ ends_with: 'gemini-2.0-flash' }, 'gemini-2.0-flash')).toBe(true);
    expect(isAnchoredMatch({ ends_with: 'gemini-2.0-flash' }, 'my-gemini-2.0-flash')).toBe(false);
    expect(isAnchoredMatch({ contains: 'gemini-2.0-flash-0' }, 'gemini-2.0-flash-001')).toBe(true);
    expect(isAnchoredMatch({ contains: 'gemini-2.0-flash-exp' }, 'x-gemini-2.0-flash-exp')).toBe(false);
  });

  it('prices Sonnet 4 past 200K input at its long-context tier, which the catalog lacks (a correction from the reference)', () => {
    const at = new Date('2026-10-01');
    const cost = (model: string, inputTokens: number) => price({ provider: 'anthropic', catalogProvider: 'anthropic', model, usage: u({ inputTokens, outputTokens: 1_000 }), at });
    expect(cost('claude-sonnet-4-20250514', 250_000)).toMatchObject({ costPicos: 1_522_500_000_000n, unpriced: false });
    expect(cost('claude-sonnet-4-0', 250_000).costPicos).toBe(1_522_500_000_000n);
    expect(cost('claude-sonnet-4-20250514', 200_000).costPicos).toBe(615_000_000_000n);
  });

  it('prices the dated ids providers serve under models the catalog lists by a prefix (Sonnet 4, gpt-5-nano, Gemini 2.0 Flash)', () => {
    const at = new Date('2026-10-01');
    const cost = (catalogProvider: string, model: string) => price({ provider: catalogProvider, catalogProvider, model, usage: u({ inputTokens: 1_000_000, outputTokens: 1_000_000 }), at }).costPicos;
    expect(cost('anthropic', 'claude-sonnet-4-20250514')).toBe(28_500_000_000_000n); // past 200K: $6 + $22.50
    expect(cost('openai', 'gpt-5-nano-2025-08-07')).toBe(450_000_000_000n);
    expect(cost('google', 'gemini-2.0-flash')).not.toBeNull();
  });
});

describe('agreement with the catalog', () => {
  const models = ['openai', 'anthropic', 'google'].flatMap((p) => (findProvider({ providerId: p })?.models ?? []).map((m) => [p, m.id] as const));

  it('equals the catalog’s own (float) price for every model it prices, within 1e-9', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...models),
        fc.record({ uncached: fc.nat(400_000), read: fc.nat(100_000), write5m: fc.nat(50_000), write1h: fc.nat(50_000), output: fc.nat(50_000), searches: fc.nat(30) }),
        fc.date({ min: new Date('2024-01-01'), max: new Date('2027-01-01'), noInvalidDate: true }),
        ([provider, model], x, when) => {
          const usage = u({ inputTokens: x.uncached + x.read + x.write5m + x.write1h, cacheReadTokens: x.read, cacheWriteTokens: x.write5m + x.write1h, cacheWrite1hTokens: x.write1h, outputTokens: x.output, webSearches: x.searches });
          const theirs = calcPrice(
            { input_tokens: usage.inputTokens, cache_read_tokens: x.read, cache_write_tokens: usage.cacheWriteTokens, cache_write_1h_tokens: x.write1h, output_tokens: x.output, web_searches: x.searches },
            model,
            { providerId: provider, timestamp: when },
          );
          const mine = price({ provider, catalogProvider: provider, model, usage, at: when });
          if (!theirs || mine.source !== 'catalog') return;
          const usd = Number(mine.costPicos!) / 1e12;
          expect(Math.abs(usd - theirs.total_price)).toBeLessThanOrEqual(1e-9 * Math.max(1, theirs.total_price));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('prices audio tokens as the catalog does, at the audio rates of the models that have them', () => {
    const audioModels = models.filter(([p, id]) => /audio/.test(JSON.stringify(findProvider({ providerId: p })!.models.find((m) => m.id === id)!.prices)));
    expect(audioModels.length).toBeGreaterThan(10);
    fc.assert(
      fc.property(
        fc.constantFrom(...audioModels),
        fc.record({ text: fc.nat(100_000), audio: fc.nat(100_000), textRead: fc.nat(50_000), audioRead: fc.nat(50_000), textOut: fc.nat(20_000), audioOut: fc.nat(20_000) }),
        ([provider, model], x) => {
          const usage = u({
            inputTokens: x.text + x.audio + x.textRead + x.audioRead,
            cacheReadTokens: x.textRead + x.audioRead,
            outputTokens: x.textOut + x.audioOut,
            audio: { input: x.audio + x.audioRead, cacheRead: x.audioRead, output: x.audioOut },
          });
          const theirs = calcPrice(
            { input_tokens: usage.inputTokens, cache_read_tokens: usage.cacheReadTokens, input_audio_tokens: x.audio + x.audioRead, cache_audio_read_tokens: x.audioRead, output_tokens: usage.outputTokens, output_audio_tokens: x.audioOut },
            model,
            { providerId: provider, timestamp: at },
          );
          const mine = price({ provider, catalogProvider: provider, model, usage, at });
          if (!theirs || mine.source !== 'catalog') return;
          const usd = Number(mine.costPicos!) / 1e12;
          expect(Math.abs(usd - theirs.total_price)).toBeLessThanOrEqual(1e-9 * Math.max(1, theirs.total_price));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('is additive when no tier boundary is crossed', () => {
    fc.assert(
      fc.property(fc.nat(50_000), fc.nat(50_000), fc.nat(5_000), fc.nat(5_000), (i1, i2, o1, o2) => {
        const a = cost('openai', 'gpt-5', { inputTokens: i1, outputTokens: o1 })!;
        const b = cost('openai', 'gpt-5', { inputTokens: i2, outputTokens: o2 })!;
        expect(cost('openai', 'gpt-5', { inputTokens: i1 + i2, outputTokens: o1 + o2 })).toBe(a + b);
      }),
    );
  });
});
