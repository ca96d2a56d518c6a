import { describe, expect, it } from 'vitest';
import { type Usage, zeroUsage } from '../core/usage.js';
import { createPricer } from './index.js';
import type { PriceQuery } from './pricer.js';

const at = new Date('2026-11-20T12:00:00Z');
const u = (x: Partial<Usage>): Usage => ({ ...zeroUsage(), ...x });
const ask = (provider: string, catalogProvider: string | undefined, model: string, usage: Partial<Usage>, more: Partial<PriceQuery> = {}): PriceQuery => ({ provider, catalogProvider, model, usage: u(usage), at, ...more });

// Rates in picos per token are (USD per million) × 1e6; a search at $10 per 1,000 is 1e10 picos.
describe('an override prices tokens; searches still cost what the model charges for them', () => {
  const price = createPricer({
    overrides: [
      { model: 'claude-sonnet-5-5*', provider: 'antd', input: '1.80', cacheRead: '0.09', cacheWrite: '2.25', cacheWrite1h: '3.60', output: '9.00' },
      { model: 'gpt-5.6-sol*', input: '5', cacheRead: '0.5', cacheWrite: '6.25', output: '30' },
      { model: 'acme-*', input: '1', output: '2' },
    ],
    discounts: { antd: '0.05' },
  });

  it('the audit case: Sonnet 5.5 under an override, 3 searches, 5% off the whole', () => {
    // (1,000 × 1.8e6 + 1,000 × 9e6 + 3 × 1e10) × 0.95 = 4.08e10 × 0.95 = 3.876e10 ($0.03876; it was $0.01026)
    expect(price(ask('antd', 'anthropic', 'claude-sonnet-5-5', { inputTokens: 1_000, outputTokens: 1_000, webSearches: 3 }))).toEqual({ costPicos: 38_760_000_000n, unpriced: false, source: 'override' });
  });

  it('OpenAI: the catalog entry’s price per search (gpt-5.6-sol lists $10 per 1,000)', () => {
    // 1,000 × 5e6 + 100 × 30e6 + 2 × 1e10 = 2.8e10 ($0.028; it was $0.008)
    expect(price(ask('openai', 'openai', 'gpt-5.6-sol', { inputTokens: 1_000, outputTokens: 100, webSearches: 2 })).costPicos).toBe(28_000_000_000n);
    expect(price(ask('openai', 'openai', 'gpt-5.6-sol-2026-09-01', { inputTokens: 1_000, outputTokens: 100, webSearches: 2 })).costPicos).toBe(28_000_000_000n);
  });

  it('searches are added after the service tier, which halves only the tokens', () => {
    // (1,000 × 5e6 + 100 × 30e6) / 2 + 2 × 1e10 = 4e9 + 2e10
    expect(price(ask('openai', 'openai', 'gpt-5.6-sol', { inputTokens: 1_000, outputTokens: 100, webSearches: 2 }, { serviceTier: 'flex' })).costPicos).toBe(24_000_000_000n);
  });

  it('a model no price at the provider’s catalog knows: the provider’s published price per search, where it has one', () => {
    // Anthropic charges $10 per 1,000 on every model (protocols.md §3.10): 1,000 × 1e6 + 10 × 2e6 + 1e10.
    expect(price(ask('anthropic', 'anthropic', 'acme-large', { inputTokens: 1_000, outputTokens: 10, webSearches: 1 })).costPicos).toBe(11_020_000_000n);
    // OpenAI prices searches per model, and a provider without a catalog has no price: tokens only.
    expect(price(ask('openai', 'openai', 'acme-large', { inputTokens: 1_000, outputTokens: 10, webSearches: 1 })).costPicos).toBe(1_020_000_000n);
    expect(price(ask('local', undefined, 'acme-large', { inputTokens: 1_000, outputTokens: 10, webSearches: 1 })).costPicos).toBe(1_020_000_000n);
  });

  it('without searches, an override costs its tokens alone', () => {
    expect(price(ask('antd', 'anthropic', 'claude-sonnet-5-5', { inputTokens: 1_000, outputTokens: 1_000 })).costPicos).toBe(10_260_000_000n);
  });
});

describe('an override with a long-context tier reprices the whole request past its boundary, as the catalog does', () => {
  // OpenAI's list prices for gpt-5.6-sol with its published tier (protocols.md §6.1: input and cache ×2, output ×1.5).
  const sol = { model: 'gpt-5.6-sol*', input: '5', cacheRead: '0.5', cacheWrite: '6.25', output: '30' };
  const solLong = { ...sol, longContext: { aboveTokens: 272_000, input: '10', cacheRead: '1', cacheWrite: '12.5', output: '45' } };
  const haiku = { model: 'claude-haiku-5-5*', input: '0.09', output: '0.45', longContext: { aboveTokens: 100_000, input: '0.45', output: '2.25' } };
  const price = createPricer({ overrides: [solLong, haiku], discounts: { azure: '0.1' } });
  const cost = (provider: string, model: string, usage: Partial<Usage>) => price(ask(provider, 'openai', model, usage)).costPicos;

  it('the audit case: 300,000 prompt tokens at the long rates, $3.045 (a flat override gave $1.53)', () => {
    // 300,000 × 10e6 + 1,000 × 45e6 = 3e12 + 4.5e10
    expect(cost('openai', 'gpt-5.6-sol', { inputTokens: 300_000, outputTokens: 1_000 })).toBe(3_045_000_000_000n);
    expect(createPricer({ overrides: [sol] })(ask('openai', 'openai', 'gpt-5.6-sol', u({ inputTokens: 300_000, outputTokens: 1_000 }))).costPicos).toBe(1_530_000_000_000n);
  });

  it('below and at the boundary the short rates, one token above it the long ones', () => {
    // 272,000 is not above 272,000: 272,000 × 5e6 + 1,000 × 30e6
    expect(cost('openai', 'gpt-5.6-sol', { inputTokens: 271_999, outputTokens: 1_000 })).toBe(271_999n * 5_000_000n + 30_000_000_000n);
    expect(cost('openai', 'gpt-5.6-sol', { inputTokens: 272_000, outputTokens: 1_000 })).toBe(1_390_000_000_000n);
    expect(cost('openai', 'gpt-5.6-sol', { inputTokens: 272_001, outputTokens: 1_000 })).toBe(272_001n * 10_000_000n + 45_000_000_000n);
  });

  it('cache reads and writes count toward the boundary, and are repriced at the tier’s cache rates', () => {
    // 272,001 = 72,001 uncached + 100,000 read + 100,000 written: 72,001 × 10e6 + 100,000 × 1e6 + 100,000 × 12.5e6 + 1,000 × 45e6
    expect(cost('openai', 'gpt-5.6-sol', { inputTokens: 272_001, cacheReadTokens: 100_000, cacheWriteTokens: 100_000, outputTokens: 1_000 })).toBe(720_010_000_000n + 100_000_000_000n + 1_250_000_000_000n + 45_000_000_000n);
    // Under it: 72,000 × 5e6 + 100,000 × 0.5e6 + 100,000 × 6.25e6 + 1,000 × 30e6
    expect(cost('openai', 'gpt-5.6-sol', { inputTokens: 272_000, cacheReadTokens: 100_000, cacheWriteTokens: 100_000, outputTokens: 1_000 })).toBe(360_000_000_000n + 50_000_000_000n + 625_000_000_000n + 30_000_000_000n);
  });

  it('Haiku 5.5 under an override with its 100K tier: 150,000 input tokens at 5× (a flat override was 5× under)', () => {
    // 150,000 × 0.45e6 + 1,000 × 2.25e6 = 6.75e10 + 2.25e9; at 100,000, 100,000 × 0.09e6 + 1,000 × 0.45e6
    expect(price(ask('anthropic', 'anthropic', 'claude-haiku-5-5', { inputTokens: 150_000, outputTokens: 1_000 })).costPicos).toBe(69_750_000_000n);
    expect(price(ask('anthropic', 'anthropic', 'claude-haiku-5-5', { inputTokens: 100_000, outputTokens: 1_000 })).costPicos).toBe(9_450_000_000n);
  });

  it('the provider’s discount applies on top of the tier, and the service tier multiplies it', () => {
    // (300,000 × 10e6 + 1,000 × 45e6) × 0.9 = 3.045e12 × 0.9
    expect(cost('azure', 'gpt-5.6-sol', { inputTokens: 300_000, outputTokens: 1_000 })).toBe(2_740_500_000_000n);
    expect(price(ask('openai', 'openai', 'gpt-5.6-sol', { inputTokens: 300_000, outputTokens: 1_000 }, { serviceTier: 'flex' })).costPicos).toBe(1_522_500_000_000n);
  });

  it('refuses a tier that does not price the cache classes its override prices (the config says so first)', () => {
    expect(() => createPricer({ overrides: [{ ...sol, longContext: { aboveTokens: 272_000, input: '10', output: '45' } }] })).toThrow(/must price cacheRead exactly when the override does/);
    expect(() => createPricer({ overrides: [{ model: 'x', input: '1', output: '2', longContext: { aboveTokens: 10, input: '2', output: '4', cacheWrite: '3' } }] })).toThrow(/cacheWrite/);
  });
});
