import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { createPricer } from '../pricing/index.js';
import type { PriceFn } from '../metering/build-row.js';
import { affordableOutputTokens, estimateCost, estimatePricer, estimateTokens } from './estimate.js';

const pricer = createPricer({ overrides: [{ model: 'acme-*', input: '3', cacheRead: '0.3', cacheWrite: '3.75', cacheWrite1h: '6', output: '15' }] });
const price: PriceFn = (q) => {
  const a = pricer({ provider: q.provider, catalogProvider: q.catalogProvider, model: q.model, usage: q.usage, at: q.at });
  return { costPicos: a.costPicos, unpriced: a.unpriced };
};
const ctx = { price, provider: 'acme', catalogProvider: undefined, model: 'acme-large', at: new Date('2026-11-22T00:00:00Z') };

describe('reservation estimates', () => {
  it('counts every body byte as a token when conservative, and says when the estimate is a bound', () => {
    expect(estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: 200, defaultMaxOutputTokens: 8192, counting: 'conservative' })).toEqual({ inputTokens: 1000, outputTokens: 200, bounded: true });
    expect(estimateTokens({ bodyBytes: 1000, json: {}, maxOutputTokens: undefined, defaultMaxOutputTokens: 8192, counting: 'conservative' })).toEqual({ inputTokens: 1000, outputTokens: 8192, bounded: false });
    expect(estimateTokens({ bodyBytes: 1000, json: { text: 'abcdefgh' }, maxOutputTokens: 10, defaultMaxOutputTokens: 1, counting: 'typical' }).bounded).toBe(false);
  });

  it('prices input at the dearest input rate (a one-hour cache write) plus output', () => {
    // 1,000 input at $6/M (1h write) + 200 output at $15/M.
    expect(estimateCost({ inputTokens: 1000, outputTokens: 200 }, ctx)).toBe(usd('0.006') + usd('0.003'));
    expect(estimateCost({ inputTokens: 1, outputTokens: 1 }, { ...ctx, model: 'no-such-model-xyz' })).toBeNull();
  });

  it('finds the largest output cap that fits the room left', () => {
    const room = usd('0.006') + usd('0.0015'); // input plus 100 output tokens
    expect(affordableOutputTokens(1000, 4096, room, ctx)).toBe(100);
    expect(affordableOutputTokens(1000, 4096, usd('0.001'), ctx)).toBe(0);
  });
});

describe('estimatePricer', () => {
  it('prices as estimateCost does, and counts an unpriced model as free, telling it once per provider and model', () => {
    const told: string[] = [];
    const cost = estimatePricer((provider, model) => void told.push(`${provider}/${model}`));
    const ctx = (model: string) => ({ price: pricer, provider: 'acme', catalogProvider: undefined, model, at: new Date('2026-11-22T00:00:00Z') });
    expect(cost({ inputTokens: 100, outputTokens: 10 }, ctx('acme-1'))).toBe(estimateCost({ inputTokens: 100, outputTokens: 10 }, ctx('acme-1')));
    expect(cost({ inputTokens: 100, outputTokens: 10 }, ctx('mystery'))).toBe(0n);
    expect(cost({ inputTokens: 5, outputTokens: 1 }, ctx('mystery'))).toBe(0n);
    expect(told).toEqual(['acme/mystery']);
  });
});

