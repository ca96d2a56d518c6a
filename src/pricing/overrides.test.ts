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
