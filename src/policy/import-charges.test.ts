import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { usd } from '../core/money.js';
import type { BudgetCharge } from '../storage/budget-charges.js';
import { MemoryCounters } from './counters/memory.js';
import { ImportCharges } from './import-charges.js';
import { budgetCounter } from './plan.js';
import type { RuleSet } from './rules.js';
import { budget, settings } from './testing/enforcer.js';
import { type PolicyEvents, noEvents } from './threshold-watch.js';

const AT = Date.parse('2026-12-06T10:00:00Z');

function charge(id: string, dollars: string): BudgetCharge {
  return { id, ts: AT, keyId: null, user: 'alice', team: 'platform', project: null, tags: {}, model: 'claude-sonnet-4-5', provider: 'anthropic', pool: null, costPicos: usd(dollars) };
}

describe('imported spend', () => {
  it('crosses a budget’s thresholds as settled traffic does, each once', async () => {
    const b = budget({ scope: 'team:platform', window: 'month', limit_usd: 10, thresholds: [50, 80] });
    const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
    const counters = new MemoryCounters();
    const line = budgetCounter(settings.keyPrefix, b, rules, AT, settings.timeZone).line;
    await counters.initialize([{ marker: line.marker, ttlMs: line.ttlMs, bucketTtlMs: line.ttlMs, amounts: [] }]);
    const queue: BudgetCharge[][] = [[charge('a', '4')], [charge('b', '2')], [charge('c', '1')], [charge('d', '1.5'), charge('e', '0.5')]];
    const told: number[] = [];
    const events: PolicyEvents = { ...noEvents, threshold: (_b, percent) => void told.push(percent) };
    const charges = new ImportCharges({ ledger: { takeCharges: () => Promise.resolve(queue.shift() ?? []), pendingCharges: () => Promise.resolve([]) }, counters, rules: () => rules, settings, log: silentLogger, events });
    await charges.catchUp(); // $4 of $10: none
    expect(told).toEqual([]);
    await charges.catchUp(); // $6: 50%
    await charges.catchUp(); // $7: 50% again, not told twice
    expect(told).toEqual([50]);
    await charges.catchUp(); // $9: 80%
    expect(told).toEqual([50, 80]);
    expect((await counters.read([line]))[0]!.spent).toBe(usd('9'));
  });

  it('tells the thresholds spend crosses on a counter not yet initialised: filled from the ledger that has the rows', async () => {
    const b = budget({ scope: 'team:platform', window: 'day', limit_usd: 10, thresholds: [50, 80, 100] });
    const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
    const counters = new MemoryCounters();
    const line = budgetCounter(settings.keyPrefix, b, rules, AT, settings.timeZone).line;
    // The import wrote $8.75 of rows: the ledger has them; no request of the team went through this gateway yet.
    const queue: BudgetCharge[][] = [[charge('a', '5'), charge('b', '3.75')]];
    const told: number[] = [];
    const events: PolicyEvents = { ...noEvents, threshold: (_b, percent) => void told.push(percent) };
    const fromLedger = (c: { line: { marker: string; ttlMs: number; buckets: readonly string[] } }) =>
      Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [{ bucket: c.line.buckets.at(-1)!, amount: usd('8.75') }] });
    const charges = new ImportCharges({ ledger: { takeCharges: () => Promise.resolve(queue.shift() ?? []), pendingCharges: () => Promise.resolve([]) }, counters, rules: () => rules, settings, log: silentLogger, events, fromLedger, now: () => AT });
    await charges.catchUp();
    expect(told).toEqual([50, 80]);
    expect((await counters.read([line]))[0]).toMatchObject({ initialized: true, spent: usd('8.75') });
    // A backfill of a day already over tells nothing: its window cannot be spent any more.
    const yesterday = { ...charge('y', '9'), ts: AT - 86_400_000 };
    queue.push([yesterday]);
    await charges.catchUp();
    expect(told).toEqual([50, 80]);
  });
});
