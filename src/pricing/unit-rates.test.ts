import { describe, expect, it } from 'vitest';
import { PICOS_PER_USD } from '../core/money.js';
import { createPricer } from './index.js';
import type { PriceQuery } from './pricer.js';
import { RATE_BOOK_CAP, rateBook } from './unit-rates.js';

const AT = Date.UTC(2026, 10, 20);
const USD = PICOS_PER_USD;
const usd = (dollars: number) => BigInt(Math.round(dollars * 1e6)) * 1_000_000n;

describe('rateBook', () => {
  it("reads a model's base-tier rates, not its long-context tier's", () => {
    const rates = rateBook(createPricer(), { anthropic: 'anthropic', google: 'google' });
    // Claude Sonnet 4.5 doubles input above 200K tokens.
    // Sonnet 4.5: 3 / 0.30 / 3.75 (1-hour writes 6) / 15 below 200K input.
    expect(rates('anthropic', 'claude-sonnet-4-5', AT)).toMatchObject({ input: usd(3), cacheRead: usd(0.3), cacheWrite: usd(3.75), cacheWrite1h: usd(6), output: usd(15) });
    expect(rates('google', 'gemini-2.5-pro', AT)).toMatchObject({ input: usd(1.25), output: usd(10) });
  });

  it('gives rates as plain data (the anomaly evaluation process is sent them), and prices a long request at its tier apart', () => {
    const rates = rateBook(createPricer(), { anthropic: 'anthropic' });
    const r = rates('anthropic', 'claude-sonnet-4-5', AT)!;
    expect(structuredClone(r)).toEqual(r);
    const usage = { inputTokens: 300_000, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 1_000, reasoningTokens: 0, toolCalls: 0 };
    // Past 200K input, Sonnet 4.5 bills $6 input and $22.50 output per million: $1.80 + $0.0225.
    expect(rates.requestCost!('anthropic', 'claude-sonnet-4-5', AT, usage)).toBe(usd(1.8225));
    expect(rates.requestCost!('anthropic', 'claude-nonexistent-9', AT, usage)).toBeUndefined();
  });

  it('tells what a service tier multiplies a model’s token prices by, standard being 1', () => {
    const rates = rateBook(createPricer(), { openai: 'openai', anthropic: 'anthropic' });
    const factor = (provider: string, model: string, tier: string) => rates.tierFactor!(provider, model, AT, tier);
    expect([factor('openai', 'gpt-5', 'flex'), factor('openai', 'gpt-5', 'priority'), factor('openai', 'gpt-5', 'scale')]).toEqual([0.5, 2, 1]);
    expect([factor('anthropic', 'claude-sonnet-4-5', 'batch'), factor('anthropic', 'claude-opus-5-5', 'fast+us')]).toEqual([0.5, 2.2]);
    // Fast mode on a model whose premium is unknown: no factor.
    expect(factor('anthropic', 'claude-opus-4-7', 'fast')).toBeUndefined();
    expect(factor('openai', 'gpt-nonexistent-9', 'flex')).toBeUndefined();
  });

  it('applies discounts as requests are priced, and knows no rates for an unknown model', () => {
    const rates = rateBook(createPricer({ discounts: { anthropic: '0.05' } }), { anthropic: 'anthropic' });
    expect(rates('anthropic', 'claude-sonnet-4-5', AT)).toMatchObject({ input: usd(2.85), output: usd(14.25) });
    expect(rates('anthropic', 'claude-nonexistent-9', AT)).toBeUndefined();
  });
});

describe('rateBook’s memory', () => {
  it('keeps at most RATE_BOOK_CAP rates, dropping the oldest, and still answers each right', () => {
    const asked: string[] = [];
    // $1 per token of any class, $2 for model m0’s.
    const price = (q: PriceQuery) => {
      asked.push(q.model);
      const u = q.usage;
      const tokens = BigInt(u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens + u.outputTokens);
      return { costPicos: tokens * (q.model === 'm0' ? 2n : 1n) * USD };
    };
    const rates = rateBook(price, {});
    const n = RATE_BOOK_CAP + 50;
    for (let i = 0; i < n; i++) expect(rates('openai', `m${i}`, AT)?.input).toBe((i === 0 ? 2n : 1n) * USD * 1_000_000n);
    // Another day is another rate: a fixed set of models grows the book day by day.
    rates('openai', `m${n - 1}`, AT + 86_400_000);
    asked.length = 0;
    // The newest RATE_BOOK_CAP are remembered: none is priced again…
    for (let i = n + 1 - RATE_BOOK_CAP; i < n; i++) rates('openai', `m${i}`, AT);
    rates('openai', `m${n - 1}`, AT + 86_400_000);
    expect(asked).toEqual([]);
    // …and the oldest were dropped: asked again, they are priced again, with the same answer.
    expect(rates('openai', 'm0', AT)?.output).toBe(2n * USD * 1_000_000n);
    expect(new Set(asked)).toEqual(new Set(['m0']));
  });
});
