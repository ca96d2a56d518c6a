import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { createPricer } from '../pricing/index.js';
import type { PriceFn } from '../metering/build-row.js';
import { jpegB64, pngB64 } from '../metering/media/fixtures.js';
import { BEYOND_ANY_LIMIT, REFERENCED_CONTEXT_TOKENS, UNPRICED_REMEMBERED, UNPRICED_TOLD_PER_HOUR, affordableOutputTokens, estimateCost, estimatePricer, estimateTokens, outputPerChoice } from './estimate.js';

const pricer = createPricer({
  overrides: [
    { model: 'acme-*', input: '3', cacheRead: '0.3', cacheWrite: '3.75', cacheWrite1h: '6', output: '15' },
    { model: 'free-*', input: '0', output: '0' },
  ],
});
const price: PriceFn = (q) => {
  const a = pricer({ provider: q.provider, catalogProvider: q.catalogProvider, model: q.model, usage: q.usage, at: q.at });
  return { costPicos: a.costPicos, unpriced: a.unpriced, tooLarge: a.tooLarge };
};
/** Client caps past what a row of cost can hold, past 2^53, and past what a double holds. */
const HUGE_CAPS = [1e15, Number.MAX_SAFE_INTEGER, 1e17, 1e20, 1e308, Infinity];
const ctx = { price, provider: 'acme', catalogProvider: undefined, model: 'acme-large', at: new Date('2026-11-22T00:00:00Z') };

describe('reservation estimates', () => {
  it('counts every body byte as a token when conservative, and says when the estimate is a bound', () => {
    expect(estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: 200, defaultMaxOutputTokens: 8192, counting: 'conservative' })).toEqual({ inputTokens: 1000, outputTokens: 200, bounded: true });
    expect(estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: undefined, defaultMaxOutputTokens: 8192, counting: 'conservative' })).toEqual({ inputTokens: 1000, outputTokens: 8192, bounded: false });
    expect(estimateTokens({ bodyBytes: 1000, json: { text: 'abcdefgh' }, maxOutputTokens: 10, defaultMaxOutputTokens: 1, counting: 'typical' }).bounded).toBe(false);
  });

  it('counts an allowance for the stored response or conversation a Responses request continues, which is billed as input but not in its body', () => {
    const base = { bodyBytes: 60, maxOutputTokens: 100, defaultMaxOutputTokens: 8192, counting: 'conservative' as const, api: 'openai.responses' as const };
    const allowed = { inputTokens: 60 + REFERENCED_CONTEXT_TOKENS, outputTokens: 100, bounded: false, referencedTokens: REFERENCED_CONTEXT_TOKENS, referencedFrom: null };
    expect(estimateTokens({ ...base, json: { model: 'gpt-4o', input: 'go on', previous_response_id: 'resp_1' } })).toEqual(allowed);
    expect(estimateTokens({ ...base, json: { model: 'gpt-4o', input: 'go on', conversation: 'conv_1' } })).toEqual(allowed);
    expect(estimateTokens({ ...base, json: { model: 'gpt-4o', input: 'go on', conversation: { id: 'conv_1' } } })).toEqual(allowed);
    expect(REFERENCED_CONTEXT_TOKENS).toBe(128_000);
    for (const json of [{ previous_response_id: null }, { previous_response_id: '' }, { conversation: null }, {}]) expect(estimateTokens({ ...base, json })).toEqual({ inputTokens: 60, outputTokens: 100, bounded: true });
  });

  it('counts the stored context it is given instead: the previous response’s own tokens, or the setting', () => {
    const base = { bodyBytes: 60, maxOutputTokens: 100, defaultMaxOutputTokens: 8192, counting: 'conservative' as const, api: 'openai.responses' as const, json: { input: 'go on', previous_response_id: 'resp_1' } };
    expect(estimateTokens({ ...base, context: { tokens: 3_210, previous: 'resp_1' } })).toEqual({ inputTokens: 3_270, outputTokens: 100, bounded: false, referencedTokens: 3_210, referencedFrom: 'resp_1' });
    expect(estimateTokens({ ...base, context: { tokens: 32_000, previous: null } })).toMatchObject({ inputTokens: 32_060, referencedTokens: 32_000, referencedFrom: null });
    // Given, but the request continues nothing: not counted.
    expect(estimateTokens({ ...base, json: { input: 'hi' }, context: { tokens: 3_210, previous: 'resp_1' } })).toEqual({ inputTokens: 60, outputTokens: 100, bounded: true });
  });

  it('counts previous_response_id, previous_interaction_id and conversation only on the APIs that define them', () => {
    const base = { bodyBytes: 60, maxOutputTokens: 100, defaultMaxOutputTokens: 8192, counting: 'conservative' as const };
    const plain = { inputTokens: 60, outputTokens: 100, bounded: true };
    const referenced = { inputTokens: 60 + REFERENCED_CONTEXT_TOKENS, referencedTokens: REFERENCED_CONTEXT_TOKENS };
    const stray = { previous_response_id: 'resp_1', previous_interaction_id: 'v1_abc', conversation: 'conv_1' };
    // A stray member in another API's body continues nothing: the provider ignores or refuses it.
    const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...stray };
    for (const api of ['openai.chat', 'openai.completions', 'openai.embeddings', 'anthropic.messages', 'gemini.generate', undefined] as const) expect(estimateTokens({ ...base, api, json: chat })).toEqual(plain);
    expect(estimateTokens({ ...base, api: 'openai.responses', json: { input: 'go on', previous_interaction_id: 'v1_abc' } })).toEqual(plain);
    expect(estimateTokens({ ...base, api: 'gemini.interactions', json: { input: 'go on', previous_response_id: 'resp_1', conversation: 'conv_1' } })).toEqual(plain);
    expect(estimateTokens({ ...base, api: 'openai.compact', json: { input: [], conversation: 'conv_1' } })).toEqual(plain);
    expect(estimateTokens({ ...base, api: 'gemini.interactions', json: { input: 'go on', previous_interaction_id: 'v1_abc' } })).toMatchObject({ ...referenced, referencedBy: 'previous_interaction_id' });
    expect(estimateTokens({ ...base, api: 'openai.compact', json: { input: [], previous_response_id: 'resp_1' } })).toMatchObject(referenced);
    // A Responses-shaped chat request (Cursor's) goes to the Responses API as it is: it continues what it names.
    expect(estimateTokens({ ...base, api: 'openai.chat', json: { model: 'gpt-5', input: 'go on', previous_response_id: 'resp_1' } })).toMatchObject(referenced);
  });

  it('prices input at the dearest input rate (a one-hour cache write) plus output', () => {
    // 1,000 input at $6/M (1h write) + 200 output at $15/M.
    expect(estimateCost({ inputTokens: 1000, outputTokens: 200 }, ctx)).toBe(usd('0.006') + usd('0.003'));
    expect(estimateCost({ inputTokens: 1, outputTokens: 1 }, { ...ctx, model: 'no-such-model-xyz' })).toBeNull();
  });

  it('finds the largest output cap that fits the room left', () => {
    const room = usd('0.006') + usd('0.0015'); // input plus 100 output tokens
    expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, 4096, room, ctx)).toBe(100);
    expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, 4096, usd('0.001'), ctx)).toBe(0);
  });

  it('counts every choice the request asks for at the cap (n, candidateCount): still a bound when capped', () => {
    const e = estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: 100, choices: 8, defaultMaxOutputTokens: 8192, counting: 'conservative' });
    expect(e).toEqual({ inputTokens: 1000, outputTokens: 800, bounded: true, choices: 8 });
    expect(outputPerChoice(e)).toBe(100);
    // Without a cap, each choice may run to the default.
    expect(estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: undefined, choices: 3, defaultMaxOutputTokens: 8192, counting: 'conservative' })).toEqual({ inputTokens: 1000, outputTokens: 3 * 8192, bounded: false, choices: 3 });
    expect(estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: 1.5, choices: 4, defaultMaxOutputTokens: 8192, counting: 'conservative' }).outputTokens).toBe(8);
    for (const one of [1, undefined]) expect(estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: 100, choices: one, defaultMaxOutputTokens: 8192, counting: 'conservative' })).toEqual({ inputTokens: 1000, outputTokens: 100, bounded: true });
    // Eight choices of 100 tokens cost eight times one.
    expect(estimateCost({ inputTokens: 0, outputTokens: e.outputTokens }, ctx)).toBe(8n * estimateCost({ inputTokens: 0, outputTokens: 100 }, ctx)!);
    // A count past what can be priced (n: 1e400 reads as 2^53 − 1) is beyond any limit.
    const huge = estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: 100, choices: Number.MAX_SAFE_INTEGER, defaultMaxOutputTokens: 8192, counting: 'conservative' });
    expect(estimateCost(huge, ctx)).toBe(BEYOND_ANY_LIMIT);
  });

  it('finds the largest cap of each choice that fits the room left, the room shared by all of them', () => {
    const room = usd('0.006') + usd('0.0015'); // input plus 100 output tokens
    expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, 4096, room, ctx, 8)).toBe(12); // 8 × 12 = 96 ≤ 100 < 8 × 13
    expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, 4096, room, ctx, 100)).toBe(1);
    expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, 4096, room, ctx, 101)).toBe(0);
    expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, 4096, room, ctx, Number.MAX_SAFE_INTEGER)).toBe(0);
  });

  it('rounds a fractional output cap up, and takes a zero, negative, NaN or non-number cap as none', () => {
    const tokens = (cap: unknown) => estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: cap as number, defaultMaxOutputTokens: 8192, counting: 'conservative' });
    expect(tokens(1.5)).toEqual({ inputTokens: 1000, outputTokens: 2, bounded: true });
    expect(tokens(0.5)).toEqual({ inputTokens: 1000, outputTokens: 1, bounded: true });
    expect(tokens(7.25).outputTokens).toBe(8);
    for (const none of [0, -3, -0.5, NaN, '100', null]) expect(tokens(none)).toEqual({ inputTokens: 1000, outputTokens: 8192, bounded: false });
    // Priced in whole tokens: a fraction that reaches the pricer anyway is rounded up, not thrown on.
    expect(estimateCost({ inputTokens: 1000, outputTokens: 1.5 }, ctx)).toBe(estimateCost({ inputTokens: 1000, outputTokens: 2 }, ctx));
  });

  it('counts a cap too large to price as beyond any limit for a priced model, and keeps an unpriced one unpriced', () => {
    for (const cap of HUGE_CAPS) {
      const out = estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: cap, defaultMaxOutputTokens: 8192, counting: 'conservative' }).outputTokens;
      expect(estimateCost({ inputTokens: 1000, outputTokens: out }, ctx)).toBe(BEYOND_ANY_LIMIT);
      expect(estimateCost({ inputTokens: 1000, outputTokens: out }, { ...ctx, model: 'no-such-model-xyz' })).toBeNull();
    }
    // 1e12 tokens at $15/M is $15M, still more than a row holds; 1e11 is $1.5M and priced.
    expect(estimateCost({ inputTokens: 1000, outputTokens: 1e11 }, ctx)).toBe(usd('0.006') + usd('1500000'));
    expect(BEYOND_ANY_LIMIT).toBeGreaterThan(usd('1000000000000') * 1_000_000n);
  });

  it('finds the affordable cap under a huge one, and ends for a free model', () => {
    const room = usd('0.006') + usd('0.0015');
    for (const cap of HUGE_CAPS) expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, cap, room, ctx)).toBe(100);
    expect(affordableOutputTokens({ inputTokens: 1000, outputTokens: 0 }, 1e308, usd('1'), { ...ctx, model: 'free-1' })).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('estimatePricer', () => {
  const at = new Date('2026-11-22T00:00:00Z');
  const ctxOf = (model: string) => ({ price: pricer, provider: 'acme', catalogProvider: undefined, model, at });
  /** An estimate pricer on a clock the test moves, and what it told. */
  const teller = () => {
    const t = { now: 0, told: [] as string[], others: [] as number[] };
    const cost = estimatePricer({ model: (provider, model) => void t.told.push(`${provider}/${model}`), others: (n) => void t.others.push(n) }, () => t.now);
    return { t, ask: (model: string) => cost({ inputTokens: 100, outputTokens: 10 }, ctxOf(model)) };
  };

  it('prices as estimateCost does, and counts an unpriced model as free, telling it once per provider and model', () => {
    const { t, ask } = teller();
    expect(ask('acme-1')).toBe(estimateCost({ inputTokens: 100, outputTokens: 10 }, ctxOf('acme-1')));
    expect(ask('mystery')).toBe(0n);
    expect(ask('mystery')).toBe(0n);
    expect(t.told).toEqual(['acme/mystery']);
  });

  it('counts a huge cap on a priced model as beyond any limit, and does not tell it as unpriced', () => {
    const { t } = teller();
    const cost = estimatePricer({ model: (provider, model) => void t.told.push(`${provider}/${model}`), others: (n) => void t.others.push(n) }, () => t.now);
    for (const cap of HUGE_CAPS) expect(cost({ inputTokens: 100, outputTokens: cap }, ctxOf('acme-1'))).toBe(BEYOND_ANY_LIMIT);
    expect(t.told).toEqual([]);
  });

  it('tells at most UNPRICED_TOLD_PER_HOUR models an hour by name, and the others as a count after the hour', () => {
    const { t, ask } = teller();
    for (let i = 0; i < UNPRICED_TOLD_PER_HOUR + 5; i++) expect(ask(`made-up-${i}`)).toBe(0n);
    expect(t.told).toHaveLength(UNPRICED_TOLD_PER_HOUR);
    expect(t.others).toEqual([]);
    t.now += 3_600_000;
    // The first unpriced estimate of the next hour, even of a model told already, brings the count.
    ask('made-up-0');
    expect(t.others).toEqual([5]);
    ask('made-up-new');
    expect(t.told.at(-1)).toBe('acme/made-up-new');
    t.now += 3_600_000;
    ask('made-up-0');
    expect(t.others).toEqual([5]);
  });

  it('remembers at most UNPRICED_REMEMBERED models as told, forgetting the oldest', () => {
    const { t, ask } = teller();
    for (let i = 0; i < UNPRICED_REMEMBERED + 10; i++) ask(`made-up-${i}`);
    t.now += 3_600_000;
    t.told.length = 0;
    // The newest are remembered: not told again…
    for (let i = 10; i < UNPRICED_REMEMBERED + 10; i += 500) ask(`made-up-${i}`);
    ask(`made-up-${UNPRICED_REMEMBERED + 9}`);
    expect(t.told).toEqual([]);
    // …the oldest were forgotten: told again, still counted as free.
    expect(ask('made-up-0')).toBe(0n);
    expect(t.told).toEqual(['acme/made-up-0']);
  });
});

describe('reservation estimates of images and documents', () => {
  const catalog = createPricer({ overrides: [] });
  const real: PriceFn = (q) => {
    const a = catalog({ provider: q.provider, catalogProvider: q.catalogProvider, model: q.model, usage: q.usage, at: q.at });
    return { costPicos: a.costPicos, unpriced: a.unpriced, tooLarge: a.tooLarge };
  };
  const conservative = (json: Record<string, unknown>, model: string) => {
    const bytes = Buffer.byteLength(JSON.stringify(json));
    return { bytes, e: estimateTokens({ bodyBytes: bytes, json, model, maxOutputTokens: 200, defaultMaxOutputTokens: 8192, counting: 'conservative' }) };
  };

  it('counts a 1.5 MB base64 image to Claude at its bound, not its bytes, so that it costs cents', () => {
    const data = pngB64(3000, 2000, 1_500_000);
    const { bytes, e } = conservative({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }, { type: 'text', text: 'What is in this picture?' }] }] }, 'claude-sonnet-4-5');
    expect(bytes).toBeGreaterThan(2_000_000);
    // The body's other bytes, one token each, plus the image's most (1,600 + a block's margin).
    expect(e).toEqual({ inputTokens: bytes - data.length + 1700, outputTokens: 200, bounded: true, mediaTokens: 1700, media: 1 });
    const cost = estimateCost(e, { price: real, provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-5', at: new Date('2026-11-22T00:00:00Z') })!;
    expect(cost).toBeGreaterThan(0n);
    expect(cost).toBeLessThan(usd('0.05'));
  });

  it('counts OpenAI and Gemini images by their providers’ bounds too', () => {
    const data = jpegB64(4000, 3000, 1_000_000);
    const openai = conservative({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${data}` } }] }] }, 'gpt-4o');
    expect(openai.e.mediaTokens).toBe(85 + 170 * 4);
    expect(openai.e.inputTokens).toBeLessThan(1_000);
    const gemini = conservative({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/jpeg', data } }, { text: 'hi' }] }] }, 'gemini-2.5-flash');
    expect(gemini.e.mediaTokens).toBe(258 * 24); // 4000×3000 in 6×4 tiles of 768 px (bounding: at least 2,240)
    expect(gemini.e.inputTokens).toBeLessThan(6_300);
  });

  it('still bounds an image by reference, which the body’s bytes did not', () => {
    const { bytes, e } = conservative({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }] }, 'claude-sonnet-4-5');
    expect(e.inputTokens).toBe(bytes - 'https://example.com/a.png'.length + 1700);
  });

  it('counts a text request as its bytes, and typical counting as about four characters a token, images apart', () => {
    const text = { messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(4000) }] }] };
    expect(conservative(text, 'claude-sonnet-4-5').e).toEqual({ inputTokens: Buffer.byteLength(JSON.stringify(text)), outputTokens: 200, bounded: true });
    const json = { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: pngB64(1000, 1000, 1_000_000) } }] }] };
    const typical = estimateTokens({ bodyBytes: 0, json, model: 'claude-sonnet-4-5', maxOutputTokens: 10, defaultMaxOutputTokens: 1, counting: 'typical' });
    expect(typical.mediaTokens).toBe(1334);
    expect(typical.inputTokens).toBeLessThan(1400);
  });
});
