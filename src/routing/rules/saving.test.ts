import { describe, expect, it } from 'vitest';
import type { PriceFn } from '../../metering/build-row.js';
import { sampleRow } from '../../storage/testing/rows.js';
import type { AttemptRow } from '../../core/ledger-row.js';
import { fellBackSaving, routeSaving } from './saving.js';

// Per token: sonnet 3 in / 15 out, haiku 1 in / 5 out; anything else unpriced.
const RATES: Record<string, [bigint, bigint]> = { 'claude-sonnet-4-5': [3n, 15n], 'claude-haiku-4-5': [1n, 5n] };
// The batch tier at half price, Anthropic fast mode at 6x.
const price: PriceFn = (r) => {
  const rate = RATES[r.model];
  const cost = rate && BigInt(r.usage.inputTokens) * rate[0] + BigInt(r.usage.outputTokens) * rate[1];
  return cost === undefined ? { costPicos: null, unpriced: true } : { costPicos: (r.serviceTier === 'batch' ? cost / 2n : cost) * (r.usage.speed === 'fast' ? 6n : 1n), unpriced: false };
};
const usage = { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 };

describe('route savings', () => {
  it('prices an enforced request at the requested model: the saving is what it would have cost minus what it did', () => {
    const row = sampleRow({ ...usage, model: 'claude-haiku-4-5', costPicos: 1500n });
    expect(routeSaving('enforce', row, { model: 'claude-sonnet-4-5', provider: 'anthropic', catalogProvider: 'anthropic' }, price)).toBe(4500n - 1500n);
  });

  it('prices a shadow request at the rule model: the saving is what it cost minus what it would have', () => {
    const row = sampleRow({ ...usage, model: 'claude-sonnet-4-5', costPicos: 4500n });
    expect(routeSaving('shadow', row, { model: 'claude-haiku-4-5', provider: 'anthropic', catalogProvider: 'anthropic' }, price)).toBe(3000n);
    // A rule towards a dearer model shows a negative saving.
    expect(routeSaving('shadow', sampleRow({ ...usage, costPicos: 1500n }), { model: 'claude-sonnet-4-5', provider: 'anthropic', catalogProvider: undefined }, price)).toBe(-3000n);
  });

  it('prices the other model at the row’s own tier', () => {
    const batch = sampleRow({ ...usage, model: 'claude-haiku-4-5', costPicos: 750n, serviceTier: 'batch' });
    expect(routeSaving('enforce', batch, { model: 'claude-sonnet-4-5', provider: 'anthropic', catalogProvider: 'anthropic' }, price)).toBe(2250n - 750n);
    const fast = sampleRow({ ...usage, model: 'claude-sonnet-4-5', costPicos: 27_000n, serviceTier: 'fast' });
    expect(routeSaving('shadow', fast, { model: 'claude-haiku-4-5', provider: 'anthropic', catalogProvider: 'anthropic' }, price)).toBe(27_000n - 9000n);
  });

  it('is unknown when either side has no price, and zero when nothing was used', () => {
    const other = { model: 'claude-haiku-4-5', provider: 'anthropic', catalogProvider: 'anthropic' };
    expect(routeSaving('shadow', sampleRow({ ...usage, costPicos: null, unpriced: true }), other, price)).toBeNull();
    expect(routeSaving('shadow', sampleRow({ ...usage, costPicos: 4500n }), { ...other, model: 'mystery' }, price)).toBeNull();
    expect(routeSaving('enforce', sampleRow({ inputTokens: 0, outputTokens: 0, costPicos: 0n }), other, price)).toBe(0n);
  });

  it('claims nothing for a request the requested model served after the target failed, and counts what the failed tries cost', () => {
    const tried = (n: number, costPicos: bigint | null) => ({ n, costPicos }) as AttemptRow;
    // An error answer costs nothing: no saving, no loss.
    expect(fellBackSaving(sampleRow({ ...usage, model: 'claude-sonnet-4-5', costPicos: 4500n, attemptLog: [tried(1, 0n), tried(2, 4500n)] }), 2)).toBe(0n);
    // What failed tries to the target cost is lost.
    expect(fellBackSaving(sampleRow({ costPicos: 4800n, attemptLog: [tried(1, 300n), tried(2, 4500n)] }), 2)).toBe(-300n);
    expect(fellBackSaving(sampleRow({ costPicos: null, attemptLog: [tried(1, null), tried(2, 4500n)] }), 2)).toBeNull();
  });
});
