import { describe, expect, it } from 'vitest';
import { budgetCounter } from './plan.js';
import { budgetInput, parseRule, toBudget } from './rule-input.js';
import { emptyRuleSet } from './rules.js';
import { ThresholdWatch, noEvents } from './threshold-watch.js';

const NOW = Date.UTC(2026, 11, 6, 9, 0);
const USD = 1_000_000_000_000n;

describe('budget threshold alerts', () => {
  it('say a rolling window began where its counted spend does, a span back, not at its current bucket', () => {
    const b = toBudget(parseRule(budgetInput, { id: 'r7', scope: 'user:alice', window: '7d', limit_usd: 10, thresholds: [80] }), 'budget', 'config', 0);
    const rules = { ...emptyRuleSet(), budgets: [b] };
    const seen: [number, number][] = [];
    new ThresholdWatch({ ...noEvents, threshold: (_b, _p, _l, _lim, start, end) => void seen.push([start, end]) }).check(budgetCounter('tg:', b, rules, NOW, 'UTC'), 9n * USD);
    expect(seen).toHaveLength(1);
    expect(NOW - seen[0]![0]).toBeGreaterThanOrEqual(7 * 86_400_000);
    // It resets as its refusal says: when the spend counted now has aged out, a span and at most a bucket (2.8 h) away.
    expect(seen[0]![1] - NOW).toBeGreaterThan(7 * 86_400_000);
    expect(seen[0]![1] - NOW).toBeLessThanOrEqual(7 * 86_400_000 + 168 * 60_000);
  });

  it('raise a rolling window threshold once while the spend stays past it, not again at each bucket step', () => {
    const b = toBudget(parseRule(budgetInput, { id: 'r5', scope: 'user:alice', window: '5h', limit_usd: 10, thresholds: [50, 80] }), 'budget', 'config', 0);
    const rules = { ...emptyRuleSet(), budgets: [b] };
    const seen: number[] = [];
    const watch = new ThresholdWatch({ ...noEvents, threshold: (_b, percent) => void seen.push(percent) });
    // A request every 5 minutes (the bucket step of a 5h window) for an hour, at 90% throughout.
    for (let k = 0; k <= 12; k++) watch.check(budgetCounter('tg:', b, rules, NOW + k * 300_000, 'UTC'), 9n * USD);
    expect(seen).toEqual([50, 80]);
  });
});
