import { describe, expect, it } from 'vitest';
import { adminIncreaseInput, decisionInput } from '../server/increase-input.js';
import { budgetInput, modelPolicyInput, parseRule, poolInput, rateLimitInput } from './rule-input.js';

const BUDGET = { scope: 'team:eng', window: 'day', limit_usd: 5 };

describe('parseRule: fields a rule does not take', () => {
  it('names the unknown field and the fields the rule takes, not the schema library words', () => {
    expect(() => parseRule(budgetInput, { ...BUDGET, zzz: 1 })).toThrow(new RangeError('unknown field "zzz"; it takes id, name, scope, window, limit_usd, thresholds, fail, pool, downgrade, enforce_max_tokens'));
    expect(() => parseRule(poolInput, { ...BUDGET, pool: 'p', extra: 1 })).toThrow(new RangeError('unknown fields "pool", "extra"; it takes id, name, scope, window, limit_usd, thresholds, fail'));
    expect(() => parseRule(rateLimitInput, { scope: 'team:eng', rpm: 1, rmp: 2 })).toThrow(new RangeError('unknown field "rmp" (did you mean "rpm"?); it takes id, name, scope, rpm, tpm, concurrency, fail'));
  });

  it('names a nested object by its path, and a misspelt field before the right one it leaves missing', () => {
    expect(() => parseRule(budgetInput, { ...BUDGET, downgrade: { at_percent: 50, to: 'm', zz: 1 } })).toThrow(new RangeError('downgrade: unknown field "zz"; it takes at_percent, to'));
    expect(() => parseRule(modelPolicyInput, { scope: 'team:eng', rewrite: [{ from: 'a', to: 'b', target: 'c' }] })).toThrow(new RangeError('rewrite.0: unknown field "target"; it takes from, to'));
    expect(() => parseRule(budgetInput, { scope: 'team:eng', window: 'day', limit: 5 })).toThrow(new RangeError('unknown field "limit"; it takes id, name, scope, window, limit_usd, thresholds, fail, pool, downgrade, enforce_max_tokens'));
  });

  it('does so for increase requests and decisions too', () => {
    expect(() => parseRule(adminIncreaseInput, { amount_usd: 5, hours: 2, reason: 'r', requested_by: 'me', scope: 'team:eng', hour: 1 })).toThrow(new RangeError('unknown field "hour" (did you mean "hours"?); it takes scope, budget_id, amount_usd, hours, reason, requested_by'));
    expect(() => parseRule(decisionInput, { notes: 'x' })).toThrow(new RangeError('unknown field "notes" (did you mean "note"?); it takes note'));
  });
});
