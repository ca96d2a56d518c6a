import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { countedSet } from './counted-set.js';
import { budgetCounter } from './plan.js';
import { type Budget, type Increase, type RuleSet, emptyRuleSet } from './rules.js';
import { parseScope } from './scope.js';
import { ThresholdWatch, noEvents } from './threshold-watch.js';
import { parseWindow } from './window.js';

const NOW = Date.parse('2026-11-22T12:00:30Z');

function budget(scope: string, window: string, p: Partial<Budget> = {}): Budget {
  return { id: 'swap', kind: 'budget', name: null, scope: parseScope(scope), window: parseWindow(window), limitPicos: usd('0.04'), thresholds: [80, 100], fail: 'open', pool: null, downgrade: null, enforceMaxTokens: false, source: 'api', createdAt: 0, ...p };
}

const rules = (...budgets: Budget[]): RuleSet => ({ ...emptyRuleSet(), budgets });
const keys = (b: Budget, r = rules(b)) => {
  const { line } = budgetCounter('{tg}:', b, r, NOW, 'UTC');
  return [line.marker, ...line.buckets];
};
const shared = (a: string[], b: string[]) => a.filter((k) => b.includes(k));

describe('a budget’s counter keys name the rows it counts', () => {
  it('are new when the same id moves to another scope, on calendar and rolling windows', () => {
    for (const w of ['day', '7d']) {
      expect(shared(keys(budget('user:nobody', w)), keys(budget('user:ivan', w)))).toEqual([]);
      expect(shared(keys(budget('user:bob', w)), keys(budget('team:bob', w)))).toEqual([]);
    }
  });

  it('are new when a budget draws on another pool, or none, or becomes a pool', () => {
    const base = keys(budget('user:bob', 'day'));
    expect(shared(base, keys(budget('user:bob', 'day', { pool: 'p1' })))).toEqual([]);
    expect(shared(keys(budget('user:bob', 'day', { pool: 'p1' })), keys(budget('user:bob', 'day', { pool: 'p2' })))).toEqual([]);
    expect(shared(base, keys(budget('user:bob', 'day', { kind: 'pool' })))).toEqual([]);
  });

  it('stay the same for a raised limit, an approved increase, new thresholds or a renamed budget', () => {
    const b = budget('user:bob', 'day');
    const inc: Increase = { id: 'inc1', scope: b.scope, budgetId: null, amountPicos: usd('1'), hours: 4, reason: 'r', requestedBy: 'bob', status: 'approved', createdAt: NOW - 1000, decidedAt: NOW - 1000, decidedBy: 'admin', note: null, expiresAt: NOW + 3_600_000 };
    const raised = budgetCounter('{tg}:', b, { ...rules(b), increases: [inc] }, NOW, 'UTC').line;
    expect([raised.marker, ...raised.buckets]).toEqual(keys(b));
    expect(raised.limit).toBe(usd('1.04'));
    for (const p of [{ limitPicos: usd('9') }, { thresholds: [50] }, { name: 'Bob' }, { fail: 'closed' as const }, { downgrade: { atPercent: 80, to: 'gpt-5-mini' } }, { enforceMaxTokens: true }, { createdAt: 5 }]) {
      expect(keys(budget('user:bob', 'day', p))).toEqual(keys(b));
    }
  });

  it('leave a pool’s counter alone when its scope changes: it counts the rows it paid for, which its id names', () => {
    expect(keys(budget('team:a', 'month', { kind: 'pool' }))).toEqual(keys(budget('team:b', 'month', { kind: 'pool' })));
  });

  it('are stable across processes and ignore the case of a model glob, which matches regardless of case', () => {
    expect(countedSet(budget('user:bob', 'day'))).toBe(countedSet(budget('user:bob', 'day')));
    expect(countedSet(budget('user:bob', 'day'))).toMatch(/^[0-9a-f]{10}$/);
    expect(countedSet(budget('model:Claude-*', 'day'))).toBe(countedSet(budget('model:claude-*', 'day')));
  });
});

describe('threshold alerts of a budget moved to another scope', () => {
  it('are raised again for the new scope in the same window and limit', () => {
    const seen: string[] = [];
    const watch = new ThresholdWatch({ ...noEvents, threshold: (b, p) => void seen.push(`${b.scope.value} ${p}`) });
    const bob = budget('user:bob', 'day');
    const carol = budget('user:carol', 'day');
    watch.check(budgetCounter('{tg}:', bob, rules(bob), NOW, 'UTC'), usd('0.035'));
    watch.check(budgetCounter('{tg}:', bob, rules(bob), NOW, 'UTC'), usd('0.036'));
    watch.check(budgetCounter('{tg}:', carol, rules(carol), NOW, 'UTC'), usd('0.035'));
    expect(seen).toEqual(['bob 80', 'carol 80']);
  });
});
