import { describe, expect, it } from 'vitest';
import { createPricer } from './index.js';
import { rateBook } from './unit-rates.js';

const AT = Date.UTC(2026, 10, 20);
const usd = (dollars: number) => BigInt(Math.round(dollars * 1e6)) * 1_000_000n;

describe('rateBook', () => {
  it("reads a model's base-tier rates, not its long-context tier's", () => {
    const rates = rateBook(createPricer(), { anthropic: 'anthropic', google: 'google' });
    // Claude Sonnet 4.5 doubles input above 200K tokens; the base rates are 3 / 0.30 / 3.75 / 15.
    expect(rates('anthropic', 'claude-sonnet-4-5', AT)).toEqual({ input: usd(3), cacheRead: usd(0.3), cacheWrite: usd(3.75), output: usd(15) });
    expect(rates('google', 'gemini-2.5-pro', AT)).toMatchObject({ input: usd(1.25), output: usd(10) });
  });

  it('applies discounts as requests are priced, and knows no rates for an unknown model', () => {
    const rates = rateBook(createPricer({ discounts: { anthropic: '0.05' } }), { anthropic: 'anthropic' });
    expect(rates('anthropic', 'claude-sonnet-4-5', AT)).toMatchObject({ input: usd(2.85), output: usd(14.25) });
    expect(rates('anthropic', 'claude-nonexistent-9', AT)).toBeUndefined();
  });
});
