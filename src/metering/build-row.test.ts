import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../core/usage.js';
import { type PriceRequest, buildRow, newFacts } from './build-row.js';

function facts(serviceTier: string | undefined, modifiers: { speed?: string; inferenceGeo?: string } = {}) {
  const f = newFacts('r1', Date.UTC(2026, 10, 20), 'openai.chat');
  Object.assign(f, { provider: 'openai', catalogProvider: 'openai', modelRequested: 'gpt-5', servedModel: 'gpt-5', status: 200, usageSource: 'final', serviceTier });
  f.usage = { ...zeroUsage(), inputTokens: 1000, outputTokens: 100, ...modifiers };
  return f;
}

describe('buildRow, service tier', () => {
  it('records the tier the request was priced at, the same one the pricer was given', () => {
    const asked: PriceRequest[] = [];
    const row = buildRow(facts('flex'), (q) => {
      asked.push(q);
      return { costPicos: 5n, unpriced: false };
    });
    expect(asked[0]!.serviceTier).toBe('flex');
    expect(row.serviceTier).toBe('flex');
  });

  it('leaves a standard row without one, and names Anthropic fast mode and US-only inference', () => {
    const price = () => ({ costPicos: 5n, unpriced: false });
    expect('serviceTier' in buildRow(facts('default'), price)).toBe(false);
    expect('serviceTier' in buildRow(facts(undefined), price)).toBe(false);
    expect(buildRow(facts('standard', { speed: 'fast', inferenceGeo: 'us' }), price).serviceTier).toBe('fast+us');
    // Unpriced (fast mode at a premium Tollgate does not know): the tier is still recorded.
    expect(buildRow(facts('standard', { speed: 'fast' }), () => ({ costPicos: null, unpriced: true })).serviceTier).toBe('fast');
  });
});
