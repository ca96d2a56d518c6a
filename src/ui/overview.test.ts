import { describe, expect, it } from 'vitest';
import type { BudgetForecast } from '../forecast/budgets.js';
import type { Budget } from '../policy/rules.js';
import { parseScope } from '../policy/scope.js';
import { budgetsOf, scopeOfFilter } from './overview.js';

describe('scopeOfFilter', () => {
  it('is the scope its budgets are written on: a workflow’s is its tag’s', () => {
    expect(scopeOfFilter({ field: 'workflow', value: 'review' })).toEqual(parseScope('tag:workflow=review'));
    expect(scopeOfFilter({ field: 'team', value: 'web' })).toEqual(parseScope('team:web'));
    expect(scopeOfFilter({ field: 'client', value: 'claude-code' })).toBeUndefined();
  });
});

describe('budgetsOf', () => {
  const on = (id: string, scope: string, kind: Budget['kind'] = 'budget') => ({ budget: { id, kind, scope: parseScope(scope) }, forecast: {} }) as unknown as BudgetForecast;

  it('keeps the budgets on exactly the narrowed scope, a model’s whatever the case it was written in, as the rules match it', () => {
    const all = [on('upper', 'model:GPT-5'), on('exact', 'model:gpt-5'), on('glob', 'model:gpt-5*'), on('other', 'model:gpt-4o'), on('pool', 'model:gpt-5', 'pool'), on('team', 'team:gpt-5')];
    expect(budgetsOf(all, { field: 'model', value: 'gpt-5' }).map((f) => f.budget.id)).toEqual(['upper', 'exact']);
    // A team's name is matched as written, as its budgets match requests.
    expect(budgetsOf([on('web', 'team:web'), on('Web', 'team:Web')], { field: 'team', value: 'web' }).map((f) => f.budget.id)).toEqual(['web']);
    expect(budgetsOf([on('review', 'tag:workflow=review')], { field: 'workflow', value: 'review' })).toHaveLength(1);
    expect(budgetsOf(all, { field: 'client', value: 'gpt-5' })).toEqual([]);
  });
});
