import { describe, expect, it } from 'vitest';
import { MemoryCounters } from './counters/memory.js';
import { budgetInput, parseRule, toBudget } from './rule-input.js';
import { emptyRuleSet } from './rules.js';
import { DEFAULT_POLICY_SETTINGS } from './settings.js';
import { budgetStatus } from './status.js';

const NOW = Date.UTC(2026, 11, 6, 9, 0);
const budget = (window: string) => toBudget(parseRule(budgetInput, { id: `b-${window}`, scope: 'user:alice', window, limit_usd: 10 }), 'budget', 'config', 0);

describe('budget status', () => {
  it('gives a rolling window the span it counts, not its current bucket, and a calendar window its own', async () => {
    const rules = { ...emptyRuleSet(), budgets: [budget('7d'), budget('day')] };
    const [rolling, day] = await budgetStatus(rules, { keyId: 'k', user: 'alice', team: null, project: null, tags: {} }, new MemoryCounters(), DEFAULT_POLICY_SETTINGS, NOW);
    // 60 buckets of 2.8 h: the oldest one still overlapping the last 7 days starts at most one bucket before them.
    expect(NOW - rolling!.windowStart).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(NOW - rolling!.windowStart).toBeLessThan(7 * 86_400_000 + 168 * 60_000);
    // As its refusal says: when the current bucket's spend has aged out, a span and at most one bucket from now.
    expect(rolling!.resetsAt - NOW).toBeGreaterThan(7 * 86_400_000);
    expect(rolling!.resetsAt - NOW).toBeLessThanOrEqual(7 * 86_400_000 + 168 * 60_000);
    expect(day).toMatchObject({ windowStart: Date.UTC(2026, 11, 6), resetsAt: Date.UTC(2026, 11, 7) });
  });
});
