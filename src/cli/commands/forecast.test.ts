import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usd } from '../../core/money.js';
import { budgetInput, parseRule, toBudget } from '../../policy/rule-input.js';
import { renderForecast } from './forecast.js';

describe('renderForecast', () => {
  it('shows the share of the limit rounded half up, as the JSON does (308.1569…% is 308.2%)', () => {
    const budget = toBudget(parseRule(budgetInput, { id: 'fc-month', scope: 'team:fc', window: 'month', limit_usd: 100 }), 'budget', 'config', 0);
    const forecast = { method: 'flat', historyDays: 10, dailyRatePicos: usd('10'), windowStart: 0, windowEnd: 1, spentPicos: usd('52'), limitPicos: usd('100'), projectedPicos: usd('308.156954861111'), runOutAt: null, status: 'will_run_out' } as const;
    const text = renderForecast([{ budget, forecast }], 'UTC');
    expect(text).toContain('308.2%');
    expect(text).not.toContain('308.1%');
  });

  it('keeps spent, limit, rate and projection in cents once one reaches a dollar, a tiny nonzero amount reading <$0.01', () => {
    const budget = toBudget(parseRule(budgetInput, { id: 'fc-month', scope: 'team:fc', window: 'month', limit_usd: 425 }), 'budget', 'config', 0);
    const forecast = { method: 'flat', historyDays: 10, dailyRatePicos: usd('0.0006'), windowStart: 0, windowEnd: 1, spentPicos: usd('0.000325'), limitPicos: usd('425'), projectedPicos: usd('0.02'), runOutAt: null, status: 'on_track' } as const;
    const idle = { ...forecast, dailyRatePicos: 0n, spentPicos: 0n, projectedPicos: 0n };
    const text = renderForecast([{ budget, forecast }, { budget: { ...budget, id: 'fc-idle' }, forecast: idle }], 'UTC');
    expect(text).toMatch(/fc-month +team:fc +month +<\$0\.01 +\$425\.00 +<\$0\.01 +\$0\.02 /);
    expect(text).toMatch(/fc-idle +team:fc +month +\$0\.00 +\$425\.00 +\$0\.00 +\$0\.00 /);
  });

  it('is shown in the docs for a budget id the docs define', () => {
    const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');
    const defined = new Set([...doc('budgets.md').matchAll(/^\s*-? *id: ([\w:.-]+)/gm)].map((m) => m[1]));
    const named = [...doc('finops.md').matchAll(/forecast --budget ([\w:.-]+)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    for (const id of named) expect(defined, `docs/finops.md: forecast --budget ${id}`).toContain(id);
  });
});
