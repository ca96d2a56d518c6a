import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { MemoryCounters } from './counters/memory.js';
import { budgetCounter } from './plan.js';
import { budgetInput, parseRule, poolInput, toBudget } from './rule-input.js';
import type { Budget, RuleSet } from './rules.js';
import { DEFAULT_POLICY_SETTINGS } from './settings.js';
import { type SettledSpend, chargeSettledSpend } from './settled-spend.js';

const settings = DEFAULT_POLICY_SETTINGS;
const budget = (input: Record<string, unknown>) => toBudget(parseRule(budgetInput, input), 'budget', 'api', 0);
const created = Date.parse('2026-11-22T10:00:00Z');
const spend = (o: Partial<SettledSpend> = {}): SettledSpend => ({
  id: 'r1', ts: created, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model: 'gpt-5', provider: 'openai', pool: null, cost: usd('0.5'), ...o,
});

function setup(budgets: Budget[]) {
  const rules: RuleSet = { budgets, rateLimits: [], modelPolicies: [], increases: [] };
  const counters = new MemoryCounters();
  const line = (b: Budget, at = created) => budgetCounter(settings.keyPrefix, b, rules, at, settings.timeZone).line;
  const init = (b: Budget) => counters.initialize([{ marker: line(b).marker, ttlMs: line(b).ttlMs, bucketTtlMs: line(b).ttlMs, amounts: [] }]);
  const spent = async (b: Budget, at = created) => (await counters.read([line(b, at)]))[0]!.spent;
  return { rules, counters, init, spent };
}

describe('chargeSettledSpend', () => {
  it('charges every initialised budget whose scope matches the request, in the window of its time, and no other', async () => {
    const user = budget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
    const team = budget({ scope: 'team:t', window: 'month', limit_usd: 10 });
    const model = budget({ scope: 'model:gpt-5*', window: 'day', limit_usd: 10 });
    const other = budget({ scope: 'team:other', window: 'day', limit_usd: 10 });
    const fresh = budget({ scope: 'org', window: 'day', limit_usd: 10 });
    const s = setup([user, team, model, other, fresh]);
    for (const b of [user, team, model, other]) await s.init(b);
    const charged = await chargeSettledSpend(s.rules, s.counters, settings, spend());
    expect(charged.map((c) => [c.counter.budget.id, c.level])).toEqual([user, team, model].map((b) => [b.id, usd('0.5')]));
    for (const b of [user, team, model]) expect(await s.spent(b)).toBe(usd('0.5'));
    expect(await s.spent(other)).toBe(0n);
    // Not initialised: it will be read from the ledger, which already has the spend.
    expect(await s.spent(fresh)).toBe(0n);
    // The day the request was made, not the day it finished.
    expect(await s.spent(user, created + 86_400_000)).toBe(0n);
  });

  it('charges the pool that paid instead of its members, and nothing for no cost', async () => {
    const pool = toBudget(parseRule(poolInput, { id: 'shared', scope: 'team:t', window: 'day', limit_usd: 10 }), 'pool', 'api', 0);
    const member = budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 0.1, pool: 'shared' });
    const s = setup([pool, member]);
    await s.init(pool);
    await s.init(member);
    await chargeSettledSpend(s.rules, s.counters, settings, spend({ pool: 'shared' }));
    expect([await s.spent(pool), await s.spent(member)]).toEqual([usd('0.5'), 0n]);
    await chargeSettledSpend(s.rules, s.counters, settings, spend());
    expect([await s.spent(pool), await s.spent(member)]).toEqual([usd('0.5'), usd('0.5')]);
    expect(await chargeSettledSpend(s.rules, s.counters, settings, spend({ cost: 0n }))).toEqual([]);
  });
});
