import { describe, expect, it } from 'vitest';
import { providerTable } from '../gateway/select-provider.js';
import { budgetInput, parseRule, toBudget } from '../policy/rule-input.js';
import { catalogPrices, createPricer } from '../pricing/index.js';
import { downgradeNotices } from './downgrade-notice.js';

const budget = (to: string | undefined) => toBudget(parseRule(budgetInput, { scope: 'user:jack', window: 'day', limit_usd: 1, ...(to ? { downgrade: { at_percent: 50, to } } : {}) }), 'budget', 'config', 0);
const provider = (name: string, dialect: 'openai' | 'anthropic' | 'gemini', catalog: string | undefined) => ({ name, dialect, baseUrl: 'http://127.0.0.1:1', apiKey: 'k', models: undefined, headers: {}, catalog });
const at = new Date('2026-11-22T10:00:00Z');

describe('downgrade notices', () => {
  it('names a downgrade target no provider prices, or none serves, and not one some provider prices', () => {
    const all = providerTable([provider('openai', 'openai', 'openai'), provider('anthropic', 'anthropic', 'anthropic')]);
    expect(downgradeNotices([budget('claude-haiku-4-5'), budget(undefined)], all, createPricer(), at)).toEqual([]);
    expect(downgradeNotices([budget('claude-haikoo-4-5')], all, createPricer(), at)).toEqual([
      'Budgets: "budget:user:jack:day" downgrades to claude-haikoo-4-5, which has no price at the providers that would serve it ("openai", "anthropic"): it never applies. Check the model’s name, or price it with pricing.overrides (docs/budgets.md#downgrades).',
    ]);
    expect(downgradeNotices([budget('claude-haiku-4-5')], providerTable([]), createPricer(), at)).toEqual(['Budgets: "budget:user:jack:day" downgrades to claude-haiku-4-5, which no provider serves: it never applies (docs/budgets.md#downgrades).']);
  });

  it('does not count an OpenAI or Gemini provider that takes any name as serving a Claude model', () => {
    const table = providerTable([provider('openai', 'openai', 'openai'), provider('gemini', 'gemini', 'google')], { catalogPrices });
    expect(downgradeNotices([budget('claude-haiku-4-5')], table, createPricer(), at)).toEqual([
      'Budgets: "budget:user:jack:day" downgrades to claude-haiku-4-5, which no provider serves: it never applies (docs/budgets.md#downgrades).',
    ]);
    expect(downgradeNotices([budget('gemini-2.5-flash')], table, createPricer(), at)).toEqual([]);
  });

  it('says a downgrade never applies where the only provider taking its target is another vendor’s, though an override prices it there', () => {
    const table = providerTable([provider('anthropic', 'anthropic', 'anthropic')], { catalogPrices });
    const priced = createPricer({ overrides: [{ model: 'gpt-5-mini', input: '0.25', output: '2' }] });
    expect(downgradeNotices([budget('gpt-5-mini')], table, priced, at)).toEqual(['Budgets: "budget:user:jack:day" downgrades to gpt-5-mini, which no provider serves: it never applies (docs/budgets.md#downgrades).']);
    expect(downgradeNotices([budget('gpt-5-mini')], providerTable([provider('openai', 'openai', 'openai'), provider('anthropic', 'anthropic', 'anthropic')], { catalogPrices }), priced, at)).toEqual([]);
  });
});
